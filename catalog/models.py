"""What is earned (Microcredential), its scheduled runs (Offering), and refund policies as data."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import CombinedExpression
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, Unit, validate_time_zone

# Full-text search runs in one language for now (LANGUAGES is English only).
SEARCH_CONFIG = "english"
CURRENCY_RE = r"^[A-Z]{3}$"
# Stripe Checkout sessions live at least 30 minutes and at most 24 hours; a paid seat hold
# expires with its checkout, so it stays inside that window.
MIN_PAID_HOLD_MINUTES = 30
MAX_HOLD_MINUTES = 24 * 60


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class CreditType(models.TextChoices):
    ECTS = "ects", _("ECTS credits")
    CEU = "ceu", _("Continuing education units (CEU)")
    CREDIT_HOURS = "credit_hours", _("Credit hours")


class Level(models.TextChoices):
    INTRODUCTORY = "introductory", _("Introductory")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class DeliveryMode(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Hybrid (online and in person)")


class RefundPolicy(models.Model):
    """What a learner gets back on cancelling: ordered tiers, an optional fee, and whether the seat
    is released. A unit has one default; an offering may override it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="refund_policies")
    name = models.CharField(_("name"), max_length=100)
    cancellation_fee_minor = models.PositiveIntegerField(_("cancellation fee (minor units)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code, like USD."))
    frees_seat = models.BooleanField(
        _("cancelling frees the seat"),
        default=True,
        help_text=_("The seat goes to the next person on the wait-list when a learner cancels."),
    )
    is_unit_default = models.BooleanField(_("default for the unit"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "refund policies"
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_unit_default=True), name="refund_policy_one_default_per_unit"
            ),
            models.UniqueConstraint(fields=["unit", "name"], name="refund_policy_name_unique_per_unit"),
            models.CheckConstraint(
                condition=Q(currency__regex=CURRENCY_RE), name="refund_policy_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RefundTier(models.Model):
    """`refund_percent` of the price comes back when cancelling more than `days_before_start` days
    before the start (calendar days in the offering's time zone: see catalog/refunds.py). Later than
    every tier: nothing."""

    policy = models.ForeignKey(RefundPolicy, on_delete=models.CASCADE, related_name="tiers")
    days_before_start = models.PositiveSmallIntegerField()
    refund_percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["-days_before_start"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "days_before_start"], name="refund_tier_unique_days"),
            models.CheckConstraint(
                condition=Q(refund_percent__gte=0, refund_percent__lte=100), name="refund_tier_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.refund_percent}% ≥ {self.days_before_start} days"


def search_document() -> CombinedExpression:
    """Title weighs most, then summary and skills, then outcomes, then the long description."""
    return (
        SearchVector("title", config=SEARCH_CONFIG, weight="A")
        + SearchVector("summary", config=SEARCH_CONFIG, weight="B")
        + SearchVector("skills", config=SEARCH_CONFIG, weight="B")
        + SearchVector("outcomes", config=SEARCH_CONFIG, weight="C")
        + SearchVector("description", config=SEARCH_CONFIG, weight="D")
    )


class Microcredential(models.Model):
    """What a learner earns. May stack: made of other microcredentials (`parts`)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="microcredentials")
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One or two sentences for cards."))
    description = models.TextField(_("description"), blank=True)
    outcomes = models.TextField(
        _("learning outcomes"), help_text=_("One per line: what a learner can do afterwards.")
    )
    skills = models.CharField(
        _("skills"), max_length=500, blank=True, help_text=_("Separated by commas, like SQL, pandas.")
    )
    credit_value = models.DecimalField(
        _("credit value"), max_digits=6, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    credit_type = models.CharField(
        _("credit type"), max_length=20, choices=CreditType.choices, default=CreditType.CEU
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.INTRODUCTORY)
    parts = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="stacks_into",
        verbose_name=_("stackable parts"),
        help_text=_("Microcredentials that together earn this one."),
    )
    bundle_discount_percent = models.PositiveSmallIntegerField(
        _("bundle discount (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_(
            "A stack with parts may be sold as a bundle: one order holding a seat in a run of every "
            "part, at the sum of their prices less this percentage. Empty: not sold as a bundle."
        ),
    )
    status = models.CharField(
        max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=search_document(), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["title"]
        indexes = [
            GinIndex(fields=["search_vector"], name="microcredential_search"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="microcredential_title_trgm"),
            models.Index(fields=["tenant", "status"], name="microcredential_tenant_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_value__gte=0), name="microcredential_credit_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(bundle_discount_percent__isnull=True)
                | Q(bundle_discount_percent__gte=1, bundle_discount_percent__lte=90),
                name="microcredential_bundle_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def outcome_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.outcomes.splitlines() if line.strip(" -•\t")]

    @property
    def skill_list(self) -> list[str]:
        return [skill.strip() for skill in self.skills.split(",") if skill.strip()]

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED


class Offering(models.Model):
    """One scheduled run (cohort) of a microcredential.

    `seats_taken` is the enrollment engine's counter of held, offered and confirmed seats; it
    changes only under a row lock or in one conditional UPDATE (services.offering_seats_take),
    and the database refuses it outside 0..capacity.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    microcredential = models.ForeignKey(Microcredential, on_delete=models.PROTECT, related_name="offerings")
    cohort_label = models.CharField(
        _("cohort name"), max_length=100, blank=True, help_text=_("Like “Spring 2026 evening cohort”.")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], help_text=_("Like America/Chicago.")
    )
    enrollment_opens_at = models.DateTimeField(_("enrollment opens"))
    enrollment_closes_at = models.DateTimeField(_("enrollment closes"))
    schedule = models.CharField(
        _("schedule"), max_length=300, blank=True, help_text=_("Like “Tuesdays and Thursdays, 6–8 pm”.")
    )
    delivery_mode = models.CharField(_("delivery mode"), max_length=20, choices=DeliveryMode.choices)
    location = models.CharField(
        _("location"), max_length=300, blank=True, help_text=_("Campus, building and room; needed in person.")
    )
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    price_minor = models.PositiveBigIntegerField(_("price (minor units)"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    seat_hold_minutes = models.PositiveSmallIntegerField(
        _("seat hold (minutes)"),
        default=MIN_PAID_HOLD_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HOLD_MINUTES)],
        help_text=_("How long a seat is kept while the learner pays (30 minutes to 24 hours)."),
    )
    waitlist_enabled = models.BooleanField(_("wait-list when full"), default=True)
    refund_policy = models.ForeignKey(
        RefundPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offerings",
        verbose_name=_("refund policy"),
        help_text=_("Leave empty to use the unit's default policy."),
    )
    lms_course_ref = models.CharField(
        _("LMS course reference"), max_length=200, blank=True, help_text=_("The course id in the LMS.")
    )
    status = models.CharField(
        max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # When the last seat was first taken (services.offering_seats_take sets it in the UPDATE that
    # takes it; a seat freed and taken again keeps the first time): how fast a run filled.
    filled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "status", "-starts_at", "-id"], name="offering_public_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__gte=0) & Q(seats_taken__lte=F("capacity")),
                name="offering_seats_within_capacity",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="offering_capacity_positive"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="offering_ends_after_start"),
            models.CheckConstraint(
                condition=Q(enrollment_closes_at__gt=F("enrollment_opens_at")),
                name="offering_enrollment_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(enrollment_closes_at__lte=F("ends_at")), name="offering_enrollment_closes_by_end"
            ),
            models.CheckConstraint(condition=Q(currency__regex=CURRENCY_RE), name="offering_currency_iso"),
            models.CheckConstraint(
                condition=Q(seat_hold_minutes__gte=1, seat_hold_minutes__lte=MAX_HOLD_MINUTES),
                name="offering_seat_hold_range",
            ),
        ]

    def __str__(self) -> str:
        label = f" — {self.cohort_label}" if self.cohort_label else ""
        return f"{self.microcredential.title}{label}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[Any]] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.setdefault("ends_at", []).append(_("The end must be after the start."))
        if self.enrollment_opens_at and self.enrollment_closes_at:
            if self.enrollment_closes_at <= self.enrollment_opens_at:
                errors.setdefault("enrollment_closes_at", []).append(
                    _("Enrollment must close after it opens.")
                )
            elif self.ends_at and self.enrollment_closes_at > self.ends_at:
                errors.setdefault("enrollment_closes_at", []).append(
                    _("Enrollment must close by the time the offering ends.")
                )
        if self.delivery_mode in (DeliveryMode.IN_PERSON, DeliveryMode.HYBRID) and not self.location.strip():
            errors.setdefault("location", []).append(_("Say where learners meet: campus, building, room."))
        if self.price_minor and self.seat_hold_minutes < MIN_PAID_HOLD_MINUTES:
            errors.setdefault("seat_hold_minutes", []).append(
                _("A paid seat is held at least 30 minutes: card checkout needs that long.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_taken >= self.capacity

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    def enrollment_state(self, now: datetime | None = None) -> EnrollmentState:
        now = now or timezone.now()
        if now < self.enrollment_opens_at:
            return EnrollmentState.NOT_YET_OPEN
        if now >= self.enrollment_closes_at:
            return EnrollmentState.CLOSED
        if self.is_full:
            return EnrollmentState.WAITLIST if self.waitlist_enabled else EnrollmentState.FULL
        return EnrollmentState.OPEN


class EnrollmentState(models.TextChoices):
    """Where an offering's enrollment stands now (computed, not stored)."""

    NOT_YET_OPEN = "not_yet_open", _("Enrollment not yet open")
    OPEN = "open", _("Open")
    WAITLIST = "waitlist", _("Full, wait-list open")
    FULL = "full", _("Full")
    CLOSED = "closed", _("Enrollment closed")


class CatalogEvent(models.Model):
    """Append-only: who changed what in the catalog, when, from which state to which, and why."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    microcredential = models.ForeignKey(
        Microcredential, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    offering = models.ForeignKey(
        Offering, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state} at {self.at:%Y-%m-%d %H:%M}"
