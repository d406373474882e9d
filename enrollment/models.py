"""Enrollments: a learner's seat, hold, offer or wait-list place in one offering, and its history.

States (DESIGN.md): `held` (seat reserved while the learner pays, expires) → `confirmed` →
`completed`; `waitlisted` → `offered` (a freed seat reserved for this learner, expires) →
`held`/`confirmed`; any active state → `cancelled`; `held`/`offered` → `expired`.

What the database itself guarantees, whatever the code does:
- one active enrollment per (offering, learner): a partial unique index;
- an expiry exactly when the state has one (held: hold_expires_at, offered: offer_expires_at);
- the seat count (catalog.Offering.seats_taken, 0..capacity) changes in the same transaction
  as the enrollment row that takes or gives back the seat;
- EnrollmentEvent rows are never updated or deleted (a trigger refuses it);
- completion records (CompletionRecord) likewise, and each enrollment's records form one chain:
  one first record, each record replaced at most once, a correction always with its reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import CreditType, Level, Offering
from tenants.models import Tenant

ARRIVAL_SEQUENCE = "enrollment_arrival_seq"
DEFAULT_OFFER_WINDOW_HOURS = 48
MAX_OFFER_WINDOW_HOURS = 14 * 24


class EnrollmentStatus(models.TextChoices):
    HELD = "held", _("Seat held")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    WAITLISTED = "waitlisted", _("On the wait-list")
    OFFERED = "offered", _("Seat offered")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


S = EnrollmentStatus
# At most one of these per (offering, learner).
ACTIVE_STATES = frozenset({S.HELD, S.CONFIRMED, S.COMPLETED, S.WAITLISTED, S.OFFERED})
# These count in Offering.seats_taken.
SEAT_STATES = frozenset({S.HELD, S.CONFIRMED, S.COMPLETED, S.OFFERED})
# from → the states it may go to. Creation is `None →` held, confirmed or waitlisted.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({S.HELD, S.CONFIRMED, S.WAITLISTED}),
    S.HELD: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.COMPLETED, S.CANCELLED}),
    S.WAITLISTED: frozenset({S.OFFERED, S.CANCELLED}),
    S.OFFERED: frozenset({S.HELD, S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
# Only a completion's correction (enrollment.services.completion) may take these.
CORRECTIONS: dict[str, frozenset[str]] = {S.COMPLETED: frozenset({S.CONFIRMED})}


class Enrollment(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="enrollments")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # Wait-list order: the oldest waiting entry has the smallest value. Taken from a sequence
    # when the row is written (arrival order); a unit admin's promotion moves an entry to the
    # front by giving it a value below every other.
    arrival = models.BigIntegerField(
        db_default=Func(Value(ARRIVAL_SEQUENCE), function="nextval", output_field=models.BigIntegerField()),
        editable=False,
    )
    # The place in line the row took when it last joined a wait-list (1: next in line), set by
    # the wait-list count's trigger under the count's row lock (migration 0002/0007) and read
    # back by the INSERT itself; empty for a row that never waited. Not its place now (that is
    # enrollment.selectors.waitlist_position).
    joined_place = models.IntegerField(null=True, blank=True, db_default=None, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["arrival"]
        indexes = [
            models.Index(
                fields=["offering", "arrival"],
                condition=Q(status="waitlisted"),
                name="enrollment_waitlist_order",
            ),
            models.Index(fields=["offering", "status"], name="enrollment_offering_status"),
            models.Index(fields=["learner", "tenant"], name="enrollment_learner"),
            models.Index(fields=["hold_expires_at"], condition=Q(status="held"), name="enrollment_hold_due"),
            models.Index(
                fields=["offer_expires_at"], condition=Q(status="offered"), name="enrollment_offer_due"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "learner"],
                condition=Q(status__in=sorted(ACTIVE_STATES)),
                name="enrollment_one_active_per_learner",
                violation_error_message=_("This learner is already enrolled or waiting for this offering."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status="held", hold_expires_at__isnull=False)
                | (~Q(status="held") & Q(hold_expires_at__isnull=True)),
                name="enrollment_hold_expiry_iff_held",
            ),
            models.CheckConstraint(
                condition=Q(status="offered", offer_expires_at__isnull=False)
                | (~Q(status="offered") & Q(offer_expires_at__isnull=True)),
                name="enrollment_offer_expiry_iff_offered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} in {self.offering_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_STATES


class EnrollmentEvent(models.Model):
    """Append-only: who changed an enrollment, when, from which state to which, and why."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["enrollment", "at"], name="enrollment_event_history")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status or '∅'}→{self.to_status} at {self.at:%Y-%m-%d %H:%M}"


