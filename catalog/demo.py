"""The demo catalog `make run` seeds on top of the demo tenants (tenants.demo).

Dates are set relative to the day it is seeded, so every case is there to see: free, paid,
nearly full, full with a wait-list, enrollment not yet open, closed, online and in person, and two
currencies across tenants (Northfield in USD, Harbor in CAD).

Offerings start with no seat taken: `OfferingSpec.seats_taken` is how many demo learners
enrollment.demo enrolls in each, through the enrollment engine, so every taken seat has its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from catalog.cache import catalog_changed
from catalog.models import (
    CreditType,
    DeliveryMode,
    Level,
    Microcredential,
    Offering,
    PublicationStatus,
    RefundPolicy,
    RefundTier,
)
from tenants.models import Tenant, Unit

P = PublicationStatus


@dataclass(frozen=True)
class PolicySpec:
    unit: str
    name: str
    tiers: tuple[tuple[int, int], ...]
    fee_minor: int = 0
    default: bool = True
    frees_seat: bool = True


@dataclass(frozen=True)
class CredentialSpec:
    key: str
    unit: str
    title: str
    summary: str
    outcomes: str
    skills: str
    credits: str
    credit_type: str
    level: str = Level.INTRODUCTORY
    description: str = ""
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfferingSpec:
    credential: str
    # Days from today (in the tenant's time zone) to the first session, and how long it runs.
    starts_in: int
    weeks: int
    price_minor: int
    capacity: int
    seats_taken: int
    mode: str
    location: str = ""
    schedule: str = ""
    # Enrollment opens this many days from today (negative: already open) and closes this many
    # days before the start (negative: stays open after the start).
    opens_in: int = -30
    closes_before_start: int = 1
    waitlist: bool = True
    label: str = ""
    policy: str = ""  # a non-default policy's name
    extra: dict[str, str] = field(default_factory=dict)


NORTHFIELD_POLICIES = (
    PolicySpec("continuing-ed", "Standard", ((14, 100), (3, 50)), fee_minor=2500),
    PolicySpec("business", "Executive education", ((30, 100), (7, 50))),
    PolicySpec("nursing", "Clinical placement", ((21, 100),), frees_seat=False),
    PolicySpec("nursing", "Flexible", ((0, 100),), default=False),
)
HARBOR_POLICIES = (PolicySpec("workforce", "Workforce standard", ((7, 100), (1, 75)), fee_minor=1500),)

NORTHFIELD_CREDENTIALS = (
    CredentialSpec(
        "python",
        "continuing-ed",
        "Python for Data Analysis",
        "Clean, explore and chart real data sets with Python and pandas.",
        "Load CSV and Excel data into pandas\nClean messy columns and missing values\n"
        "Summarise data with group-by and pivot tables\nChart findings with matplotlib",
        "Python, pandas, data cleaning, matplotlib",
        "3",
        CreditType.CEU,
        description="Six weeks of hands-on evening sessions for people who work with spreadsheets "
        "and want to do more. No programming experience needed.",
    ),
    CredentialSpec(
        "sql",
        "continuing-ed",
        "SQL Fundamentals",
        "Ask questions of a database: select, join, group and summarise.",
        "Write SELECT queries with filters and sorting\nJoin tables\nAggregate with GROUP BY",
        "SQL, PostgreSQL, joins, reporting",
        "2",
        CreditType.CEU,
    ),
    CredentialSpec(
        "analytics",
        "continuing-ed",
        "Data Analytics Certificate",
        "Stack Python for Data Analysis and SQL Fundamentals into a certificate.",
        "Combine SQL and Python to answer business questions\nPresent an analysis to stakeholders",
        "data analysis, SQL, Python",
        "6",
        CreditType.CEU,
        level=Level.INTERMEDIATE,
        parts=("python", "sql"),
    ),
    CredentialSpec(
        "digital",
        "continuing-ed",
        "Digital Skills for Everyone",
        "Email, video calls, online safety and office documents, at your own pace.",
        "Stay safe online\nWrite and format documents\nJoin and host video calls",
        "online safety, documents, video calls",
        "0",
        CreditType.CEU,
    ),
    CredentialSpec(
        "pm",
        "continuing-ed",
        "Project Management Essentials",
        "Plan, schedule and deliver projects with proven methods.",
        "Write a project charter\nBuild a schedule and a risk register\nReport progress to sponsors",
        "project management, scheduling, risk, agile",
        "2.5",
        CreditType.CEU,
    ),
    CredentialSpec(
        "leading",
        "business",
        "Leading Hybrid Teams",
        "Lead people who work in the office and at home: trust, rituals and results.",
        "Set team agreements for hybrid work\nRun inclusive meetings\nCoach remote team members",
        "leadership, hybrid work, coaching",
        "5",
        CreditType.ECTS,
        level=Level.ADVANCED,
    ),
    CredentialSpec(
        "finance",
        "business",
        "Financial Modelling in Excel",
        "Build three-statement models and test decisions with scenarios.",
        "Build a three-statement model\nValue a business with discounted cash flows\nRun scenarios",
        "Excel, financial modelling, valuation",
        "5",
        CreditType.ECTS,
        level=Level.INTERMEDIATE,
    ),
    CredentialSpec(
        "negotiation",
        "business",
        "Negotiation Skills",
        "Prepare, open and close negotiations that leave both sides better off.",
        "Prepare a negotiation plan\nUse anchors and concessions well\nClose and document agreements",
        "negotiation, communication",
        "2",
        CreditType.ECTS,
    ),
    CredentialSpec(
        "wound",
        "nursing",
        "Advanced Wound Care",
        "Assess and treat complex wounds, with supervised clinical practice.",
        "Assess chronic wounds\nChoose dressings and therapies\nDocument wound progress",
        "wound assessment, dressings, clinical documentation",
        "30",
        CreditType.CREDIT_HOURS,
        level=Level.ADVANCED,
    ),
    CredentialSpec(
        "pharm",
        "nursing",
        "Pharmacology Refresher",
        "Safe medication practice for returning nurses, online.",
        "Calculate doses safely\nRecognise interactions and adverse effects",
        "pharmacology, medication safety, dosage calculation",
        "1.5",
        CreditType.CEU,
    ),
)

NORTHFIELD_OFFERINGS = (
    # Paid, open, plenty of seats; and its next cohort (enrollment not yet open).
    OfferingSpec(
        "python", 20, 6, 125000, 24, 9, DeliveryMode.ONLINE, schedule="Tuesdays and Thursdays, 6–8 pm"
    ),
    OfferingSpec(
        "python",
        75,
        6,
        125000,
        24,
        0,
        DeliveryMode.IN_PERSON,
        location="Northfield Downtown Campus, Room 210",
        schedule="Saturdays, 9 am – 1 pm",
        opens_in=14,
        label="Summer cohort",
    ),
    # Nearly full: 3 seats left.
    OfferingSpec("sql", 12, 4, 45000, 20, 17, DeliveryMode.ONLINE, schedule="Wednesdays, 6–9 pm"),
    # Free and online.
    OfferingSpec("digital", 5, 4, 0, 200, 41, DeliveryMode.ONLINE, schedule="Self-paced, weekly live Q&A"),
    # In person, nearly full.
    OfferingSpec(
        "pm",
        30,
        8,
        89500,
        25,
        23,
        DeliveryMode.IN_PERSON,
        location="Northfield Main Campus, Harper Hall 104",
        schedule="Mondays, 6–9 pm",
    ),
    # Full with a wait-list.
    OfferingSpec(
        "leading",
        21,
        5,
        240000,
        12,
        12,
        DeliveryMode.HYBRID,
        location="School of Business, Executive Suite",
        schedule="Fridays, 1–5 pm",
    ),
    # Full, no wait-list.
    OfferingSpec(
        "leading",
        60,
        5,
        240000,
        12,
        12,
        DeliveryMode.HYBRID,
        location="School of Business, Executive Suite",
        waitlist=False,
        label="Autumn cohort",
    ),
    # Enrollment not yet open.
    OfferingSpec("finance", 45, 6, 180000, 30, 0, DeliveryMode.ONLINE, opens_in=9),
    # Enrollment closed (starts in a few days).
    OfferingSpec(
        "negotiation",
        4,
        3,
        95000,
        20,
        14,
        DeliveryMode.IN_PERSON,
        location="School of Business, Room 12",
        opens_in=-40,
        closes_before_start=6,
    ),
    OfferingSpec(
        "wound",
        35,
        10,
        155000,
        16,
        6,
        DeliveryMode.HYBRID,
        location="College of Nursing Skills Lab",
        schedule="Thursdays, 8 am – 4 pm",
    ),
    OfferingSpec("pharm", 10, 3, 32000, 40, 2, DeliveryMode.ONLINE, policy="Flexible"),
    OfferingSpec(
        "pharm", 50, 3, 32000, 40, 0, DeliveryMode.ONLINE, policy="Flexible", label="Evening cohort"
    ),
)

HARBOR_CREDENTIALS = (
    CredentialSpec(
        "forklift",
        "workforce",
        "Forklift Operator Certification",
        "Operate a forklift safely and pass the certification test.",
        "Inspect a forklift before use\nLift, move and stack loads safely",
        "forklift, warehouse safety",
        "1",
        CreditType.CEU,
    ),
    CredentialSpec(
        "welding",
        "workforce",
        "Welding Fundamentals",
        "MIG and stick welding in the college workshop.",
        "Set up MIG and stick welders\nLay sound beads in flat and horizontal positions",
        "welding, MIG, metal fabrication",
        "4",
        CreditType.CEU,
    ),
    CredentialSpec(
        "service",
        "workforce",
        "Customer Service Excellence",
        "Handle difficult conversations and keep customers coming back.",
        "De-escalate complaints\nWrite clear service e-mails",
        "customer service, communication",
        "0.5",
        CreditType.CEU,
    ),
)

HARBOR_OFFERINGS = (
    OfferingSpec("forklift", 9, 1, 18000, 10, 7, DeliveryMode.IN_PERSON, location="Harbor Logistics Yard"),
    OfferingSpec("welding", 25, 8, 95000, 12, 4, DeliveryMode.IN_PERSON, location="Harbor Trades Workshop"),
    OfferingSpec("service", 3, 2, 0, 60, 12, DeliveryMode.ONLINE),
)


def course_ref(tenant: Tenant, spec: OfferingSpec) -> str:
    """A demo offering's LMS reference: unique per tenant, so enrollment.demo finds it again."""
    return f"{tenant.slug.upper()}-{spec.credential.upper()}-{spec.starts_in}"


