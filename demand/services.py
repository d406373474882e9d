"""Demand's writes: "notify me" sign-ups, telling each person once, unsubscribing, and counting
searches that found nothing."""

from __future__ import annotations

import json
import logging
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import cast

import redis
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Offering
from core.mail import deliver_now
from demand import selectors
from demand.errors import InterestRefused
from demand.models import CLAIM_TIMEOUT, MAX_SEARCH_WORDS, Interest, SearchMiss
from identity.models import User
from tenants.brand import Brand
from tenants.errors import NotVisible
from tenants.mail import branded_email, site_url
from tenants.models import Tenant

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "demand.unsubscribe"


class SignupOutcome:
    ADDED = "added"
    ALREADY = "already"  # waiting already: nothing changed
    RENEWED = "renewed"  # told before: waits again for the next opening


@dataclass(frozen=True)
class Signup:
    interest: Interest
    outcome: str


def _email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        message = _("Enter a valid e-mail address.")
        raise InterestRefused(message, fields={"email": [message]}) from None
    return value


def interest_signup(*, tenant: Tenant, offering_id: int, email: str, user: User | None = None) -> Signup:
    """Ask to be told once when the offering's microcredential has a seat to take. A signed-in
    learner signs up with their account's address. One interest per microcredential and address:
    a repeat changes nothing, one already told waits again."""
    offering = selectors.offering_for_signup(tenant=tenant, offering_id=offering_id)
    if offering is None:
        raise NotVisible(_("No such offering."))
    address = _email(user.email if user is not None else email)
    created = _insert(tenant=tenant, offering=offering, email=address, user=user)
    interest = Interest.objects.get(
        tenant=tenant, microcredential_id=offering.microcredential_id, email__iexact=address
    )
    if created:
        return Signup(interest, SignupOutcome.ADDED)
    if user is not None and interest.user_id is None:  # made signed out, now theirs
        Interest.objects.filter(pk=interest.pk, user__isnull=True).update(user=user)
    renewed = Interest.objects.filter(pk=interest.pk, notified_at__isnull=False).update(
        notified_at=None, notify_claimed_at=None, notified_offering=None, signed_up_on=offering
    )
    if not renewed:
        return Signup(interest, SignupOutcome.ALREADY)
    interest.refresh_from_db()
    return Signup(interest, SignupOutcome.RENEWED)


def _insert(*, tenant: Tenant, offering: Offering, email: str, user: User | None) -> bool:
    """The row, unless one for this microcredential and address exists (the unique index on
    lower(email) decides, so two sign-ups at once make one row). True: it was made now."""
    table = connection.ops.quote_name(Interest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, microcredential_id, email, user_id, signed_up_on_id,"  # noqa: S608
            " created_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [
                tenant.pk,
                offering.microcredential_id,
                email,
                user.pk if user else None,
                offering.pk,
                timezone.now(),
            ],
        )
        return cursor.fetchone() is not None


def unsubscribe_token(interest: Interest) -> str:
    """A signed token naming the interest and its address; a new sign-up is a new row, so an old
    link never removes it."""
    return signing.dumps({"i": interest.pk, "e": interest.email}, salt=UNSUBSCRIBE_SALT, compress=True)


