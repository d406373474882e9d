"""A unit's (or the tenant's) LMS connection: saving it, with the token sealed at rest and never
shown back, and testing it against the LMS, the answer or the error kept in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.lms.base import LmsError
from access.lms.factory import client_for, token_seal
from access.models import LmsConnection, LmsKind
from core.errors import NotFound, ValidationFailed
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess, units_managed

MAX_ERROR = 1000
_AUTH_PLUGIN = re.compile(r"^[a-z0-9_]{1,50}$")
# The options each kind keeps; anything else typed is dropped.
OPTIONS = {
    LmsKind.MOODLE: ("student_role_id", "auth"),
    LmsKind.CANVAS: ("account_id", "authentication_provider_id", "unenrol_task", "pass_score"),
    LmsKind.ONEROSTER: (),
}


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str


def connections_for_staff(
    *, tenant: Tenant, access: StaffAccess
) -> list[tuple[Unit | None, LmsConnection | None]]:
    """The tenant's row first (tenant admins only), then each unit the person runs, each with its
    connection or None."""
    found = {c.unit_id: c for c in LmsConnection.objects.filter(tenant=tenant)}
    rows: list[tuple[Unit | None, LmsConnection | None]] = []
    if access.is_tenant_admin:
        rows.append((None, found.get(None)))
    rows += [
        (unit, found.get(unit.pk)) for unit in units_managed(tenant=tenant, access=access).order_by("name")
    ]
    return rows


def connection_for_staff(*, tenant: Tenant, access: StaffAccess, connection_id: int) -> LmsConnection:
    connection = LmsConnection.objects.filter(tenant=tenant, pk=connection_id).select_related("unit").first()
    if connection is None or not _may_manage(access, connection.unit):
        raise NotFound(_("No such LMS connection."))
    return connection


def unit_for_new_connection(*, tenant: Tenant, access: StaffAccess, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        if not access.is_tenant_admin:
            raise NotFound(_("No such unit."))
        return None
    unit = Unit.objects.filter(tenant=tenant, pk=unit_id).first()
    if unit is None or not access.manages_unit(unit):
        raise NotFound(_("No such unit."))
    return unit


def _may_manage(access: StaffAccess, unit: Unit | None) -> bool:
    return access.is_tenant_admin if unit is None else access.manages_unit(unit)


def _clean_url(base_url: str) -> str:
    url = base_url.strip().rstrip("/")
    for suffix in ("/webservice/rest/server.php", "/api/v1"):
        url = url.removesuffix(suffix)
    return url.rstrip("/")


def _clean_options(kind: str, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    kept: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name in OPTIONS.get(kind, ()):  # type: ignore[call-overload]
        value = options.get(name)
        if value in (None, ""):
            continue
        text = str(value).strip()
        if name == "student_role_id":
            if not text.isdigit() or int(text) < 1:
                problems[name] = [_("Moodle's role id is a whole number (the student role is usually 5).")]
                continue
            kept[name] = int(text)
        elif name == "auth":
            if not _AUTH_PLUGIN.match(text):
                problems[name] = [_("Name a Moodle authentication plugin, e.g. oauth2.")]
                continue
            kept[name] = text
        elif name == "account_id":
            if not (text.isdigit() or text.startswith("sis_account_id:")):
                problems[name] = [
                    _("Canvas's account id is a number (1 for the root account) or sis_account_id:…")
                ]
                continue
            kept[name] = text
        elif name == "authentication_provider_id":
            if not re.match(r"^[A-Za-z0-9_]{1,50}$", text):
                problems[name] = [
                    _("Canvas's authentication provider id is a number (or its type, e.g. openid_connect).")
                ]
                continue
            kept[name] = text
        elif name == "unenrol_task":
            if text not in ("conclude", "delete"):
                problems[name] = [_("Choose conclude or delete.")]
                continue
            kept[name] = text
        elif name == "pass_score":
            try:
                score = float(text)
            except ValueError:
                score = -1.0
            if not 0 <= score <= 100:
                problems[name] = [_("A pass score is a percentage from 0 to 100.")]
                continue
            kept[name] = score
    return kept, problems


def connection_save(
    *,
    tenant: Tenant,
    access: StaffAccess,
    connection_id: int | None = None,
    unit_id: int | None = None,
    kind: str,
    base_url: str,
    token: str = "",
    options: dict[str, Any] | None = None,
    grace_days: int = 0,
    max_concurrency: int = 4,
) -> LmsConnection:
    """Create (connection_id None, for `unit_id`, or the tenant when None) or update a connection.
    An empty `token` keeps the stored one."""
    if kind not in LmsKind.values:
        raise ValidationFailed(_("Choose an LMS."), fields={"kind": [_("Choose an LMS.")]})
    url = _clean_url(base_url)
    problems: dict[str, list[str]] = {}
    if kind != LmsKind.ONEROSTER and not url:
        problems["base_url"] = [_("Enter the LMS address, e.g. https://moodle.example.edu.")]
    elif url and not url.startswith(("https://", "http://")):
        problems["base_url"] = [_("The address starts with https://.")]
    elif url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            problems["base_url"] = [
                _("Enter the LMS's address as the browser shows it, e.g. https://moodle.example.edu.")
            ]
    kept, option_problems = _clean_options(kind, options or {})
    problems.update(option_problems)
    if not 0 <= grace_days <= 365:
        problems["grace_days"] = [_("Between 0 and 365 days.")]
    if not 1 <= max_concurrency <= 50:
        problems["max_concurrency"] = [_("Between 1 and 50 calls at once.")]
    token = token.strip()
    with transaction.atomic():
        if connection_id is not None:
            connection = connection_for_staff(tenant=tenant, access=access, connection_id=connection_id)
            connection = LmsConnection.objects.select_for_update().get(pk=connection.pk)
        else:
            unit = unit_for_new_connection(tenant=tenant, access=access, unit_id=unit_id)
            if LmsConnection.objects.filter(tenant=tenant, unit=unit).exists():
                raise ValidationFailed(
                    _("This unit already has an LMS connection; edit that one.")
                    if unit
                    else _("The institution already has an LMS connection; edit that one.")
                )
            connection = LmsConnection(tenant=tenant, unit=unit)
        if kind != LmsKind.ONEROSTER and not token and not connection.token_encrypted:
            problems["token"] = [_("Enter the LMS token.")]
        if problems:
            raise ValidationFailed(_("Please correct the fields marked below."), fields=problems)
        changed_target = (connection.kind, connection.base_url) != (kind, url)
        connection.kind = kind
        connection.base_url = url
        connection.options = kept
        connection.grace_days = grace_days
        connection.max_concurrency = max_concurrency
        if token:
            connection.token_encrypted = token_seal(token)
        if token or changed_target:  # an earlier test said nothing about this one
            connection.last_tested_at = None
            connection.last_test_ok = None
        connection.save()
    return connection


def connection_error_record(*, connection_id: int, message: str) -> None:
    """Keep the LMS's latest error in words (for jobs that called it and failed)."""
    LmsConnection.objects.filter(pk=connection_id).update(
        last_error=message[:MAX_ERROR], last_error_at=timezone.now()
    )


def connection_test(connection: LmsConnection) -> TestResult:
    """One cheap authenticated call; its answer or its error recorded on the connection, in words.
    No lock is held while the LMS is called."""
    now = timezone.now()
    try:
        said = client_for(connection).check()
    except LmsError as error:
        message = error.message[:MAX_ERROR]
        LmsConnection.objects.filter(pk=connection.pk).update(
            last_tested_at=now, last_test_ok=False, last_error=message, last_error_at=now
        )
        connection.last_tested_at, connection.last_test_ok = now, False
        connection.last_error, connection.last_error_at = message, now
        return TestResult(ok=False, message=message)
    LmsConnection.objects.filter(pk=connection.pk).update(last_tested_at=now, last_test_ok=True)
    connection.last_tested_at, connection.last_test_ok = now, True
    return TestResult(ok=True, message=said)
