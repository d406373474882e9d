"""Demand signals: who asked to hear when a microcredential has a seat, and the searches that
found nothing (words and counts only: never who searched)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from catalog.models import Microcredential, Offering
from tenants.models import Tenant

MAX_SEARCH_WORDS = 100
# A sender that died after claiming an interest: the row is taken again after this long.
CLAIM_TIMEOUT = timedelta(minutes=10)


class Interest(models.Model):
    """ "Notify me": one per microcredential and e-mail address (case-insensitive). Waiting while
    `notified_at` is empty; told once (notify claims the row, marks it told once the mail server
    took the message). Signing up again after being told makes it wait again."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    microcredential = models.ForeignKey(Microcredential, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    # Set when a signed-in learner signed up (their data export and deletion find it by this).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The offering page the person signed up on (for the console; may be gone later).
    signed_up_on = models.ForeignKey(
        Offering, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    notify_claimed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_offering = models.ForeignKey(
        Offering, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint("microcredential", Lower("email"), name="demand_interest_one_per_email"),
        ]
        indexes = [
            models.Index(
                fields=["microcredential"],
                condition=Q(notified_at__isnull=True),
                name="demand_interest_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"interest {self.pk} in {self.microcredential_id}"

    @property
    def is_waiting(self) -> bool:
        return self.notified_at is None


class SearchMiss(models.Model):
    """How often the catalog search found nothing for these words, per tenant and day (the
    tenant's calendar day). Deliberately no user, session or address: only the words."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    words = models.CharField(max_length=MAX_SEARCH_WORDS)
    count = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day", "words"], name="demand_search_miss_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.words!r} ×{self.count} on {self.day}"
