"""Learners' payment pages and Stripe's webhook.

- /orders/checkout/held/<id>/ and GET /orders/checkout/?enrollment=…: review the held seats'
  price, with a promotion code if the learner has one.
- POST /orders/checkout/: apply a code (the review again), or pay for held seats (one, or all of
  them) → Stripe Checkout; nothing to pay (a 100 % code) confirms the seat at once.
- /orders/<ref>/: after Stripe, "processing" until the webhook has been applied, then the
  confirmation (meta refresh every 3 s, and a small script polling status.json when scripts run).
- /orders/<ref>/receipt/: the receipt, printable.
- POST /payments/stripe/webhook/: Stripe's events, on the tenant's own host (like every page).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from catalog.models import Microcredential
from core.errors import MicrocredError, NotFound
from enrollment import services as enrollment_services
from identity.models import User
from payments import presenters, selectors
from payments.errors import PaymentUnavailable, WebhookRefused
from payments.models import Order, OrderStatus
from payments.services import cancellation, events, orders, waivers
from payments.services import checkout as stripe_checkout
from promotions.errors import CodeRefused
from tenants.http import TenantRequest
from tenants.models import Tenant

POLL_SECONDS = 3


def _learner(request: TenantRequest) -> User:
    """The signed-in learner (each learner page is login_required)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404("Sign in first.")
    return user


def checkout_urls(request: HttpRequest, order: Order) -> tuple[str, str]:
    success = request.build_absolute_uri(reverse("order-detail", args=[order.reference]))
    return success + "?session_id={CHECKOUT_SESSION_ID}", request.build_absolute_uri(reverse("my-learning"))


def _enrollment_ids(values: list[str]) -> list[int]:
    try:
        ids = [int(value) for value in values[:50]]
    except ValueError:
        raise Http404("No such enrollment.") from None
    if any(not 0 < pk < 2**63 for pk in ids):
        raise Http404("No such enrollment.")
    return ids


@login_required
def checkout(request: TenantRequest) -> HttpResponse:
    """GET: the review page of the seats named (?enrollment=…). POST: apply a promotion code
    (action=apply: the review again, with the new price or why the code cannot be used), or pay
    (→ Stripe Checkout; a seat with nothing left to pay is confirmed at once)."""
    if request.method == "POST":
        return _checkout(request, _enrollment_ids(request.POST.getlist("enrollment")))
    return _review(
        request,
        _enrollment_ids(request.GET.getlist("enrollment")),
        code="",
        bundle=_bundle(request, request.GET.get("bundle", "")),
    )


def _bundle(request: TenantRequest, value: str) -> Microcredential | None:
    """The bundle named by a form's `bundle` field (an id), or None; a bad one is a 404."""
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise Http404("No such bundle.")
    try:
        return enrollment_services.bundle_for_sale(tenant=request.tenant, microcredential_id=int(value))
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def checkout_held(request: TenantRequest, pk: int) -> HttpResponse:
    """Where holding a paid seat leads (enrollment redirects here by URL name): the review page,
    with its price and a place for a promotion code. Changes nothing."""
    return _review(request, [pk], code="")


