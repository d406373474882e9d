"""A microcredential's badge image, drawn from its unit's brand: every credential's
`achievement.image` points here (/badges/<id>.png).

A disc in the unit's colour with a light ring, the unit's logo (if it has one) at the top, the
microcredential's title in the middle and the unit's name below, in the brand's text colour
(black or white, whichever keeps WCAG AA contrast). Drawn once per look (title, colour, logo,
unit name) and kept in the cache.
"""

from __future__ import annotations

import hashlib
import io
import logging
from functools import cache

from django.core.cache import cache as django_cache
from PIL import Image, ImageDraw, ImageFont

from catalog.models import Microcredential
from tenants.brand import Brand

logger = logging.getLogger(__name__)

SIZE = 400
SCALE = 2  # drawn at twice the size, then scaled down: smooth edges
CACHE_SECONDS = 24 * 3600
FONT_FILES = ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int) -> Font:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit(
    draw: ImageDraw.ImageDraw, text: str, width: int, max_lines: int, sizes: tuple[int, ...]
) -> tuple[Font, list[str]]:
    """The largest font at which `text` wraps into `max_lines` lines of `width`; at the
    smallest, what does not fit ends in an ellipsis."""
    for size in sizes:
        font = _font(size)
        lines = _wrap(draw, text, font, width)
        if len(lines) <= max_lines and all(draw.textlength(line, font=font) <= width for line in lines):
            return font, lines
    font = _font(sizes[-1])
    lines = _wrap(draw, text, font, width)[:max_lines]
    last = lines[-1] if lines else ""
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    if lines:
        lines[-1] = last.rstrip() + "…"
    return font, lines


def _logo(unit_logo: object) -> Image.Image | None:
    if not unit_logo:
        return None
    try:
        with unit_logo.open("rb") as handle:  # type: ignore[attr-defined]
            logo = Image.open(io.BytesIO(handle.read()))
            logo.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        logger.warning("unit logo %s could not be read for a badge", unit_logo)
        return None
    return logo.convert("RGBA")


def draw_badge(
    *, title: str, unit_name: str, colour: str, on_colour: str, logo: Image.Image | None = None
) -> bytes:
    """The badge as PNG bytes, SIZE × SIZE, transparent outside the disc."""
    s = SIZE * SCALE
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    brand, ink = _rgb(colour), _rgb(on_colour)
    pad = 6 * SCALE
    draw.ellipse((pad, pad, s - pad, s - pad), fill=brand)
    ring = 22 * SCALE
    draw.ellipse((ring, ring, s - ring, s - ring), outline=ink, width=4 * SCALE)

    top = 70 * SCALE
    if logo is not None:
        box = 84 * SCALE
        # A light plate behind the logo, so a dark logo still shows on a dark brand colour.
        plate = (
            s // 2 - box // 2 - 8 * SCALE,
            top - 8 * SCALE,
            s // 2 + box // 2 + 8 * SCALE,
            top + box + 8 * SCALE,
        )
        draw.rounded_rectangle(plate, radius=12 * SCALE, fill=(255, 255, 255))
        fitted = logo.copy()
        fitted.thumbnail((box, box))
        image.alpha_composite(fitted, (s // 2 - fitted.width // 2, top + (box - fitted.height) // 2))
        title_top = top + box + 28 * SCALE
    else:
        title_top = 110 * SCALE

    text_width = 270 * SCALE
    font, lines = _fit(
        draw, title, text_width, 3 if logo is not None else 4, tuple(n * SCALE for n in (34, 30, 26, 22))
    )
    line_height = int(font.size * 1.2) if isinstance(font, ImageFont.FreeTypeFont) else 30 * SCALE
    block = line_height * len(lines)
    bottom_limit = 290 * SCALE
    y = title_top + max(0, (bottom_limit - title_top - block) // 2)
    for line in lines:
        draw.text((s // 2, y), line, font=font, fill=ink, anchor="ma")
        y += line_height

    small, unit_lines = _fit(draw, unit_name, 220 * SCALE, 2, tuple(n * SCALE for n in (18, 16, 14)))
    y = 300 * SCALE
    draw.line(
        (s // 2 - 40 * SCALE, y - 10 * SCALE, s // 2 + 40 * SCALE, y - 10 * SCALE), fill=ink, width=2 * SCALE
    )
    for line in unit_lines:
        draw.text((s // 2, y), line, font=small, fill=ink, anchor="ma")
        y += int(small.size * 1.25) if isinstance(small, ImageFont.FreeTypeFont) else 20 * SCALE

    out = io.BytesIO()
    image.resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


def badge_png(microcredential: Microcredential) -> bytes:
    """The microcredential's badge (its unit's brand), from the cache when it was drawn already."""
    unit = microcredential.unit
    brand = Brand.of_unit(unit)
    look = "|".join((microcredential.title, unit.name, brand.colour, brand.on_colour, unit.logo.name or ""))
    key = f"credentials:badge:{microcredential.pk}:{hashlib.sha256(look.encode()).hexdigest()[:16]}"
    cached = django_cache.get(key)
    if isinstance(cached, bytes):
        return cached
    png = draw_badge(
        title=microcredential.title,
        unit_name=unit.name,
        colour=brand.colour,
        on_colour=brand.on_colour,
        logo=_logo(unit.logo),
    )
    django_cache.set(key, png, CACHE_SECONDS)
    return png
