"""What a learner reaches of their course access: the LMS course, the calendar file."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from access.lms.base import LmsError
from access.models import Provision, ProvisionState
from access.services import calendar, provisioning
from core.errors import MicrocredError
from enrollment.models import ACTIVE_STATES, Enrollment
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant

P = ProvisionState


def enrollment_own(*, tenant: Tenant, learner: User, enrollment_id: int) -> Enrollment:
    """The learner's own active enrollment, with its offering; anyone else's is "no such"."""
    found = (
        Enrollment.objects.filter(
            tenant=tenant, learner=learner, pk=enrollment_id, status__in=sorted(ACTIVE_STATES)
        )
        .select_related("offering__microcredential__unit")
        .first()
    )
    if found is None:
        raise NotVisible(_("No such enrollment."))
    return found


def course_url(*, tenant: Tenant, learner: User, enrollment_id: int) -> str:
    """Where the learner's course is in the LMS, while they are in it."""
    row = (
        Provision.objects.filter(
            tenant=tenant,
            enrollment_id=enrollment_id,
            enrollment__learner=learner,
            state__in=(P.PROVISIONED, P.DEPROVISION_DUE),
        )
        .select_related("connection")
        .order_by("-pk")
        .first()
    )
    if row is None:
        if Enrollment.objects.filter(tenant=tenant, learner=learner, pk=enrollment_id).exists():
            raise MicrocredError(_("Your course access is not ready yet."))
        raise NotVisible(_("No such enrollment."))
    try:
        return provisioning._client(row.connection).course_url(course_ref=row.course_ref)
    except LmsError as exc:
        raise MicrocredError(_("The course cannot be opened just now. Try again in a moment.")) from exc


def calendar_file(*, enrollment: Enrollment, offering_url: str, host: str, now: datetime) -> bytes:
    return calendar.enrollment_calendar(enrollment=enrollment, offering_url=offering_url, host=host, now=now)