def interest_from_token(*, tenant: Tenant, token: str) -> Interest | None:
    """The interest a link names, or None when the link was tampered with or the row is gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        return None
    return (
        Interest.objects.select_related("microcredential")
        .filter(tenant=tenant, pk=data["i"], email=data.get("e"))
        .first()
    )


def interest_unsubscribe(*, tenant: Tenant, token: str) -> bool:
    """Remove the interest the link names. False: a bad link, or removed already."""
    interest = interest_from_token(tenant=tenant, token=token)
    if interest is None:
        return False
    return Interest.objects.filter(tenant=tenant, pk=interest.pk).delete()[0] > 0


# --- Telling people: the sweep finds interests whose microcredential now has a seat to take ------


def interest_notify(*, interest_id: int, now: datetime | None = None) -> bool:
    """The one e-mail: claim the row (a conditional UPDATE, so concurrent sweeps and jobs send
    it once), send it in the unit's brand with the offering's link, then mark it told. A refusal
    by the mail server releases the claim (the job retries, the sweep finds it again). False:
    told already, another sender has it, or no offering has a seat any more."""
    now = now or timezone.now()
    claimed = (
        Interest.objects.filter(pk=interest_id, notified_at__isnull=True)
        .filter(Q(notify_claimed_at__isnull=True) | Q(notify_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(notify_claimed_at=now)
    )
    if not claimed:
        return False
    interest = (
        Interest.objects.select_related("tenant", "microcredential__unit").filter(pk=interest_id).first()
    )
    if interest is None:  # unsubscribed in the meantime
        return False
    offering = selectors.open_offering_for(
        tenant=interest.tenant, microcredential_id=interest.microcredential_id
    )
    mine = Interest.objects.filter(pk=interest_id, notify_claimed_at=now)
    if offering is None:
        mine.update(notify_claimed_at=None)
        return False
    try:
        deliver_now(_message(interest, offering))
    except Exception:
        mine.update(notify_claimed_at=None)
        raise
    mine.update(notified_at=timezone.now(), notified_offering=offering)
    return True


def _message(interest: Interest, offering: Offering) -> EmailMultiAlternatives:
    base = site_url(interest.tenant)
    unsubscribe_url = base + reverse("demand-unsubscribe", args=[unsubscribe_token(interest)])
    message = branded_email(
        brand=Brand.of_unit(interest.microcredential.unit),
        to=[interest.email],
        template_prefix="demand/email/seat_open",
        context={
            "microcredential": interest.microcredential,
            "offering_url": base + reverse("offering-detail", args=[offering.pk]),
            "unsubscribe_url": unsubscribe_url,
        },
        language=settings.LANGUAGE_CODE,
    )
    # RFC 8058: mail clients offer one-click unsubscribe, POSTing to the same link.
    message.extra_headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


# --- Searches that found nothing ----------------------------------------------------------------

# Something that may say who typed it (an address, a phone or an id number) is not kept.
_PERSONAL = re.compile(r"@|\d{5,}")


def search_words(text: str) -> str:
    """The words as counted: lowercased, spaces collapsed, at most MAX_SEARCH_WORDS characters;
    empty when they are not to be kept."""
    words = " ".join(text.lower().split())[:MAX_SEARCH_WORDS].strip()
    if not words or _PERSONAL.search(words):
        return ""
    return words


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


@cache
def _client(url: str) -> redis.Redis:
    # The search page waits for no slow Redis: a count that does not make it in time is dropped.
    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)


def _keys() -> tuple[str, str]:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:demand:search-misses", f"{prefix}:demand:search-misses-last"


def search_miss_count(*, tenant_id: int, text: str, now: datetime | None = None) -> None:
    """One more search for these words that found nothing, today (the tenant's day: the request
    runs in its time zone). One round trip to Redis (HINCRBY, and the time seen); the minute's
    flush (`search_misses_flush`) adds them to SearchMiss. Raises when Redis cannot be reached:
    the catalog's hook logs it and the page goes on."""
    words = search_words(text)
    if not words:
        return
    now = now or timezone.now()
    field = json.dumps([tenant_id, timezone.localdate(now).isoformat(), words])
    counts, last = _keys()
    pipe = _redis().pipeline(transaction=False)
    pipe.hincrby(counts, field, 1)
    pipe.hset(last, field, now.isoformat())
    pipe.execute()


def search_misses_flush() -> int:
    """Move the counts gathered in Redis into SearchMiss (an UPSERT per words and day, in one
    transaction), how many rows. The hash is renamed first, so counts made meanwhile go to a
    fresh one; a flush that failed leaves its renamed hash to the next (one flush at a time)."""
    client = _redis()
    counts, last = _keys()
    if not client.set(counts + ":lock", "1", nx=True, ex=120):
        return 0
    try:
        if not client.exists(counts + ":flushing"):
            try:
                client.rename(counts, counts + ":flushing")
            except redis.ResponseError:  # nothing counted since the last flush
                return 0
            with suppress(redis.ResponseError):
                client.rename(last, last + ":flushing")
        gathered = cast(dict[bytes, bytes], client.hgetall(counts + ":flushing"))
        seen = cast(dict[bytes, bytes], client.hgetall(last + ":flushing"))
        _upsert(gathered, seen)
        client.delete(counts + ":flushing", last + ":flushing")
        return len(gathered)
    finally:
        client.delete(counts + ":lock")


def _upsert(gathered: dict[bytes, bytes], seen: dict[bytes, bytes]) -> None:
    table = connection.ops.quote_name(SearchMiss._meta.db_table)
    tenants = connection.ops.quote_name(Tenant._meta.db_table)
    now = timezone.now()
    rows = []
    for field, count in gathered.items():
        tenant_id, day, words = json.loads(field)
        at = seen.get(field)
        rows.append([tenant_id, day, words, int(count), datetime.fromisoformat(at.decode()) if at else now])
    if not rows:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (tenant_id, day, words, count, last_seen_at)"  # noqa: S608 - our table
            f" SELECT %s, %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM {tenants} WHERE id = %s)"
            " ON CONFLICT (tenant_id, day, words)"
            f" DO UPDATE SET count = {table}.count + EXCLUDED.count,"
            f" last_seen_at = GREATEST({table}.last_seen_at, EXCLUDED.last_seen_at)",
            [[*row, row[0]] for row in rows],
        )
