"""Enrollment's panel on the staff console's overview: seats and wait-lists of the person's
current offerings, and the latest enrollments."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import PublicationStatus
from enrollment.models import Enrollment
from enrollment.models import EnrollmentStatus as S
from tenants.models import Tenant
from tenants.overview import OverviewFigure, OverviewPanel, OverviewRow, Panel, panels
from tenants.selectors import StaffAccess

RECENT = 5
SEATED = (S.HELD, S.OFFERED, S.CONFIRMED, S.COMPLETED)


def seats_panel(tenant: Tenant, access: StaffAccess) -> OverviewPanel | None:
    offerings = catalog_selectors.offerings_for_staff(tenant=tenant, access=access)
    if not access.manages_any_unit:
        return None
    now = timezone.now()
    current = offerings.filter(ends_at__gte=now).exclude(status=PublicationStatus.ARCHIVED)
    totals = current.aggregate(
        open=Count(
            "pk",
            filter=Q(
                status=PublicationStatus.PUBLISHED, enrollment_opens_at__lte=now, enrollment_closes_at__gt=now
            ),
        ),
        taken=Sum("seats_taken"),
        capacity=Sum("capacity"),
    )
    waiting = Enrollment.objects.filter(offering__in=current, status=S.WAITLISTED).count()
    enrollments_url = reverse("console-enrollments")
    figures = [
        OverviewFigure(_("Offerings open for enrollment"), totals["open"] or 0, enrollments_url),
        OverviewFigure(_("Seats taken in current offerings"), totals["taken"] or 0, enrollments_url),
        OverviewFigure(_("Seats in current offerings"), totals["capacity"] or 0, enrollments_url),
        OverviewFigure(_("Learners on wait-lists"), waiting, enrollments_url),
    ]
    recent = (
        Enrollment.objects.filter(offering__in=offerings)
        .select_related("learner", "offering__microcredential")
        .order_by("-created_at", "-pk")[:RECENT]
    )
    rows = [
        OverviewRow(
            text=_("%(learner)s — %(course)s: %(status)s")
            % {
                "learner": enrollment.learner.email,
                "course": enrollment.offering.microcredential.title,
                "status": enrollment.get_status_display(),
            },
            url=reverse("console-roster", args=[enrollment.offering_id]),
            when=enrollment.created_at,
        )
        for enrollment in recent
    ]
    return OverviewPanel(
        title=_("Seats and wait-lists"), figures=figures, rows_title=_("Latest enrollments"), rows=rows
    )


def register() -> None:
    panels.register("seats", Panel(seats_panel, order=10))