class WaitlistSettings(models.Model):
    """Per offering: how long a wait-list offer reserves a freed seat. No row: the default."""

    offering = models.OneToOneField(
        Offering, on_delete=models.CASCADE, primary_key=True, related_name="waitlist_settings"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    offer_window_hours = models.PositiveSmallIntegerField(
        _("offer window (hours)"),
        default=DEFAULT_OFFER_WINDOW_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_OFFER_WINDOW_HOURS)],
        help_text=_("How long a learner offered a freed seat has to accept it."),
    )

    class Meta:
        verbose_name_plural = "wait-list settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(offer_window_hours__gte=1, offer_window_hours__lte=MAX_OFFER_WINDOW_HOURS),
                name="waitlist_offer_window_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_window_hours} h for offering {self.offering_id}"

    @property
    def offer_window(self) -> timedelta:
        return timedelta(hours=self.offer_window_hours)


class WaitlistCount(models.Model):
    """Per offering: how many wait on its list now. Kept by a trigger on enrollment rows
    (migration 0002: +1 when a row starts waiting, -1 when it stops, whatever code path writes
    it), never by Python. A learner joining takes this row's lock first and only then their
    `arrival`, so joins of one offering line up in the order they commit: a newcomer is last, and
    `waiting` read in the joining transaction is their exact place in line (enroll answers it
    without counting the list)."""

    offering = models.OneToOneField(Offering, on_delete=models.CASCADE, primary_key=True, related_name="+")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    waiting = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(waiting__gte=0), name="waitlist_count_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.waiting} waiting for offering {self.offering_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an `Idempotency-Key`, replayed to its retries.

    Scoped to (tenant, account, key); `fingerprint` tells a retry from a different request that
    reuses the key. Kept a day (tasks.idempotency_records_purge).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"


class MessageKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Enrollment confirmed")
    HELD = "held", _("Seat held: pay to confirm")
    WAITLISTED = "waitlisted", _("Joined the wait-list")
    OFFERED = "offered", _("A seat is offered")
    CANCELLED = "cancelled", _("Enrollment cancelled")
    EXPIRED = "expired", _("Hold or offer expired")
    MOVED = "moved", _("Moved to another offering")
    # Reminders (enrollment.services.reminders): at most one of each per enrollment, ever.
    HOLD_REMINDER = "hold_reminder", _("Reminder: the held seat is about to expire")
    OFFER_REMINDER = "offer_reminder", _("Reminder: the offered seat is about to expire")
    START_REMINDER = "start_reminder", _("Reminder: the course starts in 3 days")


REMINDER_KINDS = (MessageKind.HOLD_REMINDER, MessageKind.OFFER_REMINDER, MessageKind.START_REMINDER)


class EnrollmentMessage(models.Model):
    """An e-mail to send about an enrollment: written in the transaction that changed it (an
    outbox), sent after commit by a Celery task, re-found by the minute sweep if the broker was
    down. `claimed_at` keeps two workers from sending the same message at once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="message_unsent")
        ]
        constraints = [
            # A reminder is queued once per enrollment and kind, however many sweeps run at once.
            models.UniqueConstraint(
                fields=["enrollment", "kind"],
                condition=Q(kind__in=[k.value for k in REMINDER_KINDS]),
                name="enrollment_message_reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for enrollment {self.enrollment_id}"


class CompletionOutcome(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Not completed")


class CompletionSource(models.TextChoices):
    STAFF = "staff", _("Staff, on the roster")
    CSV = "csv", _("Staff, by CSV upload")
    API = "api", _("Staff API")
    LMS = "lms", _("LMS")


RESULT_MAX_LENGTH = 40


class CompletionRecord(models.Model):
    """What unit staff (or the LMS) recorded about a confirmed learner at the end of the course:
    completed or not, a result ("A", "Pass", "87/100"), the date, and the credits it awarded as
    the microcredential defined them then (a snapshot: catalog edits do not rewrite history).

    Append-only (a trigger refuses UPDATE and DELETE). A correction is a new row that
    `replaces` the one before; the newest row of an enrollment (the one nothing replaces) is
    what holds now. The database keeps the chain straight: one first record per enrollment,
    each record replaced at most once, a reason on every correction.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="completions")
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    outcome = models.CharField(max_length=20, choices=CompletionOutcome.choices)
    result = models.CharField(max_length=RESULT_MAX_LENGTH, blank=True)
    completed_on = models.DateField()  # the date of the outcome, in the offering's time zone
    credit_value = models.DecimalField(max_digits=6, decimal_places=2)  # 0 unless completed
    credit_type = models.CharField(max_length=20, choices=CreditType.choices)
    level = models.CharField(max_length=20, choices=Level.choices)
    source = models.CharField(max_length=10, choices=CompletionSource.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["enrollment", "-id"], name="completion_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"], condition=Q(replaces__isnull=True), name="completion_one_first_record"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=CompletionOutcome.values), name="completion_outcome_known"
            ),
            models.CheckConstraint(
                condition=Q(source__in=CompletionSource.values), name="completion_source_known"
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""), name="completion_correction_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(source="lms") | Q(actor__isnull=False), name="completion_staff_source_has_actor"
            ),
            models.CheckConstraint(
                condition=Q(outcome="completed", credit_value__gte=0)
                | Q(outcome="not_completed", credit_value=0),
                name="completion_credits_only_when_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.completed_on} for enrollment {self.enrollment_id}"

    @property
    def is_completed(self) -> bool:
        return self.outcome == CompletionOutcome.COMPLETED
