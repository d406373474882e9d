"""`{% notify_me_panel offering_id why %}`: the offering page's "notify me". Anonymous visitors
get a plain link to the sign-up page (no per-person data, no CSRF token), so the catalog can keep
sharing their page; a signed-in learner gets one button, or word that they are on the list (the
catalog splices this in as a personal part of the cached page)."""

from __future__ import annotations

from typing import Any

from django import template

from demand import selectors

register = template.Library()


@register.inclusion_tag("demand/_notify_panel.html", takes_context=True)
def notify_me_panel(context: template.Context, offering_id: int, why: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    panel: dict[str, Any] = {"offering_id": offering_id, "why": why, "signed_in": False}
    if request is not None and user is not None and user.is_authenticated:
        panel["signed_in"] = True
        panel["csrf_token"] = context.get("csrf_token")
        panel["waiting"] = selectors.is_waiting(
            tenant=request.tenant, offering_id=offering_id, email=user.email
        )
    return panel
