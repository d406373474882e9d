"""The statements chart's legend shows each unit in the colour the chart draws it with."""

from __future__ import annotations

from datetime import date

from finance.presenters import PALETTE
from finance.selectors import MonthNet, StatementRow
from finance.views import statements as views
from ledger.selectors import UnitFigures
from tenants.models import Unit


def _row(pk: int, colour: str) -> StatementRow:
    return StatementRow(
        Unit(pk=pk, name=f"Unit {pk}", primary_colour=colour), UnitFigures(pk, "USD", 100, 0, 0, 100, 0)
    )


def test_the_legend_uses_the_colour_the_chart_draws():
    rows = [_row(1, "#123456"), _row(2, "")]  # the second without a colour of its own
    monthly = [MonthNet(date(2026, 1, 1), pk, "USD", 100) for pk in (1, 2)]
    table = views._monthly_table(rows, monthly, "USD")
    legend = {unit.pk: colour for unit, colour, _nets in table["units"]}
    assert legend == {1: "#123456", 2: PALETTE[1]}
    chart = views._chart(rows, monthly, "USD")
    for colour in legend.values():
        assert colour in chart