def _review(
    request: TenantRequest,
    ids: list[int],
    *,
    code: str,
    bundle: Microcredential | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    learner = _learner(request)
    try:
        quote = orders.order_quote(
            tenant=request.tenant, learner=learner, enrollment_ids=ids, code=code, bundle=bundle
        )
    except CodeRefused as exc:
        quote = orders.order_quote(tenant=request.tenant, learner=learner, enrollment_ids=ids, bundle=bundle)
        error, status = exc.message, 400
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except MicrocredError as exc:
        messages.error(request, exc.message)
        return redirect("my-learning")
    context = {
        **presenters.quote_context(quote),
        "code": code,
        "code_error": error,
        "enrollment_ids": ids,
        "bundle": bundle,
    }
    return render(request, "payments/review.html", context, status=status)


def _checkout(request: TenantRequest, ids: list[int]) -> HttpResponse:
    code = request.POST.get("code", "")[:60]
    bundle = _bundle(request, request.POST.get("bundle", ""))
    if request.POST.get("action") == "apply":
        return _review(request, ids, code=code, bundle=bundle)
    try:
        start = orders.order_for_holds(
            tenant=request.tenant, learner=_learner(request), enrollment_ids=ids, code=code, bundle=bundle
        )
        if start.order.amount_minor == 0:
            order = waivers.free_order_confirm(order=start.order)
            messages.success(request, _("Your seat is confirmed: there is nothing to pay."))
            return redirect("order-detail", reference=order.reference)
        success, cancel = checkout_urls(request, start.order)
        order = stripe_checkout.checkout_start(order=start.order, success_url=success, cancel_url=cancel)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except CodeRefused as exc:
        return _review(request, ids, code=code, bundle=bundle, error=exc.message, status=400)
    except PaymentUnavailable as exc:
        return render(
            request, "payments/try_again.html", {"message": exc.message, "enrollment_ids": ids}, status=503
        )
    except MicrocredError as exc:
        messages.error(request, exc.message)
        return redirect("my-learning")
    return redirect(order.checkout_url, permanent=False)


@login_required
def order_detail(request: TenantRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    context = {
        **presenters.receipt_context(order),
        "waiting": order.status in (OrderStatus.OPEN, OrderStatus.PROCESSING),
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "payments/order.html", context)


@login_required
def order_status(request: TenantRequest, reference: str) -> JsonResponse:
    order = _order(request, reference)
    return JsonResponse({"reference": order.reference, "status": order.status})


@login_required
def order_receipt(request: TenantRequest, reference: str) -> HttpResponse:
    order = _order(request, reference)
    if order.status != OrderStatus.PAID:
        raise Http404("This order is not paid.")
    return render(request, "payments/receipt.html", presenters.receipt_context(order))


def _order(request: TenantRequest, reference: str) -> Order:
    try:
        return selectors.order_for_learner(
            tenant=request.tenant, learner=_learner(request), reference=reference
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc


@csrf_exempt
@require_POST
def stripe_webhook(request: TenantRequest) -> HttpResponse:
    """On the tenant's own host. Verify, store by id, answer at once; the apply job runs after
    commit."""
    return _receive(request, request.tenant)


def stripe_webhook_for_slug(request: HttpRequest, slug: str) -> HttpResponse:
    """`/payments/stripe/webhook/<tenant-slug>/` on any host (payments.middleware answers it
    before host routing): for a Stripe account whose one endpoint cannot use the tenant's host."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
    if tenant is None:
        return JsonResponse({"error": {"code": "not_found", "message": "No such tenant."}}, status=404)
    return _receive(request, tenant)


def _receive(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    try:
        _event, created = events.event_receive(
            tenant=tenant, payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRefused as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=400)
    return JsonResponse({"received": True, "duplicate": not created})


@login_required
def paid_cancel(request: TenantRequest, pk: int) -> HttpResponse:
    """GET: what cancelling this paid seat gives back, and when, before the learner confirms.
    POST: cancel and ask for that refund (refused, nothing changed, if the amount moved)."""
    try:
        preview = selectors.cancel_preview(tenant=request.tenant, learner=_learner(request), enrollment_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        try:
            expected = int(request.POST.get("expected_minor", ""))
        except ValueError:
            # Not from our form (or a page from before it had the field): nothing changes.
            messages.error(request, _("Please review what you would get back, then confirm again."))
            return redirect("paid-cancel", pk=pk)
        try:
            _enrollment, refund = cancellation.paid_enrollment_cancel(
                tenant=request.tenant, learner=_learner(request), enrollment_id=pk, expected_minor=expected
            )
        except MicrocredError as exc:
            messages.error(request, exc.message)
            return redirect("paid-cancel", pk=pk)
        if refund is not None:
            messages.success(
                request,
                _("Your enrollment is cancelled. A refund of %(amount)s is on its way.")
                % {"amount": preview.amount},
            )
        else:
            messages.success(request, _("Your enrollment is cancelled."))
        return redirect(reverse("my-learning") + f"#enrollment-{pk}")
    return render(request, "payments/cancel.html", {"preview": preview, "offering": preview.line.offering})


def bundle_page(request: TenantRequest, pk: int) -> HttpResponse:
    """A stack sold as a bundle: its parts, the next runs of each, the price and the saving.
    POST (signed in): hold a seat in the chosen run of every part, all or none, then review."""
    try:
        bundle = enrollment_services.bundle_for_sale(tenant=request.tenant, microcredential_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    parts = selectors.bundle_parts(tenant=request.tenant, bundle=bundle)
    chosen = {p.microcredential.pk: (p.runs[0].pk if p.runs else None) for p in parts}
    error, status = "", 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        for part in parts:
            value = request.POST.get(f"part-{part.microcredential.pk}", "")
            chosen[part.microcredential.pk] = int(value) if value.isdigit() and len(value) < 18 else None
        try:
            held = enrollment_services.bundle_hold(
                tenant=request.tenant,
                learner=_learner(request),
                bundle=bundle,
                offering_for_part={k: v for k, v in chosen.items() if v is not None},
            )
        except MicrocredError as exc:
            error, status = exc.message, 409
        else:
            query = urlencode([("bundle", bundle.pk), *(("enrollment", e.pk) for e in held)])
            return redirect(reverse("order-checkout") + "?" + query)
    context = {**presenters.bundle_context(bundle, parts, chosen), "error": error}
    return render(request, "payments/bundle.html", context, status=status)
