"""Every write on webhooks: endpoints, the outbox of deliveries, sending them, replay.

Recording (`event_record`) runs inside the transaction of the change it tells of, so a rolled-back
change leaves no delivery, and a committed one always has its rows; a job is kicked after commit
and beat's minute sweep finds what a lost kick left.

Sending (`endpoint_deliver`): per endpoint, deliveries go out in order of `id` per object (an
enrollment, an order, …): a later event for an object waits while an earlier one for it on that
endpoint is pending (being retried). Other objects are not held up by it. A row is claimed in a
short transaction (`FOR UPDATE SKIP LOCKED`, then `claimed_at`), so two workers never send one
row at once, and no lock is held while the endpoint answers. A run stops at the first failure
(the endpoint is probably down: its other rows wait for the next run rather than costing a
worker a timeout each), after RUN_ROWS rows, or after RUN_SECONDS.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import secrets as sealed
from core.errors import NotFound
from core.jobs import enqueue_after_commit
from tenants.models import Tenant, Unit
from webhooks import signing, subscriptions
from webhooks.errors import EndpointRefused
from webhooks.models import PING, Delivery, DeliveryStatus, Endpoint, EventType

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.deliver"
SECRET_PURPOSE = "webhooks.endpoints"  # noqa: S105 - a name, not a secret
SECRET_SETTING = "WEBHOOKS_SECRETS_KEY"  # noqa: S105 - a setting name
# After the n-th failed attempt the next one waits BACKOFF[n-1] (the last one repeats), but never
# past GIVE_UP_AFTER from the event (or its replay): one last attempt then, and then no more.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
GIVE_UP_AFTER = timedelta(hours=24)
CLAIM_TIMEOUT = timedelta(minutes=5)  # a sender that died: its row is taken again after this
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
RESPONSE_KEPT_BYTES = 2048
KEEP_FINISHED = timedelta(days=30)  # delivered or given-up rows are deleted after this
RUN_ROWS = 50
RUN_SECONDS = 30.0
USER_AGENT = "Microcred-Webhooks/1"

P = DeliveryStatus


# -- endpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    secret: str  # shown once, on the page after creation


def check_url(url: str) -> str:
    """The URL if deliveries may go there: http or https with a host (https only when
    WEBHOOKS_HTTPS_ONLY, but for localhost); else EndpointRefused on the field `url`."""
    url = url.strip()
    parts = urlsplit(url)
    problem = ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = _("Enter an http:// or https:// address.")
    elif (
        parts.scheme == "http"
        and getattr(settings, "WEBHOOKS_HTTPS_ONLY", True)
        and parts.hostname not in ("localhost", "127.0.0.1", "::1")
    ):
        problem = _("Enter an https:// address: events are not sent unencrypted.")
    elif parts.username or parts.password:
        problem = _("Leave the user name and password out of the address.")
    elif not getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False) and _is_private_literal(
        parts.hostname
    ):
        problem = _("Enter an address on the internet: private and local addresses are not called.")
    if problem:
        raise EndpointRefused(problem, fields={"url": [problem]})
    return url


def _is_private_literal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False  # a name: checked where it is resolved, at each attempt


def _check_types(event_types: Iterable[str]) -> list[str]:
    chosen = [t for t in EventType.values if t in set(event_types)]
    if not chosen:
        problem = _("Choose at least one event.")
        raise EndpointRefused(problem, fields={"event_types": [problem]})
    return chosen


def endpoint_create(
    *,
    tenant: Tenant,
    unit: Unit | None,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    now: datetime | None = None,
) -> Created:
    """A new endpoint with a new secret (`whsec_` and 32 random bytes, hex). The caller has
    checked that the person may manage `unit` (None: tenant-wide, tenant admins only)."""
    if unit is not None and unit.tenant_id != tenant.pk:
        raise NotFound("No such unit.")
    secret = "whsec_" + secrets.token_hex(32)
    endpoint = Endpoint.objects.create(
        tenant=tenant,
        unit=unit,
        url=check_url(url),
        description=description.strip()[:200],
        event_types=_check_types(event_types),
        secret_encrypted=sealed.encrypt(secret, purpose=SECRET_PURPOSE, setting=SECRET_SETTING),
        secret_last4=secret[-4:],
        created_at=now or timezone.now(),
    )
    subscriptions.changed(tenant.pk)
    return Created(endpoint=endpoint, secret=secret)


def endpoint_secret(endpoint: Endpoint) -> str:
    return sealed.decrypt(endpoint.secret_encrypted, purpose=SECRET_PURPOSE, setting=SECRET_SETTING)


def endpoint_set_enabled(*, tenant: Tenant, endpoint_id: int, enabled: bool) -> Endpoint:
    """Disabled: no new events are recorded for it, and what is pending waits; enabled again,
    what is pending is sent (the timer of a day counts on: a row past it gets one attempt)."""
    endpoint = Endpoint.objects.filter(tenant=tenant, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such endpoint.")
    if endpoint.is_enabled != enabled:
        endpoint.is_enabled = enabled
        endpoint.save(update_fields=["is_enabled"])
        subscriptions.changed(tenant.pk)
        if enabled:
            enqueue_after_commit(DELIVER_TASK, endpoint.pk)
    return endpoint


# -- recording (the outbox) --------------------------------------------------------------------


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def _envelope(
    *, event_id: str, event_type: str, created: datetime, tenant_slug: str, unit_slug: str | None, data: Any
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "created": int(created.timestamp()),
        "tenant": tenant_slug,
        "unit": unit_slug,
        "data": data,
    }


def event_record(
    *,
    tenant_id: int,
    event_type: str,
    object_ref: str,
    unit_ids: Iterable[int],
    data_for: Callable[[int | None], dict[str, Any]],
    learner_id: int | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """One delivery for each enabled endpoint of the tenant that chose `event_type` and hears of
    the units it concerns: a unit's endpoint if its unit is among `unit_ids` (its data:
    `data_for(unit_id)`, only that unit's part), a tenant-wide one always (`data_for(None)`).
    Call it inside the change's transaction; the send job is kicked after commit."""
    units = sorted(set(unit_ids))
    endpoints = list(
        Endpoint.objects.filter(tenant_id=tenant_id, is_enabled=True, event_types__contains=[event_type])
        .filter(Q(unit__isnull=True) | Q(unit_id__in=units))
        .order_by("pk")
    )
    if not endpoints:
        return []
    now = now or timezone.now()
    tenant_slug = Tenant.objects.filter(pk=tenant_id).values_list("slug", flat=True).get()
    slugs = dict(Unit.objects.filter(pk__in=units).values_list("pk", "slug"))
    event_id = new_event_id()
    data: dict[int | None, dict[str, Any]] = {}
    rows: list[Delivery] = []
    for endpoint in endpoints:
        scope = endpoint.unit_id
        if scope not in data:
            data[scope] = data_for(scope)
        unit_slug = slugs.get(scope) if scope is not None else (slugs[units[0]] if len(units) == 1 else None)
        rows.append(
            Delivery(
                tenant_id=tenant_id,
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                object_ref=object_ref,
                learner_id=learner_id,
                payload=_envelope(
                    event_id=event_id,
                    event_type=event_type,
                    created=now,
                    tenant_slug=tenant_slug,
                    unit_slug=unit_slug,
                    data=data[scope],
                ),
                created_at=now,
                next_attempt_at=now,
                retry_from=now,
            )
        )
    made = Delivery.objects.bulk_create(rows)
    for endpoint in endpoints:
        enqueue_after_commit(DELIVER_TASK, endpoint.pk)
    return made


