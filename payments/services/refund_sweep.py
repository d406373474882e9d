"""What the minute sweep (tasks.payments_sweep) finds left undone about refunds: the broker
was down at commit, a worker died, Stripe's events never came. Each job it sends again is safe to
run twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from payments.models import Refund, refund_announced
from payments.services.refund_states import R

STUCK_AFTER = timedelta(minutes=2)
REFRESH_AFTER = timedelta(hours=1)  # a refund pending at Stripe: ask how it ended, hourly


def refunds_due(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Refunds left in requested/processing without a Stripe answer, succeeded refunds not yet in
    the ledger, and a cancelled offering's refunds whose learner was not told yet, older than two
    minutes; succeeded or failed refunds whose learner was not told of it, and failed ones resolved
    by hand; refunds pending at Stripe for an hour (for the sweep)."""
    now = now or timezone.now()
    before = now - STUCK_AFTER
    return {
        "execute": list(
            Refund.objects.filter(
                state__in=(R.REQUESTED, R.PROCESSING), stripe_refund_id="", updated_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
        "settle": list(
            Refund.objects.filter(
                state=R.SUCCEEDED, settled_at__isnull=True, updated_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
        "refresh": list(
            Refund.objects.filter(state=R.PROCESSING, updated_at__lte=now - REFRESH_AFTER)
            .exclude(stripe_refund_id="")
            .values_list("pk", flat=True)[:200]
        ),
        "outcomes": list(
            Refund.objects.filter(state__in=(R.SUCCEEDED, R.FAILED), updated_at__lte=before)
            .exclude(outcome_notified=F("state"))
            .values_list("pk", flat=True)[:200]
        ),
        "resolutions": list(
            Refund.objects.filter(state=R.RESOLVED, retried_as__isnull=True, updated_at__lte=before)
            .exclude(outcome_notified=R.RESOLVED)
            .values_list("pk", flat=True)[:200]
        ),
        "notices": list(
            Refund.objects.filter(
                refund_announced(), notified_at__isnull=True, created_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
    }
