from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from identity.models import User
from tenants.models import Domain, StaffMembership, StaffRole, Tenant, Unit

PASSWORD = "correct-horse-battery"


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


def make_staff(tenant: Tenant, role: str, units: list[Unit] | None = None, all_units: bool = False) -> User:
    user = UserFactory.create()
    membership = StaffMembership.objects.create(tenant=tenant, user=user, role=role, all_units=all_units)
    if units:
        membership.units.set(units)
    return user


__all__ = ["PASSWORD", "StaffRole", "TenantFactory", "UnitFactory", "UserFactory", "make_staff"]
