"""Payments' panel on the staff console's overview: refunds that wait for staff or for Stripe."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from payments.models import RefundState
from payments.selectors import refunds_for_staff
from tenants.models import Tenant
from tenants.overview import OverviewFigure, OverviewPanel, Panel, panels
from tenants.selectors import StaffAccess


def refunds_panel(tenant: Tenant, access: StaffAccess) -> OverviewPanel | None:
    if not access.is_staff:
        return None
    counts = (
        refunds_for_staff(tenant=tenant, access=access)
        .order_by()
        .aggregate(
            failed=Count("pk", filter=Q(state=RefundState.FAILED)),
            pending=Count("pk", filter=Q(state__in=[RefundState.REQUESTED, RefundState.PROCESSING])),
        )
    )
    url = reverse("console-refunds")
    return OverviewPanel(
        title=_("Refunds"),
        figures=[
            OverviewFigure(
                _("Refunds that failed and need you"),
                counts["failed"],
                f"{url}?state={RefundState.FAILED}",
                needs_action=True,
            ),
            OverviewFigure(_("Refunds on their way"), counts["pending"], url),
        ],
    )


def register() -> None:
    panels.register("refunds", Panel(refunds_panel, order=20))
