"""The staff console's overview: figures that higher apps (enrollment, payments) contribute.

tenants sits under them, so it cannot ask them itself; each registers one panel function in its
``AppConfig.ready()`` and the overview page shows every panel that has something to say::

    overview.panels.register("seats", Panel(seats_panel, order=10))

A panel function takes the tenant and the person's StaffAccess and returns an OverviewPanel, or
None when the person has nothing to see there (a finance-only role on the seats panel).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from core.registry import Registry

if TYPE_CHECKING:
    from tenants.models import Tenant
    from tenants.selectors import StaffAccess


@dataclass(frozen=True)
class OverviewFigure:
    label: str
    value: int
    url: str = ""
    # Worth acting on (a refund that failed): shown as a warning when the value is not zero.
    needs_action: bool = False


@dataclass(frozen=True)
class OverviewRow:
    """One line of a panel's list (a recent enrollment): its text, a link and when."""

    text: str
    url: str = ""
    when: datetime | None = None


@dataclass(frozen=True)
class OverviewPanel:
    title: str
    figures: list[OverviewFigure] = field(default_factory=list)
    rows_title: str = ""
    rows: list[OverviewRow] = field(default_factory=list)


PanelFunction = Callable[["Tenant", "StaffAccess"], "OverviewPanel | None"]


@dataclass(frozen=True)
class Panel:
    function: PanelFunction
    order: int = 100  # panels show in this order, then by name


panels: Registry[Panel] = Registry("overview panel")


def overview_panels(*, tenant: Tenant, access: StaffAccess) -> list[OverviewPanel]:
    ordered = sorted(panels.items(), key=lambda item: (item[1].order, item[0]))
    shown = (panel.function(tenant, access) for _name, panel in ordered)
    return [panel for panel in shown if panel is not None]
