"""Employers and their contacts (each new contact is e-mailed once where the portal is)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_after_commit
from core.mail import deliver_now
from learners.services.signin import learner_account_ensure
from sponsors.errors import PoolRefused
from sponsors.models import Employer, EmployerContact, Unredeemed
from tenants.brand import Brand
from tenants.errors import NotVisible
from tenants.mail import branded_email, site_url
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
    unredeemed: str = Unredeemed.EXPIRE,
) -> Employer:
    """A new employer of the tenant (or of one unit the staff member runs), with its contacts:
    each an account matched or made by e-mail, who signs in with an e-mail code."""
    organisation = " ".join(organisation.split())
    if not organisation:
        raise PoolRefused(_("Name the organisation."), fields={"organisation": [_("Name the organisation.")]})
    if unit is not None and (unit.tenant_id != tenant.pk or not access.manages_unit(unit)):
        raise NotVisible(_("No such unit."))
    billing_email = _email(billing_email, "billing_email")
    if unredeemed not in Unredeemed.values:
        raise PoolRefused(
            _("Choose what happens to seats not handed out."), fields={"unredeemed": [_("Choose one.")]}
        )
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
                unredeemed=unredeemed,
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
    contact, created = EmployerContact.objects.get_or_create(
        tenant=tenant, employer=employer, user=identity.user
    )
    if created:
        enqueue_after_commit("sponsors.tell_contact", contact.pk)
    return contact


CLAIM_TIMEOUT = timedelta(minutes=10)


def contact_tell(*, contact_id: int, now: datetime | None = None) -> bool:
    """The e-mail that tells a new contact where to hand out the employer's seats, once: its
    sender claims the row (a conditional UPDATE), marks it told once the mail server took it, and
    releases the claim when it did not (the job retries)."""
    now = now or timezone.now()
    claimed = (
        EmployerContact.objects.filter(pk=contact_id, told_at__isnull=True)
        .filter(Q(told_claimed_at__isnull=True) | Q(told_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(told_claimed_at=now)
    )
    if not claimed:
        return False
    contact = EmployerContact.objects.select_related("employer__unit", "employer__tenant", "user").get(
        pk=contact_id
    )
    employer = contact.employer
    brand = Brand.of_unit(employer.unit) if employer.unit is not None else Brand.of_tenant(employer.tenant)
    base = site_url(employer.tenant)
    try:
        deliver_now(
            branded_email(
                brand=brand,
                to=[contact.user.email],
                template_prefix="sponsors/email/contact_added",
                context={
                    "employer": employer,
                    "portal_url": base + reverse("sponsor-portal"),
                    "sign_in_url": base + reverse("account_login"),
                },
                language=settings.LANGUAGE_CODE,
            )
        )
    except Exception:
        EmployerContact.objects.filter(pk=contact_id, told_claimed_at=now).update(told_claimed_at=None)
        raise
    EmployerContact.objects.filter(pk=contact_id).update(told_at=timezone.now())
    return True
