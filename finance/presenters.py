"""How finance's figures look to people: money with the currency's decimals, and the SVG chart of
net per unit per month (drawn here, no script). CSV files: core.spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape

from core.money import format_money, to_major


def money(amount: int | None, currency: str) -> str:
    return "" if amount is None else format_money(int(amount), currency.upper())


def major(amount: int | None, currency: str) -> str:
    """Minor units as a decimal string in major units ("1250.00"; yen "12000"), for CSV."""
    return "" if amount is None else str(to_major(int(amount), currency.upper()))


# --- Chart -----------------------------------------------------------------------------------

PALETTE = ("#1f4e79", "#b35900", "#2e7d32", "#6a1b9a", "#c62828", "#00695c", "#4e342e", "#283593")


def net_chart_svg(
    *, months: Sequence[date], series: Sequence[tuple[str, str, Sequence[int]]], currency: str
) -> str:
    """Grouped bars: for each month, one bar per unit (its net, which may be negative).
    `series`: (unit name, colour, net per month in minor units). Titled for screen readers; the
    same figures are in the table beside it."""
    width, height, left, bottom, top = 720, 300, 80, 40, 20
    if not months or not series:
        return ""
    values = [v for _, _, nets in series for v in nets] + [0]
    high, low = max(values), min(values)
    span = (high - low) or 1
    plot_h = height - top - bottom
    plot_w = width - left - 10

    def y(v: int) -> float:
        return top + (high - v) / span * plot_h

    slot = plot_w / len(months)
    bar = max(2.0, (slot * 0.8) / len(series))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="net-chart-title" class="finance-chart">',
        f'<title id="net-chart-title">Net per unit per month ({escape(currency)})</title>',
        f'<line x1="{left}" x2="{width - 10}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#333"/>',
    ]
    for tick in (high, (high + low) // 2, low):
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(money(tick, currency))}</text>"
        )
    for m, month in enumerate(months):
        x0 = left + m * slot + slot * 0.1
        for s, (name, colour, nets) in enumerate(series):
            v = nets[m]
            top_y, base_y = (y(v), y(0)) if v >= 0 else (y(0), y(v))
            parts.append(
                f'<rect x="{x0 + s * bar:.1f}" y="{top_y:.1f}" width="{bar - 1:.1f}" '
                f'height="{max(base_y - top_y, 0.5):.1f}" fill="{escape(colour)}">'
                f"<title>{escape(name)}, {month:%b %Y}: {escape(money(v, currency))}</title></rect>"
            )
        parts.append(
            f'<text x="{left + m * slot + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="11">{month:%b %Y}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
