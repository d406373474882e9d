"""Every page links a small SVG favicon that the static files serve."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


def test_the_base_template_links_an_svg_favicon_that_exists() -> None:
    html = render_to_string("404.html")
    assert 'rel="icon" type="image/svg+xml"' in html
    path = finders.find("favicon.svg")
    assert path is not None
    with open(str(path), encoding="utf-8") as svg:
        assert svg.read().startswith("<svg")
