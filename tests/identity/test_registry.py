"""The personal-data registry: every app's real handler is registered, and deletion is one
transaction across them (a failing handler changes nothing anywhere)."""

from __future__ import annotations

import pytest

from identity import registry
from identity.errors import AccountDeletionRefused
from identity.services import account_delete, account_export
from learners.models import ContactConsent
from learners.registry import learner_sources, merge_movers
from tests.factories import UserFactory


def test_each_app_registers_its_personal_data():
    assert [h.section for h in registry.personal_data_handlers()] == [
        "account",
        "staff",
        "learners",
        "enrollments",
        "orders",
        "credentials",
        "oidc_sign_ins",
        "sponsored_seats",
        "webhook_deliveries",
        "notify_me",
    ]


def test_learners_registers_its_movers_and_lookup_source():
    assert [name for name, _ in merge_movers.items()] == [
        "learner_records",
        "contact_consents",
        "reminder_opt_outs",
        "enrollments",
        "orders",
        "credentials",
        "webhook_deliveries",
        "notify_me",
    ]
    assert [name for name, _ in learner_sources.items()] == ["learner_records", "enrollments"]


def test_a_section_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="'account' is already registered"):
        registry.register_personal_data("account", export=lambda u: {}, erase=lambda u, r: None)


def test_a_failing_eraser_rolls_the_whole_deletion_back(world):
    ContactConsent.objects.create(
        tenant=world.a, user=world.learner, unit=world.a_unit1, topic="events", granted=True
    )

    def fails(user, reference):
        raise RuntimeError("refund system unreachable")

    registry.register_personal_data("zz", export=lambda u: {}, erase=fails)
    try:
        with pytest.raises(RuntimeError):
            account_delete(user=world.learner)
    finally:
        registry.personal_data.unregister("zz")

    world.learner.refresh_from_db()
    assert world.learner.is_active
    assert world.learner.email.endswith("@example.test")
    assert ContactConsent.objects.filter(user=world.learner).count() == 1


def test_a_blocker_refuses_deletion_with_its_reason(world):
    with pytest.raises(AccountDeletionRefused) as refused:
        account_delete(user=world.a_admin)

    assert refused.value.reasons == [
        "You are staff of Alpha University. Ask an administrator there to remove your role before "
        "deleting your account."
    ]
    assert refused.value.code == "account_deletion_refused"


def test_export_of_someone_with_nothing_held_is_still_complete(db):
    person = UserFactory.create()

    data = account_export(user=person)

    assert data["staff"] == {"roles": [], "api_tokens": [], "invitations_received": []}
    assert data["learners"] == {
        "learner_records": [],
        "contact_consents": [],
        "reminders_turned_off": [],
        "account_merges": [],
    }
