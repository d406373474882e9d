"""Learners' pages: enroll (from the offering page), My learning, cancel, and wait-list offers.

Enrolling posts a one-time key made when the page was shown, taken as an Idempotency-Key by the
same path as the API's (idempotency.answer_once), so a second click of the same button (or a
resubmitted form) replays the first answer instead of trying again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog.models import EnrollmentState
from catalog.presenters import OfferingCard, offering_card, offering_page
from core.errors import MicrocredError, NotFound
from enrollment import extensions, presenters, selectors, services
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services import idempotency
from enrollment.services.messages import offer_from_token, reminders_off_from_token
from identity.models import User
from learners.selectors import reminders_enabled
from learners.services.reminders import learner_for_reminders_link, reminders_set
from tenants.brand import Brand
from tenants.http import StaffRequest, TenantRequest
from tenants.models import Unit

S = EnrollmentStatus


def _my_learning_at(enrollment_id: int) -> HttpResponseRedirect:
    return redirect(reverse("my-learning") + f"#enrollment-{enrollment_id}")


def _next_page(enrollment_id: int, status: str) -> HttpResponseRedirect:
    """A held seat goes straight on to payment (payments' page, by URL name); others to My learning."""
    if status == S.HELD:
        try:
            return redirect(reverse("order-checkout-held", args=[enrollment_id]))
        except NoReverseMatch:  # payments not installed
            pass
    return _my_learning_at(enrollment_id)


def enrolled_message(status: str, position: int | None) -> str:
    if status == S.CONFIRMED:
        return _("You are enrolled. A confirmation is on its way to your inbox.")
    if status == S.HELD:
        return _("Your seat is held while you pay.")
    if position is not None:
        return _("The course is full: you are number %(n)d on the wait-list.") % {"n": position}
    return _("The course is full: you are on the wait-list.")


@login_required
def enroll(request: StaffRequest, pk: int) -> HttpResponse:
    """GET: what enrolling means here (free, paid, wait-list) and one button. POST: enroll."""
    tenant = request.tenant
    try:
        offering = catalog_selectors.offering_public_detail(tenant=tenant, offering_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        return _enroll_post(request, pk)
    existing = selectors.active_enrollment(tenant=tenant, learner=request.user, offering_id=pk)
    page = offering_page(offering)
    context = {
        "offering": offering,
        "page": page,
        "card": page.card,
        "brand": page.card.brand,
        "state": offering.enrollment_state(),
        "existing": existing,
        "next_step": presenters.next_step(existing, position=selectors.waitlist_position(existing))
        if existing
        else None,
        "idempotency_key": uuid.uuid4().hex,
        "EnrollmentState": {s.name: s.value for s in EnrollmentState},
    }
    return render(request, "enrollment/enroll.html", context)


def _enroll_post(request: StaffRequest, pk: int) -> HttpResponse:
    tenant, learner = request.tenant, request.user

    def run() -> idempotency.Answer:
        result = services.enrollment_create(tenant=tenant, learner=learner, offering_id=pk)
        body = {
            "id": result.enrollment.pk,
            "status": result.enrollment.status,
            "position": result.waitlist_position,
        }
        return idempotency.Answer(201, body)

    key = request.POST.get("idempotency_key", "") or uuid.uuid4().hex
    try:
        answer = idempotency.answer_once(
            tenant=tenant,
            user=learner,
            key=f"page:{key}",
            request_fingerprint=idempotency.fingerprint("enroll-page", pk),
            run=run,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except MicrocredError as exc:
        messages.error(request, exc.message)
        return redirect("enroll", pk=pk)
    messages.success(request, enrolled_message(answer.body["status"], answer.body.get("position")))
    return _next_page(answer.body["id"], answer.body["status"])


@login_required
def my_learning(request: StaffRequest) -> HttpResponse:
    now = timezone.now()
    rows = list(selectors.enrollments_for_learner(tenant=request.tenant, learner=request.user))
    extras = extensions.extras_for(
        tenant=request.tenant, learner=request.user, enrollment_ids=[e.pk for e in rows]
    )
    items = [_item(e, now, extras.get(e.pk)) for e in rows]
    payable = [i for i in items if i.can_pay]
    return render(
        request,
        "enrollment/my_learning.html",
        {
            # "Pay for all": every held paid seat, when they share one currency (payments' checkout).
            "pay_all": payable
            if len(payable) > 1 and len({i.enrollment.offering.currency for i in payable}) == 1
            else [],
            "current": [i for i in items if i.enrollment.is_active],
            "past": [i for i in items if not i.enrollment.is_active],
        },
    )


@dataclass(frozen=True)
class Item:
    """One enrollment as My learning shows it."""

    enrollment: Enrollment
    card: OfferingCard
    next_step: presenters.NextStep
    status: str
    can_cancel: bool
    can_leave: bool
    is_offer: bool
    can_pay: bool
    cancel_url: str = ""
    notes: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    completion: str = ""  # "Completed on 2026-11-30 · Result: A · 3.00 …" once recorded


def _item(enrollment: Enrollment, now: datetime, extra: extensions.Extra | None = None) -> Item:
    offering = enrollment.offering
    extra = extra or extensions.Extra()
    return Item(
        enrollment=enrollment,
        card=offering_card(offering, now=now, tz=offering.tz),
        next_step=presenters.next_step(enrollment, position=getattr(enrollment, "position", None), now=now),
        status=presenters.status_label(enrollment),
        can_cancel=enrollment.status in (S.HELD, S.CONFIRMED) and now < offering.starts_at,
        can_leave=enrollment.status == S.WAITLISTED,
        is_offer=enrollment.status == S.OFFERED,
        can_pay=enrollment.status == S.HELD and not offering.is_free,
        cancel_url=extra.cancel_url,
        notes=extra.notes,
        links=extra.links,
        completion=presenters.completion_text(selectors.current_completion(enrollment)),
    )


@login_required
def cancel(request: StaffRequest, pk: int) -> HttpResponse:
    """GET: are you sure (says what is lost). POST: cancel, or leave the wait-list."""
    try:
        enrollment = selectors.enrollment_for_learner(
            tenant=request.tenant, learner=request.user, enrollment_id=pk
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    extra = extensions.extras_for(tenant=request.tenant, learner=request.user, enrollment_ids=[pk]).get(pk)
    if extra is not None and extra.cancel_url:  # a paid seat: cancelled with its refund, shown first
        return redirect(extra.cancel_url)
    if request.method == "POST":
        try:
            if enrollment.status == S.WAITLISTED:
                services.waitlist_leave(tenant=request.tenant, learner=request.user, enrollment_id=pk)
                messages.success(request, _("You left the wait-list."))
            else:
                services.enrollment_cancel(tenant=request.tenant, learner=request.user, enrollment_id=pk)
                messages.success(request, _("Your enrollment is cancelled."))
        except MicrocredError as exc:
            messages.error(request, exc.message)
        return _my_learning_at(pk)
    return render(
        request,
        "enrollment/cancel.html",
        {"item": _item(enrollment, timezone.now()), "enrollment": enrollment},
    )


@require_POST
@login_required
def respond(request: StaffRequest, pk: int, action: str) -> HttpResponse:
    """Accept or decline an offer from My learning."""
    try:
        selectors.enrollment_for_learner(tenant=request.tenant, learner=request.user, enrollment_id=pk)
        status = _respond(request, pk, action, learner=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _next_page(pk, status) if status else _my_learning_at(pk)


def _respond(request: TenantRequest, pk: int, action: str, *, learner: User) -> str:
    """The enrollment's status after the answer, or "" when it was refused."""
    user = learner
    status = ""
    try:
        if action == "accept":
            accepted = services.offer_accept(tenant=request.tenant, enrollment_id=pk, learner=user)
            messages.success(
                request,
                _("The seat is yours: you are enrolled.")
                if accepted.status == S.CONFIRMED
                else _("The seat is held for you while you pay."),
            )
            status = accepted.status
        elif action == "decline":
            services.offer_decline(tenant=request.tenant, enrollment_id=pk, learner=user)
            messages.success(request, _("You declined the seat; it goes to the next person waiting."))
            status = S.CANCELLED
        else:
            raise Http404
    except MicrocredError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return ""
    return status


def offer(request: TenantRequest, token: str) -> HttpResponse:
    """The e-mailed link: the offer, with Accept and Decline. The signed token stands for the
    learner, so it works without signing in; it reaches only its own enrollment."""
    named = offer_from_token(token)
    if named is None or named[0] != request.tenant.pk:
        raise Http404
    try:
        enrollment = selectors.enrollment_by_id(tenant=request.tenant, enrollment_id=named[1])
    except NotFound as exc:
        raise Http404(exc.message) from exc
    signed_in_as_other = request.user.is_authenticated and request.user.pk != enrollment.learner_id
    if request.method == "POST":
        if signed_in_as_other:
            raise Http404
        status = _respond(request, enrollment.pk, request.POST.get("action", ""), learner=enrollment.learner)
        if request.user.is_authenticated:
            return _next_page(enrollment.pk, status)
        return redirect("offer", token=token)
    page = offering_page(enrollment.offering)
    return render(
        request,
        "enrollment/offer.html",
        {
            "enrollment": enrollment,
            "item": _item(enrollment, timezone.now()),
            "card": page.card,
            "brand": page.card.brand,
            "signed_in_as_other": signed_in_as_other,
            "token": token,
        },
    )


@csrf_exempt  # the signed link is the proof; RFC 8058's one-click POST comes from a mail client
@require_http_methods(["GET", "HEAD", "POST"])
def reminders_off(request: TenantRequest, token: str) -> HttpResponse:
    """A reminder's "Turn off reminders" link, no sign-in needed: GET asks, POST turns them off
    (also what a mail client's one-click unsubscribe sends, List-Unsubscribe-Post)."""
    named = reminders_off_from_token(token)
    if named is None or named.tenant_id != request.tenant.pk:
        raise Http404
    learner = learner_for_reminders_link(user_id=named.user_id)
    if learner is None:
        raise Http404
    unit = Unit.objects.filter(tenant=request.tenant, pk=named.unit_id).first() if named.unit_id else None
    brand = Brand.of_unit(unit) if unit is not None else Brand.of_tenant(request.tenant)
    if request.method == "POST":
        reminders_set(tenant=request.tenant, user=learner, enabled=False)
    done = request.method == "POST" or not reminders_enabled(tenant=request.tenant, user=learner)
    context = {"brand": brand, "token": token, "done": done, "email": learner.email}
    return render(request, "enrollment/reminders_off.html", context)
