from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

from identity.models import User
from tenants.models import Domain, StaffMembership, StaffRole, Tenant, Unit

PASSWORD = "correct-horse-battery"
# Every staff member made here with an authenticator app uses this TOTP secret (base32).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MFA_ROLES = {StaffRole.TENANT_ADMIN, StaffRole.FINANCE}


class TenantFactory(factory.django.DjangoModelFactory[Tenant]):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Institution {n}")
    contact_email = factory.LazyAttribute(lambda t: f"info@{t.slug}.test")

    @factory.post_generation
    def hosts(obj: Tenant, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        for index, host in enumerate(extracted or [f"{obj.slug}.test"]):
            Domain.objects.create(tenant=obj, host=host, is_primary=index == 0)


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit

    tenant = factory.SubFactory(TenantFactory)
    slug = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")
    gl_code = factory.Sequence(lambda n: f"GL-{n:04d}")
    primary_colour = "#1f4e79"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        obj.save()
        EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


def add_authenticator(user: User) -> Authenticator:
    """An authenticator app (TOTP with TOTP_SECRET), as allauth.mfa stores one."""
    return TOTP.activate(user, TOTP_SECRET).instance


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows now."""
    code: str = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    return code


def make_staff(
    tenant: Tenant,
    role: str,
    units: list[Unit] | None = None,
    all_units: bool = False,
    mfa: bool | None = None,
) -> User:
    """A staff member. Tenant admins and finance get an authenticator app unless mfa=False, as
    the console requires one for them."""
    user = UserFactory.create()
    membership = StaffMembership.objects.create(tenant=tenant, user=user, role=role, all_units=all_units)
    if units:
        membership.units.set(units)
    if mfa if mfa is not None else role in MFA_ROLES:
        add_authenticator(user)
    return user


__all__ = [
    "PASSWORD",
    "TOTP_SECRET",
    "StaffRole",
    "TenantFactory",
    "UnitFactory",
    "UserFactory",
    "add_authenticator",
    "make_staff",
    "totp_code",
]
