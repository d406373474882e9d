"""Orders over HTTP (/api/v1/): the learner starts paying for held seats and follows the order.

`POST /orders/` `{"enrollments": [ids]}` answers 201 with the order and its `checkout_url`
(Stripe Checkout, where the learner pays); the same seats again give the same open order.
503 `payment_unavailable` when Stripe did not answer (nothing charged, nothing stray: try
again); 409 `checkout_refused` (not held, mixed currencies, being paid); another learner's or
tenant's enrollment is a 404.

The refund and cancellation POSTs honour `Idempotency-Key` as `POST /enrollments/` does
(enrollment/api.py): a retry gets the first answer with `Idempotent-Replayed: true`, and no
refund is asked twice. `POST /orders/` honours it too; without a key it is safe to repeat
anyway: starts are taken one at a time per learner and the same seats give the same open order
(Stripe gets its own key per order), so a raced double submit makes one order and one session.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorOutput, IdField
from core.money import MAX_AMOUNT_MINOR
from enrollment.api import IDEMPOTENCY_KEY, KEY_REUSED, answered, keyed_answer, keyed_response
from enrollment.services import idempotency
from payments import selectors
from payments.models import LineStatus, Order, OrderStatus, Refund, RefundRequester, RefundState
from payments.services import cancellation, checkout, orders, refund_requests, staff_refunds, waivers
from payments.views import checkout_urls
from tenants.api import request_tenant, request_user
from tenants.api_auth import api_staff_access
from tenants.errors import NotVisible
from tenants.models import Unit
from tenants.selectors import StaffAccess


class OrderLineOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    enrollment = serializers.IntegerField(source="enrollment_id")
    offering = serializers.IntegerField(source="offering_id")
    unit = serializers.CharField(source="unit.slug")
    description = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="What the learner pays for the line.")
    list_amount_minor = serializers.IntegerField(help_text="The line's list price.")
    discount_minor = serializers.IntegerField(help_text="What a promotion code or fee waiver took off.")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=LineStatus.choices)


class OrderOutput(serializers.Serializer[Any]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    amount_minor = serializers.IntegerField(help_text="Integer minor units (cents): what is paid.")
    discount_minor = serializers.IntegerField(help_text="What a promotion code or fee waiver took off.")
    promotion_code = serializers.CharField(source="promotion_code.code", default="", allow_null=True)
    waiver_reason = serializers.CharField(help_text="Why the fee was waived (nothing to pay), else empty.")
    currency = serializers.CharField()
    checkout_url = serializers.CharField(help_text="Stripe Checkout's page while the order is open.")
    checkout_expires_at = serializers.DateTimeField(help_text="When the checkout, and the seat holds, end.")
    paid_at = serializers.DateTimeField(allow_null=True)
    payment_reference = serializers.CharField(source="payment_intent_id")
    lines = OrderLineOutput(many=True)
    created_at = serializers.DateTimeField()


class OrderInput(serializers.Serializer[Any]):
    enrollments = serializers.ListField(
        child=IdField(),
        min_length=1,
        max_length=20,
        help_text="Ids of the learner's held paid enrollments, all in one currency.",
    )
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="A promotion code. An order left with nothing to pay is confirmed at once, no checkout.",
    )


class SeatWithCodeInput(serializers.Serializer[Any]):
    offering = IdField(help_text="The offering to take a seat in.")
    code = serializers.CharField(max_length=60, help_text="A promotion code.")


class SeatWithCodeApi(APIView):
    @extend_schema(
        operation_id="orders_seat_with_code",
        request=SeatWithCodeInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderOutput, 400: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput, 422: KEY_REUSED},
        tags=["orders"],
        description=(
            "Take a seat with a promotion code in one call: the seat held and its order made together, "
            "or neither (the offering full, the code used up or not valid). With nothing left to pay "
            "the order is paid and the seat confirmed; else the order has its Checkout address."
        ),
    )
    def post(self, request: Request) -> Response:
        data = SeatWithCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant, learner = request_tenant(request), request_user(request)
        offering_id, code = data.validated_data["offering"], data.validated_data["code"]

        def run() -> tuple[int, dict[str, Any]]:
            order = waivers.seat_with_code(tenant=tenant, learner=learner, offering_id=offering_id, code=code)
            return 201, {"reference": order.reference}

        first = keyed_answer(
            request,
            tenant=tenant,
            user=learner,
            asked=("orders/seat", {"offering": offering_id, "code": code}),
            run=run,
        )
        order = selectors.order_for_learner(tenant=tenant, learner=learner, reference=first.body["reference"])
        if order.amount_minor and order.status == OrderStatus.DRAFT:
            success, cancel = checkout_urls(request._request, order)
            order = checkout.checkout_start(order=order, success_url=success, cancel_url=cancel)
        body = dict(OrderOutput(_fresh(order)).data)
        return answered(idempotency.Answer(first.status, body, replayed=first.replayed))


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class OrderListApi(APIView):
    @extend_schema(operation_id="orders_list", responses={200: OrderOutput(many=True)}, tags=["orders"])
    def get(self, request: Request) -> Response:
        rows = selectors.orders_for_learner(tenant=request_tenant(request), learner=request_user(request))
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(OrderOutput(page, many=True).data)

    @extend_schema(
        operation_id="orders_create",
        request=OrderInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OrderOutput,
            404: ErrorOutput,
            409: ErrorOutput,
            422: KEY_REUSED,
            503: OpenApiResponse(ErrorOutput.response, description="Stripe did not answer: try again."),
        },
        tags=["orders"],
        description="Start paying for held seats: the order and its Stripe Checkout address.",
    )
    def post(self, request: Request) -> Response:
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant, learner = request_tenant(request), request_user(request)
        enrollment_ids = sorted(set(data.validated_data["enrollments"]))
        code = data.validated_data.get("code", "")

        def run() -> tuple[int, dict[str, Any]]:
            start = orders.order_for_holds(
                tenant=tenant, learner=learner, enrollment_ids=enrollment_ids, code=code
            )
            if start.order.amount_minor == 0:
                waivers.free_order_confirm(order=start.order)
            return 201, {"reference": start.order.reference}

        # Once per key: which order. Then Stripe, after that transaction and its locks are over
        # (checkout_start finds the session again for a retry: its own key is the order's).
        first = keyed_answer(
            request,
            tenant=tenant,
            user=learner,
            asked=("orders", {"enrollments": enrollment_ids, **({"code": code} if code else {})}),
            run=run,
        )
        order = selectors.order_for_learner(tenant=tenant, learner=learner, reference=first.body["reference"])
        if order.amount_minor:
            success, cancel = checkout_urls(request._request, order)
            order = checkout.checkout_start(order=order, success_url=success, cancel_url=cancel)
        body = dict(OrderOutput(_fresh(order)).data)
        return answered(idempotency.Answer(first.status, body, replayed=first.replayed))


class OrderDetailApi(APIView):
    @extend_schema(
        operation_id="orders_retrieve", responses={200: OrderOutput, 404: ErrorOutput}, tags=["orders"]
    )
    def get(self, request: Request, reference: str) -> Response:
        order = selectors.order_for_learner(
            tenant=request_tenant(request), learner=request_user(request), reference=reference
        )
        return Response(OrderOutput(order).data)


def _fresh(order: Order) -> Order:
    return Order.objects.prefetch_related("lines__unit").get(pk=order.pk)


# ------------------------------------------------------------------------------------- refunds


class RefundOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    order = serializers.CharField(source="line.order.reference")
    line = serializers.IntegerField(source="line_id")
    learner_email = serializers.EmailField(source="line.order.email")
    unit = serializers.CharField(source="line.unit.slug")
    amount_minor = serializers.IntegerField(help_text="Integer minor units (cents).")
    currency = serializers.CharField()
    reason = serializers.CharField()
    requested_by_kind = serializers.ChoiceField(choices=RefundRequester.choices)
    requested_by = serializers.EmailField(source="requested_by.email", allow_null=True, default=None)
    state = serializers.ChoiceField(choices=RefundState.choices)
    failure_reason = serializers.CharField(help_text="Stripe's reason when the refund failed.")
    resolution_note = serializers.CharField()
    processor_refund_id = serializers.CharField(source="stripe_refund_id")
    cancelled_enrollment = serializers.BooleanField()
    retry_of = serializers.IntegerField(source="retry_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)


class RefundInput(serializers.Serializer[Any]):
    line = IdField(help_text="The order line to refund.")
    amount_minor = serializers.IntegerField(
        min_value=1, max_value=MAX_AMOUNT_MINOR, help_text="At most what is left to refund on the line."
    )
    reason = serializers.CharField(max_length=500)
    cancel_enrollment = serializers.BooleanField(default=False)


class NoteInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


REFUND_REFUSALS = {
    404: ErrorOutput,
    409: OpenApiResponse(
        ErrorOutput.response,
        description="Refused: `refund_too_much`, `refund_unpaid`, `refund_not_failed`, "
        "`refund_quote_changed`.",
    ),
}


class RefundStaffApi(APIView):
    """Signed-in staff of the tenant: finance reads, unit and tenant admins act on their units."""

    access: StaffAccess

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.access = api_staff_access(request)
        if not self.access.is_staff:
            raise NotVisible(_("Not found."))

    def _refund(self, pk: int, *, act: bool) -> Refund:
        refund = (
            Refund.objects.select_related("line__unit")
            .filter(tenant=request_tenant(self.request), pk=pk)
            .first()
        )
        unit = refund.line.unit if refund is not None else None
        if unit is None or not (self.access.manages_unit(unit) if act else self.access.reaches_unit(unit)):
            raise NotVisible(_("No such refund."))
        return refund  # type: ignore[return-value]


def _refund_body(pk: int) -> dict[str, Any]:
    refund = Refund.objects.select_related("line__order", "line__unit", "requested_by").get(pk=pk)
    return dict(RefundOutput(refund).data)


class RefundListApi(RefundStaffApi):
    @extend_schema(
        operation_id="refunds_list",
        parameters=[
            OpenApiParameter("state", str, enum=list(RefundState.values)),
            OpenApiParameter("unit", str, description="A unit's slug."),
            OpenApiParameter("q", str, description="Learner e-mail, order reference or reason."),
        ],
        responses={200: RefundOutput(many=True)},
        tags=["refunds"],
        description="Every refund of the units the caller reaches, failed ones first.",
    )
    def get(self, request: Request) -> Response:
        tenant = request_tenant(request)
        unit_id = None
        if request.query_params.get("unit"):
            unit_id = (
                Unit.objects.filter(tenant=tenant, slug=request.query_params["unit"])
                .values_list("pk", flat=True)
                .first()
                or -1
            )
        state = request.query_params.get("state", "")
        rows = selectors.refunds_for_staff(
            tenant=tenant,
            access=self.access,
            state=state if state in RefundState.values else "",
            unit_id=unit_id,
            query=request.query_params.get("q", "")[:200],
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RefundOutput(page, many=True).data)

    @extend_schema(
        operation_id="refunds_create",
        request=RefundInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RefundOutput, 400: ErrorOutput, 422: KEY_REUSED, **REFUND_REFUSALS},
        tags=["refunds"],
        description="Refund part or all of what is left on an order line of a unit you run, with a reason; "
        "optionally cancel the enrollment too. Carried out by a job: `state` moves on from `requested`.",
    )
    def post(self, request: Request) -> Response:
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def run() -> tuple[int, dict[str, Any]]:
            refund = staff_refunds.staff_refund(
                tenant=request_tenant(request),
                access=self.access,
                actor=request_user(request),
                line_id=values["line"],
                amount_minor=values["amount_minor"],
                reason=values["reason"],
                cancel_enrollment=values["cancel_enrollment"],
            )
            return 201, _refund_body(refund.pk)

        return keyed_response(
            request,
            tenant=request_tenant(request),
            user=request_user(request),
            asked=("refunds", dict(values)),
            run=run,
        )


class RefundActionApi(RefundStaffApi):
    ACTIONS = ("retry", "resolve")

    @extend_schema(
        operation_id="refunds_act",
        request=NoteInput,
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS)),
            IDEMPOTENCY_KEY,
        ],
        responses={
            200: RefundOutput,
            201: RefundOutput,
            400: ErrorOutput,
            422: KEY_REUSED,
            **REFUND_REFUSALS,
        },
        tags=["refunds"],
        description="A failed refund: `retry` (201, the new refund; the failed one is resolved, "
        "pointing to it) "
        "or `resolve` by hand with a `note` (200).",
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        if action not in self.ACTIONS:
            raise NotVisible(_("Not found."))
        self._refund(pk, act=True)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant, actor, note = request_tenant(request), request_user(request), data.validated_data["note"]

        def run() -> tuple[int, dict[str, Any]]:
            if action == "retry":
                new = refund_requests.refund_retry(tenant=tenant, refund_id=pk, actor=actor, note=note)
                return 201, _refund_body(new.pk)
            refund_requests.refund_resolve(tenant=tenant, refund_id=pk, actor=actor, note=note)
            return 200, _refund_body(pk)

        return keyed_response(
            request, tenant=tenant, user=actor, asked=("refunds", pk, action, {"note": note}), run=run
        )


class CancellationOutput(serializers.Serializer[Any]):
    enrollment = serializers.IntegerField()
    paid_minor = serializers.IntegerField()
    refund_minor = serializers.IntegerField(help_text="What cancelling now gives back, in minor units.")
    currency = serializers.CharField()
    percent = serializers.IntegerField()
    fee_minor = serializers.IntegerField()
    until = serializers.DateTimeField(allow_null=True, help_text="When this amount stops applying.")
    frees_seat = serializers.BooleanField()
    words = serializers.CharField()
    policy = serializers.ListField(child=serializers.CharField())


class CancellationInput(serializers.Serializer[Any]):
    expected_minor = serializers.IntegerField(
        min_value=0, help_text="The refund_minor you were shown; refused (409) if it changed since."
    )


class CancellationDoneOutput(serializers.Serializer[Any]):
    enrollment = serializers.IntegerField()
    status = serializers.CharField()
    refund = RefundOutput(allow_null=True)


def _quote_body(preview: selectors.CancelPreview) -> dict[str, Any]:
    return {
        "enrollment": preview.enrollment.pk,
        "paid_minor": preview.line.amount_minor,
        "refund_minor": preview.amount_minor,
        "currency": preview.line.currency,
        "percent": preview.quote.percent,
        "fee_minor": preview.quote.fee_minor,
        "until": preview.quote.until,
        "frees_seat": preview.quote.frees_seat,
        "words": preview.quote.words,
        "policy": preview.policy_words,
    }


class CancellationApi(APIView):
    """The learner's own paid seat: what cancelling gives back (GET), and cancelling (POST)."""

    @extend_schema(
        operation_id="cancellations_quote",
        responses={200: CancellationOutput, 404: ErrorOutput},
        tags=["refunds"],
        description="What cancelling this paid seat now gives back, and until when, from the refund policy "
        "kept with the order.",
    )
    def get(self, request: Request, pk: int) -> Response:
        preview = selectors.cancel_preview(
            tenant=request_tenant(request), learner=request_user(request), enrollment_id=pk
        )
        return Response(CancellationOutput(_quote_body(preview)).data)

    @extend_schema(
        operation_id="cancellations_create",
        request=CancellationInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: CancellationDoneOutput, 400: ErrorOutput, 422: KEY_REUSED, **REFUND_REFUSALS},
        tags=["refunds"],
        description="Cancel the paid seat and ask for the refund quoted "
        "(none when the policy gives nothing).",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = CancellationInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant, learner, expected = (
            request_tenant(request),
            request_user(request),
            data.validated_data["expected_minor"],
        )

        def run() -> tuple[int, dict[str, Any]]:
            enrollment, refund = cancellation.paid_enrollment_cancel(
                tenant=tenant, learner=learner, enrollment_id=pk, expected_minor=expected
            )
            return 200, {
                "enrollment": enrollment.pk,
                "status": str(enrollment.status),
                "refund": _refund_body(refund.pk) if refund is not None else None,
            }

        return keyed_response(
            request,
            tenant=tenant,
            user=learner,
            asked=("cancellations", pk, {"expected_minor": expected}),
            run=run,
        )
