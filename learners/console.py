"""Staff console pages for learners: look up by e-mail, merge two accounts, send a sign-in code.
Unit admins see only learners of their units; tenant admins every learner of the tenant."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import MicrocredError, NotFound
from identity.models import User
from learners import selectors
from learners.errors import LearnerNotVisible
from learners.forms import LookupForm, MergeForm
from learners.services.staff import account_merge, staff_code_send
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page


def _require_learner_staff(access: StaffAccess) -> None:
    if not selectors.can_manage_learners(access):
        raise Http404


@staff_page()
def learners_page(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    _require_learner_staff(access)
    form = LookupForm(request.GET or None)
    matches = None
    if form.is_bound and form.is_valid():
        matches = selectors.learner_lookup(
            tenant=request.tenant, access=access, email=form.cleaned_data["email"]
        )
    context = {
        "access": access,
        "form": form,
        "matches": matches,
        "merges": selectors.recent_merges(tenant=request.tenant, access=access, actor=request.user),
    }
    return render(request, "learners/console/learners.html", context, status=400 if form.errors else 200)


@require_POST
@staff_page()
def learner_send_code(request: StaffRequest, access: StaffAccess, user_id: int) -> HttpResponse:
    _require_learner_staff(access)
    try:
        issued = staff_code_send(
            request=request, tenant=request.tenant, access=access, actor=request.user, user_id=user_id
        )
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(request, exc.message)
        email = request.POST.get("email", "")
    else:
        email = issued.user.email
        messages.success(request, _("A sign-in code is on its way to %(email)s.") % {"email": email})
    return redirect(reverse("console-learners") + "?" + urlencode({"email": email}))


@staff_page()
def learner_merge(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    """Step 1: name the two accounts (both must be learners you can see). Step 2: confirm."""
    _require_learner_staff(access)
    form = MergeForm(request.POST or request.GET or None)
    source = target = None
    error = None
    if form.is_bound and form.is_valid():
        try:
            source = _visible_one(request, access, form.cleaned_data["source_email"], "source_email", form)
            target = _visible_one(request, access, form.cleaned_data["target_email"], "target_email", form)
        except LearnerNotVisible:
            source = target = None
    if (
        request.method == "POST"
        and request.POST.get("confirm") == "yes"
        and source
        and target
        and not form.errors
    ):
        try:
            merge = account_merge(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                source_id=source.pk,
                target_id=target.pk,
            )
        except MicrocredError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Merged: %(source)s's records here now belong to %(target)s.")
                % {"source": merge.source_email, "target": merge.target_email},
            )
            return redirect(reverse("console-learners") + "?" + urlencode({"email": merge.target_email}))
    context = {"access": access, "form": form, "source": source, "target": target, "error": error}
    status = 400 if (form.errors or error) else 200
    return render(request, "learners/console/merge.html", context, status=status)


def _visible_one(request: StaffRequest, access: StaffAccess, email: str, field: str, form: MergeForm) -> User:
    matches = selectors.learner_lookup(tenant=request.tenant, access=access, email=email)
    if not matches:
        form.add_error(field, _("No learner of your units uses this address."))
        raise LearnerNotVisible("No such learner.")
    return matches[0].user
