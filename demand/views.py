"""Learners' pages: "notify me" for an offering's microcredential, and unsubscribing.

Both are private pages of their own (never the cached catalog page): the catalog's offering page
links here, so its cached HTML stays the same for everyone."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from demand import selectors, services
from demand.forms import NotifyForm
from tenants.brand import Brand
from tenants.http import TenantRequest


@never_cache
def notify(request: TenantRequest, pk: int) -> HttpResponse:
    offering = selectors.offering_for_signup(tenant=request.tenant, offering_id=pk)
    if offering is None:
        raise Http404(_("No such offering."))
    user = request.user if request.user.is_authenticated else None
    form = NotifyForm(request.POST or None) if user is None else None
    context = {
        "offering": offering,
        "microcredential": offering.microcredential,
        "brand": Brand.of_unit(offering.microcredential.unit),
        "form": form,
    }
    if request.method != "POST":
        return render(request, "demand/notify.html", context)
    if form is not None and not form.is_valid():
        return render(request, "demand/notify.html", context, status=400)
    if form is not None and form.cleaned_data["website"]:  # a bot: say it worked, do nothing
        return render(request, "demand/notify_done.html", {**context, "outcome": "added"})
    try:
        signup = services.interest_signup(
            tenant=request.tenant,
            offering_id=offering.pk,
            email=form.cleaned_data["email"] if form is not None else "",
            user=user,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except MicrocredError as exc:
        if form is not None:
            form_errors_from(form, exc)
        return render(request, "demand/notify.html", {**context, "error": exc.message}, status=400)
    # The way off the list is shown to whoever just put the address on it, or to its signed-in
    # owner; a stranger retyping someone's address gets no link to take them off.
    mine = user is not None or signup.outcome != services.SignupOutcome.ALREADY
    context.update(
        outcome=signup.outcome,
        unsubscribe_token=services.unsubscribe_token(signup.interest) if mine else "",
    )
    return render(request, "demand/notify_done.html", context)


@csrf_exempt  # the signed link is the authority; RFC 8058 one-click POSTs come without a form
@never_cache
def unsubscribe(request: TenantRequest, token: str) -> HttpResponse:
    interest = services.interest_from_token(tenant=request.tenant, token=token)
    if interest is None:  # tampered with, another tenant's, or removed already
        return render(request, "demand/unsubscribe.html", {"gone": True}, status=404)
    if request.method == "POST":
        services.interest_unsubscribe(tenant=request.tenant, token=token)
        return render(request, "demand/unsubscribe.html", {"done": True, "interest": interest})
    return render(request, "demand/unsubscribe.html", {"interest": interest, "token": token})