def _policies(tenant: Tenant, specs: tuple[PolicySpec, ...]) -> dict[tuple[str, str], RefundPolicy]:
    made = {}
    for spec in specs:
        unit = Unit.objects.get(tenant=tenant, slug=spec.unit)
        policy = RefundPolicy.objects.create(
            tenant=tenant,
            unit=unit,
            name=spec.name,
            currency=tenant.currency,
            cancellation_fee_minor=spec.fee_minor,
            frees_seat=spec.frees_seat,
            is_unit_default=spec.default,
        )
        RefundTier.objects.bulk_create(
            RefundTier(policy=policy, days_before_start=days, refund_percent=percent)
            for days, percent in spec.tiers
        )
        made[(spec.unit, spec.name)] = policy
    return made


def _credentials(tenant: Tenant, specs: tuple[CredentialSpec, ...]) -> dict[str, Microcredential]:
    now = timezone.now()
    made: dict[str, Microcredential] = {}
    for spec in specs:
        made[spec.key] = Microcredential.objects.create(
            tenant=tenant,
            unit=Unit.objects.get(tenant=tenant, slug=spec.unit),
            title=spec.title,
            summary=spec.summary,
            description=spec.description,
            outcomes=spec.outcomes,
            skills=spec.skills,
            credit_value=Decimal(spec.credits),
            credit_type=spec.credit_type,
            level=spec.level,
            status=P.PUBLISHED,
            published_at=now,
        )
    for spec in specs:
        if spec.parts:
            made[spec.key].parts.set([made[key] for key in spec.parts])
    return made


