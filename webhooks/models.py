"""Endpoints that a tenant or a unit registered, and the deliveries to them (an outbox: a row
written in the transaction of the change it tells of, sent after commit, retried for a day)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.models import User
from tenants.models import Tenant, Unit


class EventType(models.TextChoices):
    ENROLLMENT_CONFIRMED = "enrollment.confirmed", _("Enrollment confirmed")
    ENROLLMENT_CANCELLED = "enrollment.cancelled", _("Enrollment cancelled")
    ENROLLMENT_COMPLETED = "enrollment.completed", _("Enrollment completed")
    ORDER_PAID = "order.paid", _("Order paid")
    REFUND_SUCCEEDED = "refund.succeeded", _("Refund succeeded")
    CREDENTIAL_ISSUED = "credential.issued", _("Credential issued")


PING = "ping"  # the console's test event: sent to one endpoint, whatever it subscribed to


class Endpoint(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # None: tenant-wide (every unit's events); a unit: only that unit's events.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)  # EventType values
    secret_encrypted = models.TextField()  # whsec_…, sealed (core.secrets); shown once at creation
    secret_last4 = models.CharField(max_length=4)
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "unit"], name="webhook_endpoint_scope")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class Delivery(models.Model):
    """One event for one endpoint. `event_id` is the occurrence's: every endpoint that hears of
    it gets the same id (as Stripe does), once per endpoint. Sent in order of `id` per
    (endpoint, object_ref)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40)  # evt_…
    event_type = models.CharField(max_length=40)
    object_ref = models.CharField(max_length=80)  # "enrollment:123": the order's unit
    payload = models.JSONField()  # the body's object, serialised the same way at every attempt
    # Whose personal data the payload holds (their e-mail): erased with the account.
    learner = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a sender has it (lapses)
    # Retried until a day after this: the event's time, or when staff sent it again.
    retry_from = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_body = models.TextField(blank=True)  # at most 2 KB
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(status="succeeded", delivered_at__isnull=False)
                | (~Q(status="succeeded") & Q(delivered_at__isnull=True)),
                name="webhook_delivered_at_iff_succeeded",
            ),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "object_ref", "id"],
                name="webhook_delivery_pending",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_recent"),
            # the purge of finished rows (services.deliveries_purge), every minute
            models.Index(
                fields=["created_at"], name="webhook_delivery_finished", condition=~Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id}"