def _refuse_disabled(endpoint: Endpoint) -> None:
    if not endpoint.is_enabled:
        raise EndpointRefused(_("This endpoint is disabled: enable it first, then send."))


def ping_send(*, tenant: Tenant, endpoint_id: int, now: datetime | None = None) -> Delivery:
    """A `ping` event to this endpoint only, whatever events it chose; sent at once."""
    endpoint = Endpoint.objects.select_related("unit").filter(tenant=tenant, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such endpoint.")
    _refuse_disabled(endpoint)
    now = now or timezone.now()
    event_id = new_event_id()
    delivery = Delivery.objects.create(
        tenant=tenant,
        endpoint=endpoint,
        event_id=event_id,
        event_type=PING,
        object_ref=f"ping:{event_id}",
        payload=_envelope(
            event_id=event_id,
            event_type=PING,
            created=now,
            tenant_slug=tenant.slug,
            unit_slug=endpoint.unit.slug if endpoint.unit else None,
            data={"object": "ping", "endpoint": endpoint.pk},
        ),
        created_at=now,
        next_attempt_at=now,
        retry_from=now,
    )
    enqueue_after_commit(DELIVER_TASK, endpoint.pk)
    return delivery


def delivery_replay(
    *, tenant: Tenant, endpoint_id: int, delivery_id: int, now: datetime | None = None
) -> Delivery:
    """Send a delivery again: the same row, the same event id (a receiver that keeps ids sees it
    is one it had), back to pending with its day of retries counted from now. Its place in the
    order is its own: later pending events of the same object wait until it is sent."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(tenant=tenant, endpoint_id=endpoint_id, pk=delivery_id)
            .first()
        )
        if delivery is None:
            raise NotFound("No such delivery.")
        _refuse_disabled(delivery.endpoint)
        delivery.status = P.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.retry_from = now
        delivery.delivered_at = None
        delivery.claimed_at = None
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "retry_from",
                "delivered_at",
                "claimed_at",
            ]
        )
        enqueue_after_commit(DELIVER_TASK, endpoint_id)
    return delivery


# -- the schedule ------------------------------------------------------------------------------


def next_attempt_at(*, attempts: int, retry_from: datetime, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None: give up (a day has passed)."""
    deadline = retry_from + GIVE_UP_AFTER
    if now >= deadline:
        return None
    wait = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    return min(now + wait, deadline)


# -- sending -----------------------------------------------------------------------------------


def body_of(delivery: Delivery) -> bytes:
    """The exact bytes sent (and signed): the envelope as compact JSON, keys sorted."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Answer:
    ok: bool
    status_code: int | None = None
    body: str = ""
    error: str = ""


def _private_address(url: str) -> str:
    """The first loopback, private, link-local or reserved address the URL's host resolves to
    ("" if none): an endpoint must not make the worker reach into the platform's own network
    (a cloud's metadata service, the database) and show the answer on the console."""
    host = urlsplit(url).hostname or ""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError:
        return ""  # the POST says it cannot resolve
    for address in sorted(found):
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            return str(address)
    return ""


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """One POST, never longer than the connect timeout plus the read timeout per read; no
    redirect followed (a 3xx is a failure); at most RESPONSE_KEPT_BYTES of the answer read.
    Unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES, a host on a private address is not called."""
    if not getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False):
        private = _private_address(url)
        if private:
            return Answer(
                ok=False, error=_("Not sent: the address is a private one (%(ip)s).") % {"ip": private}
            )
    try:
        with requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            allow_redirects=False,
            stream=True,
        ) as response:
            kept = response.raw.read(RESPONSE_KEPT_BYTES, decode_content=True) or b""
            code = response.status_code
    except requests.Timeout:
        return Answer(ok=False, error=_("No answer in time."))
    except requests.RequestException as exc:
        return Answer(ok=False, error=str(exc)[:500] or exc.__class__.__name__)
    except Exception as exc:  # noqa: BLE001 - any answer the library chokes on is a failed attempt
        return Answer(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:500])
    text = kept.decode("utf-8", errors="replace")
    return Answer(ok=200 <= code < 300, status_code=code, body=text)


