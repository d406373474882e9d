"""The demo data `make run` seeds: two institutions, so tenant isolation can be seen."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from identity.models import User
from tenants.demo_accounts import DEMO_PASSWORD
from tenants.models import Domain, SettlementKind, StaffMembership, StaffRole, Tenant, Unit


@dataclass(frozen=True)
class UnitSpec:
    slug: str
    name: str
    colour: str
    tagline: str
    gl_code: str
    stripe_account_id: str = ""


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    time_zone: str
    colour: str
    contact_email: str
    hosts: tuple[str, ...]
    units: tuple[UnitSpec, ...]
    currency: str = "USD"


TENANTS = (
    TenantSpec(
        slug="northfield",
        name="Northfield University",
        time_zone="America/Chicago",
        colour="#1f4e79",
        contact_email="learn@northfield.localhost",
        hosts=("localhost", "127.0.0.1"),
        units=(
            UnitSpec(
                "continuing-ed",
                "Continuing Education",
                "#1f4e79",
                "Learning for life, on your schedule",
                "CE-4100",
            ),
            UnitSpec(
                "business",
                "School of Business",
                "#7a1f3d",
                "Executive and professional education",
                "BUS-4200",
                stripe_account_id="acct_1DemoBusinessUnit",
            ),
            UnitSpec(
                "nursing",
                "College of Nursing",
                "#0f6b5c",
                "Clinical skills for practising nurses",
                "NUR-4300",
            ),
        ),
    ),
    TenantSpec(
        slug="harbor",
        name="Harbor Community College",
        time_zone="America/Los_Angeles",
        colour="#8a3b00",
        contact_email="workforce@harbor.localhost",
        hosts=("harbor.localhost",),
        units=(
            UnitSpec("workforce", "Workforce Development", "#8a3b00", "Skills employers hire for", "WFD-100"),
        ),
        currency="CAD",
    ),
)


def _user(email: str, *, operator: bool = False) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        factory = User.objects.create_superuser if operator else User.objects.create_user
        user = factory(email=email, password=DEMO_PASSWORD)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _membership(
    tenant: Tenant, email: str, role: str, units: list[Unit] | None = None, *, all_units: bool = False
) -> None:
    membership, _ = StaffMembership.objects.get_or_create(
        tenant=tenant, user=_user(email), role=role, defaults={"all_units": all_units}
    )
    if units:
        membership.units.add(*units)


@transaction.atomic
def seed_demo() -> bool:
    """Create the demo tenants and accounts. Returns False when they already existed."""
    if Tenant.objects.filter(slug="northfield").exists():
        return False
    tenants: dict[str, Tenant] = {}
    for spec in TENANTS:
        tenant = Tenant.objects.create(
            slug=spec.slug,
            name=spec.name,
            time_zone=spec.time_zone,
            currency=spec.currency,
            primary_colour=spec.colour,
            contact_email=spec.contact_email,
        )
        for index, host in enumerate(spec.hosts):
            Domain.objects.create(tenant=tenant, host=host, is_primary=index == 0)
        for unit in spec.units:
            Unit.objects.create(
                tenant=tenant,
                slug=unit.slug,
                name=unit.name,
                primary_colour=unit.colour,
                tagline=unit.tagline,
                gl_code=unit.gl_code,
                contact_email=spec.contact_email,
                settlement_kind=(
                    SettlementKind.STRIPE_CONNECT
                    if unit.stripe_account_id
                    else SettlementKind.INTERNAL_LEDGER
                ),
                stripe_account_id=unit.stripe_account_id,
            )
        tenants[tenant.slug] = tenant
    northfield, harbor = tenants["northfield"], tenants["harbor"]
    _membership(northfield, "admin@northfield.localhost", StaffRole.TENANT_ADMIN)
    _membership(
        northfield,
        "ce-admin@northfield.localhost",
        StaffRole.UNIT_ADMIN,
        [northfield.units.get(slug="continuing-ed")],
    )
    _membership(northfield, "finance@northfield.localhost", StaffRole.FINANCE, all_units=True)
    _membership(harbor, "admin@harbor.localhost", StaffRole.TENANT_ADMIN)
    _user("operator@microcred.localhost", operator=True)
    return True
