"""Orders over HTTP (/api/v1/): the learner starts paying for held seats and follows the order.

`POST /orders/` `{"enrollments": [ids]}` answers 201 with the order and its `checkout_url`
(Stripe Checkout, where the learner pays); the same seats again give the same open order.
503 `payment_unavailable` when Stripe did not answer (nothing charged, nothing stray: try
again); 409 `checkout_refused` (not held, mixed currencies, being paid); another learner's or
tenant's enrollment is a 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.api import ErrorOutput
from identity.models import User
from payments import selectors
from payments.models import LineStatus, Order, OrderStatus
from payments.services import orders
from payments.views import checkout_urls
from tenants.models import Tenant


def _tenant(request: Request) -> Tenant:
    tenant: Tenant = request._request.tenant  # type: ignore[attr-defined]
    return tenant


def _user(request: Request) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


class OrderLineOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    enrollment = serializers.IntegerField(source="enrollment_id")
    offering = serializers.IntegerField(source="offering_id")
    unit = serializers.CharField(source="unit.slug")
    description = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=LineStatus.choices)


class OrderOutput(serializers.Serializer[Any]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    amount_minor = serializers.IntegerField(help_text="Integer minor units (cents).")
    currency = serializers.CharField()
    checkout_url = serializers.CharField(help_text="Stripe Checkout's page while the order is open.")
    checkout_expires_at = serializers.DateTimeField(help_text="When the checkout, and the seat holds, end.")
    paid_at = serializers.DateTimeField(allow_null=True)
    payment_reference = serializers.CharField(source="payment_intent_id")
    lines = OrderLineOutput(many=True)
    created_at = serializers.DateTimeField()


class OrderInput(serializers.Serializer[Any]):
    enrollments = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=20,
        help_text="Ids of the learner's held paid enrollments, all in one currency.",
    )


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class OrderListApi(APIView):
    @extend_schema(operation_id="orders_list", responses={200: OrderOutput(many=True)}, tags=["orders"])
    def get(self, request: Request) -> Response:
        rows = selectors.orders_for_learner(tenant=_tenant(request), learner=_user(request))
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(OrderOutput(page, many=True).data)

    @extend_schema(
        operation_id="orders_create",
        request=OrderInput,
        responses={
            201: OrderOutput,
            404: ErrorOutput,
            409: ErrorOutput,
            503: OpenApiResponse(ErrorOutput.response, description="Stripe did not answer: try again."),
        },
        tags=["orders"],
        description="Start paying for held seats: the order and its Stripe Checkout address.",
    )
    def post(self, request: Request) -> Response:
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        start = orders.order_for_holds(
            tenant=_tenant(request), learner=_user(request), enrollment_ids=data.validated_data["enrollments"]
        )
        success, cancel = checkout_urls(request._request, start.order)
        order = orders.checkout_start(order=start.order, success_url=success, cancel_url=cancel)
        return Response(OrderOutput(_fresh(order)).data, status=201)


class OrderDetailApi(APIView):
    @extend_schema(
        operation_id="orders_retrieve", responses={200: OrderOutput, 404: ErrorOutput}, tags=["orders"]
    )
    def get(self, request: Request, reference: str) -> Response:
        order = selectors.order_for_learner(
            tenant=_tenant(request), learner=_user(request), reference=reference
        )
        return Response(OrderOutput(order).data)


def _fresh(order: Order) -> Order:
    return Order.objects.prefetch_related("lines__unit").get(pk=order.pk)
