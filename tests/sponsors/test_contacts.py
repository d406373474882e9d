"""A new contact of an employer is told once, in the unit's brand, where to hand out its seats."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from sponsors.models import EmployerContact
from sponsors.services import employers
from tenants.selectors import staff_access
from tests.mail_backends import REFUSING
from tests.payments.conftest import Shop


def _employer(shop: Shop, callbacks: Any, **extra: Any) -> Any:
    access = staff_access(user=shop.world.a_admin, tenant=shop.tenant)
    with callbacks(execute=True):
        return employers.employer_create(
            tenant=shop.tenant,
            access=access,
            organisation="Acme Training",
            billing_email="billing@acme.test",
            unit=shop.world.a_unit1,
            contact_emails=["hr@acme.test"],
            **extra,
        )


def test_a_new_contact_gets_one_e_mail_with_the_portal_in_the_unit_s_brand(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    employer = _employer(shop, django_capture_on_commit_callbacks)

    told = [m for m in mail.outbox if m.to == ["hr@acme.test"]]
    assert len(told) == 1
    assert told[0].subject == f"[{shop.world.a_unit1.name}] Hand out Acme Training's sponsored seats"
    assert "/sponsor/" in told[0].body
    contact = EmployerContact.objects.get(employer=employer)
    assert contact.told_at is not None

    # The job again, or the contact added again: no second e-mail.
    assert employers.contact_tell(contact_id=contact.pk) is False
    with django_capture_on_commit_callbacks(execute=True):
        employers.contact_add(tenant=shop.tenant, employer=employer, email="HR@acme.test")
    assert len([m for m in mail.outbox if m.to == ["hr@acme.test"]]) == 1


@pytest.mark.usefixtures("eager_tasks")
def test_a_mail_server_refusing_it_leaves_it_to_send_again(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with override_settings(EMAIL_DELIVERY_BACKEND=REFUSING):
        employer = _employer(shop, django_capture_on_commit_callbacks)
    contact = EmployerContact.objects.get(employer=employer)
    assert contact.told_at is None
    assert contact.told_claimed_at is None
    assert mail.outbox == []

    assert employers.contact_tell(contact_id=contact.pk) is True
    assert len([m for m in mail.outbox if m.to == ["hr@acme.test"]]) == 1
