"""A learner's e-mail in webhook deliveries: listed in their data download, replaced by the
anonymous reference when they delete their account (the delivery rows are kept)."""

from __future__ import annotations

import pytest

from enrollment import services as enrollment_services
from identity.services import account_delete, account_export
from tests.factories import UserFactory
from tests.webhooks.conftest import endpoint, free_offering
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def test_deliveries_are_exported_and_scrubbed_with_the_account(world, receiver):
    hook, _s = endpoint(world.a, receiver.url)
    learner = UserFactory.create(email="ada@example.org")
    enrollment = enrollment_services.enrollment_create(
        tenant=world.a, learner=learner, offering_id=free_offering(world.a_unit1).pk
    ).enrollment
    enrollment_services.enrollment_cancel(tenant=world.a, learner=learner, enrollment_id=enrollment.pk)
    exported = account_export(user=learner)["webhook_deliveries"]
    assert [(e["event"], e["sent_to"], e["status"]) for e in exported] == [
        ("enrollment.confirmed", "127.0.0.1", "pending"),
        ("enrollment.cancelled", "127.0.0.1", "pending"),
    ]
    assert exported[0]["data"]["learner"] == {"email": "ada@example.org"}

    account_delete(user=learner)
    learner.refresh_from_db()
    rows = list(Delivery.objects.filter(endpoint=hook).order_by("pk"))
    assert len(rows) == 2
    for row in rows:
        assert "ada@example.org" not in str(row.payload)
        assert row.payload["data"]["learner"]["email"] == f"{learner.anonymous_reference}@erased.invalid"
        assert row.payload["data"]["id"] == enrollment.pk


def test_merging_two_accounts_moves_their_deliveries_in_that_tenant(world, receiver):
    from learners.services.staff import account_merge
    from tenants.selectors import staff_access

    endpoint(world.a, receiver.url)
    work = UserFactory.create(email="ada@work.example")
    ada = UserFactory.create(email="ada@example.org")
    for learner in (work, ada):
        enrollment_services.enrollment_create(
            tenant=world.a, learner=learner, offering_id=free_offering(world.a_unit1).pk
        )
    merged = account_merge(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=world.a_admin),
        actor=world.a_admin,
        source_id=work.pk,
        target_id=ada.pk,
    )
    assert merged.moved["webhook_deliveries"] == 1
    assert Delivery.objects.filter(learner=ada).count() == 2
