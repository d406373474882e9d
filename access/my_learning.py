"""My learning: each enrollment's active entitlements, as notes ("Library e-resources until
26 Feb 2027")."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from access.services.entitlements import entitlements_active
from core.dates import local
from enrollment import extensions
from enrollment.extensions import Extra
from identity.models import User
from tenants.models import Tenant


def now() -> datetime:
    return timezone.now()


def my_learning_extras(*, tenant: Tenant, learner: User, enrollment_ids: list[int]) -> dict[int, Extra]:
    wanted = set(enrollment_ids)
    notes: dict[int, list[str]] = {}
    for e in entitlements_active(tenant=tenant, learner=learner, now=now()):
        if e.enrollment_id in wanted:
            until = date_format(local(e.until, e.time_zone), "j M Y")
            notes.setdefault(e.enrollment_id, []).append(
                _("%(name)s until %(date)s") % {"name": e.name, "date": until}
            )
    return {pk: Extra(notes=tuple(lines)) for pk, lines in notes.items()}


def register() -> None:
    extensions.my_learning.register("access.entitlements", my_learning_extras)