def _at(day: datetime, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=tz)


def _offerings(
    tenant: Tenant,
    specs: tuple[OfferingSpec, ...],
    credentials: dict[str, Microcredential],
    policies: dict[tuple[str, str], RefundPolicy],
) -> None:
    tz = ZoneInfo(tenant.time_zone)
    today = timezone.localtime(timezone.now(), tz)
    for spec in specs:
        credential = credentials[spec.credential]
        starts = _at(today + timedelta(days=spec.starts_in), 18, tz)
        ends = starts + timedelta(weeks=spec.weeks - 1, hours=3)  # the last session's end
        closes = starts - timedelta(days=spec.closes_before_start)
        Offering.objects.create(
            tenant=tenant,
            microcredential=credential,
            cohort_label=spec.label,
            starts_at=starts,
            ends_at=ends,
            time_zone=tenant.time_zone,
            enrollment_opens_at=_at(today + timedelta(days=spec.opens_in), 9, tz),
            enrollment_closes_at=min(closes, ends),
            schedule=spec.schedule,
            delivery_mode=spec.mode,
            location=spec.location,
            capacity=spec.capacity,
            price_minor=spec.price_minor,
            currency=tenant.currency,
            waitlist_enabled=spec.waitlist,
            refund_policy=policies[(credential.unit.slug, spec.policy)] if spec.policy else None,
            lms_course_ref=course_ref(tenant, spec),
            status=P.PUBLISHED,
            published_at=timezone.now(),
        )


@transaction.atomic
def seed_catalog() -> bool:
    """Add the demo catalog to the demo tenants. Returns False when it is already there."""
    northfield = Tenant.objects.filter(slug="northfield").first()
    harbor = Tenant.objects.filter(slug="harbor").first()
    if northfield is None or harbor is None or Microcredential.objects.filter(tenant=northfield).exists():
        return False
    if harbor.currency != "CAD":  # seeded before the catalog existed: Harbor sells in Canadian dollars
        harbor.currency = "CAD"
        harbor.save(update_fields=["currency"])
    for tenant, policy_specs, credential_specs, offering_specs in (
        (northfield, NORTHFIELD_POLICIES, NORTHFIELD_CREDENTIALS, NORTHFIELD_OFFERINGS),
        (harbor, HARBOR_POLICIES, HARBOR_CREDENTIALS, HARBOR_OFFERINGS),
    ):
        policies = _policies(tenant, policy_specs)
        credentials = _credentials(tenant, credential_specs)
        _offerings(tenant, offering_specs, credentials, policies)
        catalog_changed(tenant.pk)
    return True
