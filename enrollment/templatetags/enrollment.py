"""`{% enroll_panel offering_id kind %}`: the offering page's enroll button, or where the signed-in
learner already stands. Anonymous visitors get a plain link (no per-person data, no CSRF
token), so the catalog can keep caching their page."""

from __future__ import annotations

from typing import Any

from django import template

from enrollment import presenters, selectors

register = template.Library()


@register.inclusion_tag("enrollment/_offering_panel.html", takes_context=True)
def enroll_panel(context: template.Context, offering_id: int, kind: str) -> dict[str, Any]:
    """Only the offering's key: the cached page's panel is filled in without reading the
    offering (the learner's enrollment brings it along when there is one)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    panel: dict[str, Any] = {"offering_id": offering_id, "kind": kind, "user": user}
    if request is not None and user is not None and user.is_authenticated:
        existing = selectors.active_enrollment(tenant=request.tenant, learner=user, offering_id=offering_id)
        if existing is not None:
            panel["existing"] = existing
            # A held paid seat is paid for from here (payments' checkout); signed-in pages are private.
            panel["can_pay"] = existing.status == "held" and not existing.offering.is_free
            panel["csrf_token"] = context.get("csrf_token")
            panel["existing_status"] = presenters.status_label(existing)
            panel["existing_step"] = presenters.next_step(
                existing, position=selectors.waitlist_position(existing)
            )
    return panel
