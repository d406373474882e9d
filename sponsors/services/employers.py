"""Employers and their contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from learners.services.signin import learner_account_ensure
from sponsors.errors import PoolRefused
from sponsors.models import Employer, EmployerContact
from tenants.errors import NotVisible
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess


def _email(value: str, field: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise PoolRefused(
            _("Enter a valid e-mail address."), fields={field: [_("Enter a valid e-mail address.")]}
        ) from None
    return value


def employer_create(
    *,
    tenant: Tenant,
    access: StaffAccess,
    organisation: str,
    billing_email: str,
    billing_address: str = "",
    po_number: str = "",
    unit: Unit | None = None,
    contact_emails: list[str] | None = None,
) -> Employer:
    """A new employer of the tenant (or of one unit the staff member runs), with its contacts:
    each an account matched or made by e-mail, who signs in with an e-mail code."""
    organisation = " ".join(organisation.split())
    if not organisation:
        raise PoolRefused(_("Name the organisation."), fields={"organisation": [_("Name the organisation.")]})
    if unit is not None and (unit.tenant_id != tenant.pk or not access.manages_unit(unit)):
        raise NotVisible(_("No such unit."))
    billing_email = _email(billing_email, "billing_email")
    contacts = [_email(e, "contacts") for e in (contact_emails or []) if e.strip()]
    try:
        with transaction.atomic():
            employer = Employer.objects.create(
                tenant=tenant,
                unit=unit,
                organisation=organisation[:200],
                billing_email=billing_email,
                billing_address=billing_address.strip(),
                po_number=po_number.strip()[:100],
            )
            for email in contacts:
                contact_add(tenant=tenant, employer=employer, email=email)
    except IntegrityError:
        raise PoolRefused(
            _("An employer of this name exists already."),
            fields={"organisation": [_("An employer of this name exists already.")]},
        ) from None
    return employer


def contact_add(*, tenant: Tenant, employer: Employer, email: str) -> EmployerContact:
    if employer.tenant_id != tenant.pk:
        raise NotVisible(_("No such employer."))
    identity = learner_account_ensure(email=_email(email, "email"))
    contact, _created = EmployerContact.objects.get_or_create(
        tenant=tenant, employer=employer, user=identity.user
    )
    return contact