def delivery_send(delivery: Delivery, *, t: int | None = None) -> Answer:
    """POST the delivery to its endpoint, signed; nothing is written."""
    body = body_of(delivery)
    t = t if t is not None else int(time.time())
    try:
        secret = endpoint_secret(delivery.endpoint)
    except sealed.SecretUnreadable:
        return Answer(ok=False, error=_("Not sent: the endpoint's secret cannot be read (the key changed)."))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.sign(secret, body, t),
        "Microcred-Event-Id": delivery.event_id,
        "Microcred-Event-Type": delivery.event_type,
    }
    return _post(delivery.endpoint.url, body, headers)


def _claimable(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT)


def delivery_claim(*, endpoint_id: int, now: datetime) -> Delivery | None:
    """The endpoint's next due delivery, claimed for this sender: the oldest pending one due now
    with no earlier pending delivery of its object on this endpoint. Rows another sender has
    locked are skipped; the claim (`claimed_at`) is committed before anything is sent."""
    earlier = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        object_ref=OuterRef("object_ref"),
        status=P.PENDING,
        id__lt=OuterRef("id"),
    )
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_claimable(now), endpoint_id=endpoint_id, status=P.PENDING, next_attempt_at__lte=now)
            .filter(~Exists(earlier))
            .select_related("endpoint")
            .order_by("id")
            .first()
        )
        if row is None:
            return None
        Delivery.objects.filter(pk=row.pk).update(claimed_at=now, attempts=F("attempts") + 1)
        row.claimed_at = now
        row.attempts += 1
    return row


