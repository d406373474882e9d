"""learners' data about people, and its registrations: the personal-data section, the merge
movers and the learner-lookup source for the records learners keeps itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from identity.models import User
from identity.registry import register_personal_data
from learners.models import AccountMerge, ContactConsent, LearnerRecord, ReminderOptOut, StaffIssuedCode
from learners.registry import learner_sources, merge_movers
from learners.services.reminders import move_reminder_opt_out
from learners.services.staff import move_consents, move_learner_record
from tenants.models import Tenant


def export(user: User) -> dict[str, Any]:
    records = LearnerRecord.objects.filter(user=user).select_related("tenant", "merged_into__user")
    return {
        "learner_records": [
            {
                "institution": r.tenant.name,
                "origin": r.origin,
                "since": r.created_at.isoformat(),
                "last_seen_at": r.last_seen_at.isoformat(),
                "came_from_units": sorted(u.name for u in r.units.all()),
                "merged_at": r.merged_at.isoformat() if r.merged_at else None,
            }
            for r in records.order_by("created_at")
        ],
        "contact_consents": [
            {
                "institution": c.tenant.name,
                "unit": c.unit.name,
                "topic": c.topic,
                "granted": c.granted,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in ContactConsent.objects.filter(user=user)
            .select_related("tenant", "unit")
            .order_by("recorded_at", "pk")
        ],
        "reminders_turned_off": [
            {"institution": r.tenant.name, "at": r.created_at.isoformat()}
            for r in ReminderOptOut.objects.filter(user=user).select_related("tenant").order_by("created_at")
        ],
        "account_merges": [
            {
                "institution": m.tenant.name,
                "merged_at": m.created_at.isoformat(),
                "this_account_was": "source" if m.source_id == user.pk else "target",
                "moved": m.moved,
            }
            for m in AccountMerge.objects.filter(Q(source=user) | Q(target=user))
            .select_related("tenant")
            .order_by("created_at")
        ],
    }


def erase(user: User, reference: str) -> None:
    """Consents and pending codes go; learner records and the merge audit trail stay, pointing at
    the anonymous account, with e-mail snapshots replaced by the reference."""
    ContactConsent.objects.filter(user=user).delete()
    ReminderOptOut.objects.filter(user=user).delete()
    StaffIssuedCode.objects.filter(user=user).delete()
    AccountMerge.objects.filter(source=user).update(source_email=reference)
    AccountMerge.objects.filter(target=user).update(target_email=reference)
    AccountMerge.objects.filter(actor=user).update(actor_email=reference)


def records_source(
    *, tenant: Tenant, unit_ids: frozenset[int] | None, users: Sequence[User]
) -> Iterable[tuple[int, str]]:
    """Learners who came to this tenant's site (from one of these units' pages, for unit staff)."""
    records = LearnerRecord.objects.filter(tenant=tenant, user__in=users, merged_into__isnull=True)
    if unit_ids is None:
        for record in records:
            yield (
                record.user_id,
                _("Has used this site since %(date)s") % {"date": record.created_at.date().isoformat()},
            )
        return
    for record in records.filter(units__in=unit_ids).prefetch_related("units").distinct():
        names = sorted(u.name for u in record.units.all() if u.pk in unit_ids)
        yield record.user_id, _("Came from %(units)s") % {"units": ", ".join(names)}


def register() -> None:
    register_personal_data("learners", export=export, erase=erase)
    merge_movers.register("learner_records", move_learner_record)
    merge_movers.register("contact_consents", move_consents)
    merge_movers.register("reminder_opt_outs", move_reminder_opt_out)
    learner_sources.register("learner_records", records_source)
