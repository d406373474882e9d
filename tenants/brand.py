"""A brand as pages use it: colours with a text colour that keeps WCAG AA contrast."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.models import Tenant, Unit


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better; either way the ratio is at least 4.5:1."""
    return (
        "#ffffff"
        if contrast_ratio(background, "#ffffff") >= contrast_ratio(background, "#000000")
        else "#000000"
    )


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str
    on_colour: str
    tagline: str = ""
    logo_url: str = ""
    contact_email: str = ""

    @classmethod
    def of_tenant(cls, tenant: Tenant) -> Brand:
        return cls(
            name=tenant.name,
            colour=tenant.primary_colour,
            on_colour=text_colour_on(tenant.primary_colour),
            contact_email=tenant.contact_email,
        )

    @classmethod
    def of_unit(cls, unit: Unit) -> Brand:
        return cls(
            name=unit.name,
            colour=unit.primary_colour,
            on_colour=text_colour_on(unit.primary_colour),
            tagline=unit.tagline,
            logo_url=unit.logo.url if unit.logo else "",
            contact_email=unit.contact_email or unit.tenant.contact_email,
        )
