"""Enrollment's registrations with the apps below: personal data (export, erase, blocker), the
account-merge mover, and the learner-lookup source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    ACTIVE_STATES,
    Enrollment,
    EnrollmentMessage,
    EnrollmentStatus,
    IdempotencyRecord,
)
from enrollment.services._common import record
from enrollment.services.changes import enrollment_end_for_deletion
from identity.models import User
from identity.registry import register_personal_data
from learners.errors import MergeRefused
from learners.registry import MergeContext, learner_sources, merge_movers
from tenants.models import Tenant

S = EnrollmentStatus
# Ended on deletion (their seats and places go to others); a confirmed seat blocks it instead.
ENDED_ON_DELETION = (S.HELD, S.OFFERED, S.WAITLISTED)


def export(user: User) -> list[dict[str, Any]]:
    rows = (
        Enrollment.objects.filter(learner=user)
        .select_related("tenant", "offering__microcredential")
        .prefetch_related("events")
        .order_by("created_at", "pk")
    )
    return [
        {
            "institution": e.tenant.name,
            "course": e.offering.microcredential.title,
            "cohort": e.offering.cohort_label,
            "starts_at": e.offering.starts_at.isoformat(),
            "status": e.status,
            "enrolled_at": e.created_at.isoformat(),
            "hold_expires_at": e.hold_expires_at.isoformat() if e.hold_expires_at else None,
            "offer_expires_at": e.offer_expires_at.isoformat() if e.offer_expires_at else None,
            "history": [
                {
                    "at": ev.at.isoformat(),
                    "action": ev.action,
                    "from": ev.from_status,
                    "to": ev.to_status,
                    "reason": ev.reason,
                }
                for ev in e.events.all()
            ],
        }
        for e in rows
    ]


def blocker(user: User) -> str | None:
    """A confirmed seat in a course not yet over is not thrown away by deleting an account."""
    current = (
        Enrollment.objects.filter(learner=user, status=S.CONFIRMED, offering__ends_at__gt=timezone.now())
        .select_related("offering__microcredential")
        .first()
    )
    if current is None:
        return None
    return _("You are enrolled in “%(course)s”: cancel that enrollment first (or ask the unit to).") % {
        "course": current.offering.microcredential.title
    }


def erase(user: User, reference: str) -> None:
    """Holds, offers and wait-list places end (their seats go on); enrollments and their history
    stay, pointing at the anonymous account. Replay answers and unsent e-mails go."""
    for enrollment in Enrollment.objects.filter(learner=user, status__in=ENDED_ON_DELETION).select_related(
        "tenant"
    ):
        enrollment_end_for_deletion(
            tenant=enrollment.tenant,
            actor=user,
            enrollment_id=enrollment.pk,
            reason=_("The learner deleted their account (%(reference)s).") % {"reference": reference},
        )
    IdempotencyRecord.objects.filter(user=user).delete()
    EnrollmentMessage.objects.filter(enrollment__learner=user, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )


def move_enrollments(merge: MergeContext) -> int:
    """Re-point this tenant's enrollments from the merged-away account to the kept one."""
    source_rows = Enrollment.objects.filter(tenant=merge.tenant, learner=merge.source)
    clash = (
        source_rows.filter(status__in=sorted(ACTIVE_STATES))
        .filter(
            offering__enrollments__learner=merge.target,
            offering__enrollments__status__in=sorted(ACTIVE_STATES),
        )
        .select_related("offering__microcredential")
        .first()
    )
    if clash is not None:
        raise MergeRefused(
            _("Both accounts are enrolled or waiting in “%(course)s”: cancel one of them first.")
            % {"course": clash.offering.microcredential.title}
        )
    moved = 0
    for enrollment in source_rows.select_for_update().order_by("pk"):
        enrollment.learner = merge.target
        enrollment.save(update_fields=["learner"])
        record(
            enrollment,
            actor=merge.actor,
            action="learner_merged",
            from_status=enrollment.status,
            to_status=enrollment.status,
            reason=_("Two accounts of one person were merged."),
            details={"from_user": merge.source.pk, "to_user": merge.target.pk},
        )
        moved += 1
    return moved


def enrollments_source(
    *, tenant: Tenant, unit_ids: frozenset[int] | None, users: Sequence[User]
) -> Iterable[tuple[int, str]]:
    """Accounts with an enrollment (any state) in an offering of these units."""
    rows = Enrollment.objects.filter(tenant=tenant, learner__in=users)
    if unit_ids is not None:
        rows = rows.filter(offering__microcredential__unit_id__in=unit_ids)
    seen: set[tuple[int, str]] = set()
    for learner_id, title in rows.values_list("learner_id", "offering__microcredential__title").order_by(
        "learner_id", "offering__microcredential__title"
    ):
        if (learner_id, title) not in seen:
            seen.add((learner_id, title))
            yield learner_id, _("Enrolled in %(course)s") % {"course": title}


def register() -> None:
    register_personal_data("enrollments", export=export, erase=erase, blocker=blocker)
    merge_movers.register("enrollments", move_enrollments)
    learner_sources.register("enrollments", enrollments_source)