def delivery_finish(delivery: Delivery, answer: Answer, *, now: datetime) -> str:
    """Write what the endpoint answered and release the claim; the delivery's new status. A
    claim that lapsed and was taken by another sender meanwhile is left to that sender."""
    fields: dict[str, Any] = {
        "claimed_at": None,
        "last_attempt_at": now,
        "last_status_code": answer.status_code,
        "last_response_body": answer.body[:RESPONSE_KEPT_BYTES],
        "last_error": answer.error[:500],
    }
    if answer.ok:
        fields |= {"status": P.SUCCEEDED, "delivered_at": now}
    else:
        when = next_attempt_at(attempts=delivery.attempts, retry_from=delivery.retry_from, now=now)
        fields |= {"status": P.FAILED} if when is None else {"next_attempt_at": when}
    Delivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at, status=P.PENDING).update(**fields)
    return str(fields.get("status", P.PENDING))


@dataclass(frozen=True)
class Run:
    sent: int
    failed: int
    more: bool  # stopped by its budget with rows still due: run again


def endpoint_deliver(
    *,
    endpoint_id: int,
    now: Callable[[], datetime] = timezone.now,
    rows: int = RUN_ROWS,
    seconds: float = RUN_SECONDS,
) -> Run:
    """Send the endpoint's due deliveries, one at a time, in order (module doc); nothing to a
    disabled endpoint. `now` is the clock (tests give their own)."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.is_enabled:
        return Run(sent=0, failed=0, more=False)
    started = time.monotonic()
    sent = 0
    for _n in range(rows):
        if time.monotonic() - started > seconds:
            return Run(sent=sent, failed=0, more=True)
        delivery = delivery_claim(endpoint_id=endpoint_id, now=now())
        if delivery is None:
            return Run(sent=sent, failed=0, more=False)
        answer = delivery_send(delivery)
        delivery_finish(delivery, answer, now=now())
        if not answer.ok:
            logger.info("webhook %s to endpoint %s failed: %s", delivery.event_id, endpoint_id, answer)
            return Run(sent=sent, failed=1, more=False)
        sent += 1
    return Run(sent=sent, failed=0, more=True)


def endpoints_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Enabled endpoints with a delivery due now that no sender holds: what the sweep kicks."""
    now = now or timezone.now()
    due = Delivery.objects.filter(
        _claimable(now), status=P.PENDING, next_attempt_at__lte=now, endpoint__is_enabled=True
    )
    return sorted(set(due.values_list("endpoint_id", flat=True).distinct()[:limit]))


def deliveries_purge(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Delete delivered and given-up deliveries older than KEEP_FINISHED, at most `limit` at a
    time (the minute sweep calls it); pending ones are never deleted."""
    now = now or timezone.now()
    old = (
        Delivery.objects.exclude(status=P.PENDING)  # as the partial index says it
        .filter(created_at__lt=now - KEEP_FINISHED)
        .values_list("pk", flat=True)[:limit]
    )
    deleted, _kinds = Delivery.objects.filter(pk__in=list(old)).delete()
    return deleted
