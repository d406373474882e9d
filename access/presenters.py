"""Course access in words: on the roster for staff (enrollment.extensions.roster_extras) and in
My learning for the learner (enrollment.extensions.my_learning)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from access.models import Provision, ProvisionState
from access.services.completions import IN_COURSE
from catalog.models import Offering
from core.dates import date_time
from enrollment.extensions import Extra, RosterAction, RosterExtra, RosterNote
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from tenants.models import Tenant

P = ProvisionState


def state_text(row: Provision, offering: Offering) -> str:
    """What staff read: "LMS: In the course", "LMS: Failed: <the LMS's words>", …"""
    if row.state == P.PENDING:
        text = _("Waiting to be added")
        if row.last_error:
            text = _("Waiting to be added (trying again: %(error)s)") % {"error": row.last_error}
    elif row.state == P.PROVISIONED:
        text = _("In the course")
    elif row.state == P.FAILED:
        what = _("could not be added") if row.wanted else _("could not be removed")
        text = _("Failed, %(what)s: %(error)s") % {
            "what": what,
            "error": row.last_error or _("no reason given"),
        }
    elif row.state == P.DEPROVISION_DUE:
        if row.deprovision_after is None:
            text = _("Access ending")
        else:
            text = _("Access ending on %(when)s") % {"when": date_time(row.deprovision_after, offering.tz)}
    else:
        text = _("Removed from the course")
    return _("LMS: %(state)s") % {"state": text}


def roster_extra(*, tenant: Tenant, offering: Offering, enrollment_ids: list[int]) -> RosterExtra:
    rows = Provision.objects.filter(tenant=tenant, enrollment_id__in=enrollment_ids).order_by("pk")
    notes: dict[int, tuple[RosterNote, ...]] = {}
    any_in_course = False
    for row in rows:
        actions: tuple[RosterAction, ...] = ()
        if row.state == P.FAILED:
            actions = (
                RosterAction(
                    _("Retry adding to the LMS") if row.wanted else _("Retry removing from the LMS"),
                    reverse("console-provision-retry", args=[row.pk]),
                ),
            )
        any_in_course = any_in_course or row.state in IN_COURSE
        note = RosterNote(state_text(row, offering), problem=row.state == P.FAILED, actions=actions)
        notes[row.enrollment_id] = (*notes.get(row.enrollment_id, ()), note)
    roster_actions: tuple[RosterAction, ...] = ()
    if any_in_course:
        roster_actions = (
            RosterAction(
                _("Read completions from the LMS now"),
                reverse("console-completions-read", args=[offering.pk]),
            ),
        )
    return RosterExtra(notes=notes, actions=roster_actions)


def my_learning(*, tenant: Tenant, learner: User, enrollment_ids: list[int]) -> dict[int, Extra]:
    """'Go to your course' once the learner is in it; what to do while it is being set up; and
    'Add to calendar' for a confirmed seat."""
    enrollments = Enrollment.objects.filter(tenant=tenant, learner=learner, pk__in=enrollment_ids).only(
        "pk", "status", "offering_id"
    )
    rows = {
        (p.enrollment_id, p.offering_id): p
        for p in Provision.objects.filter(tenant=tenant, enrollment_id__in=enrollment_ids).select_related(
            "offering"
        )
    }
    found: dict[int, Extra] = {}
    for enrollment in enrollments:
        notes: tuple[str, ...] = ()
        links: tuple[tuple[str, str], ...] = ()
        row = rows.get((enrollment.pk, enrollment.offering_id))
        if row is not None and row.wanted:
            if row.state == P.PROVISIONED:
                links += ((_("Go to your course"), reverse("my-learning-course", args=[enrollment.pk])),)
            elif row.state == P.PENDING:
                notes += (_("Your course access is being set up; it usually takes a minute."),)
            elif row.state == P.FAILED:
                notes += (_("We could not add you to the course yet; the unit has been told."),)
        elif row is not None and row.state == P.DEPROVISION_DUE and row.deprovision_after is not None:
            links += ((_("Go to your course"), reverse("my-learning-course", args=[enrollment.pk])),)
            notes += (
                _("Your course access ends on %(when)s.")
                % {"when": date_time(row.deprovision_after, row.offering.tz)},
            )
        if enrollment.status == EnrollmentStatus.CONFIRMED:
            links += ((_("Add to calendar"), reverse("my-learning-calendar", args=[enrollment.pk])),)
        if notes or links:
            found[enrollment.pk] = Extra(notes=notes, links=links)
    return found
