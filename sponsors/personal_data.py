"""Sponsors' personal data: a learner's sponsored seats (who paid, whether they share their
progress with that employer, since when) and the employers a person hands out seats for.
"Delete my account" keeps the seat rows (the employer's invoice counts them) with the copied
e-mail address replaced by the anonymous reference, and ends the sharing; a contact's rows are
deleted (they only give access to the portal)."""

from __future__ import annotations

from typing import Any

from identity.models import User
from identity.registry import register_personal_data
from sponsors.models import EmployerContact, PoolSeat


def export(user: User) -> dict[str, Any]:
    seats = (
        PoolSeat.objects.filter(enrollment__learner=user)
        .select_related("pool__employer", "pool__microcredential", "tenant")
        .order_by("pk")
    )
    contacts = EmployerContact.objects.filter(user=user).select_related("employer", "tenant").order_by("pk")
    return {
        "seats": [
            {
                "institution": s.tenant.name,
                "sponsor": s.pool.employer.organisation,
                "microcredential": s.pool.microcredential.title,
                "redeemed_at": s.redeemed_at.isoformat() if s.redeemed_at else None,
                "shares_progress": s.shares_progress,
                "sharing_changed_at": s.sharing_changed_at.isoformat() if s.sharing_changed_at else None,
            }
            for s in seats
        ],
        "contact_for": [
            {"institution": c.tenant.name, "employer": c.employer.organisation} for c in contacts
        ],
    }


def erase(user: User, reference: str) -> None:
    PoolSeat.objects.filter(enrollment__learner=user).update(
        email=f"{reference}@erased.invalid", shares_progress=False
    )
    EmployerContact.objects.filter(user=user).delete()


def register() -> None:
    register_personal_data("sponsored_seats", export=export, erase=erase)
