"""Accessibility checks for browser tests: axe-core's WCAG 2.2 AA rules, and reflow at 360 px.

axe-core is vendored in vendor/ (see vendor/README.txt); it is injected into the page under
test, never served by the application.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW_WIDTH = 360

# Runs axe and keeps only what a failure message needs (the full result is large).
_RUN_AXE = """
tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
  result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }))
)
"""

# The elements sticking out past the right edge of the viewport, to say what overflows.
_WIDE_ELEMENTS = """
() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .slice(0, 8)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('')
    + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)')
"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE_JS)
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, WCAG_TAGS)
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            if node["summary"]:
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)


def screenshot_if_asked(page: Page, what: str) -> None:
    """BROWSER_SCREENSHOTS=<dir>: every page a journey checks is kept there at 390 and 1280 px."""
    folder = os.environ.get("BROWSER_SCREENSHOTS", "")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", what).strip("-")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=Path(folder) / f"{name}-{width}.png", full_page=True)
    if size is not None:
        page.set_viewport_size(size)


def assert_accessible(page: Page, what: str) -> None:
    screenshot_if_asked(page, what)
    violations = axe_violations(page)
    assert not violations, (
        f"axe-core found {len(violations)} WCAG A/AA violation(s) on {what} ({page.url}):\n"
        + describe_violations(violations)
    )


def assert_no_horizontal_scroll(page: Page, what: str, width: int = NARROW_WIDTH) -> None:
    """At a phone-sized viewport the page reflows instead of scrolling sideways (WCAG 1.4.10)."""
    page.set_viewport_size({"width": width, "height": 780})
    scroll_width: int = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width <= width:
        return
    wide: list[str] = page.evaluate(_WIDE_ELEMENTS)
    raise AssertionError(
        f"{what} ({page.url}) scrolls sideways at {width} px: scrollWidth is {scroll_width}. "
        f"Too wide: {', '.join(wide) or '(none found)'}"
    )
