"""Payments endpoints under /api/v1/ (microcred/api_urls.py includes this)."""

from django.urls import path

from payments import api

urlpatterns = [
    path("orders/", api.OrderListApi.as_view(), name="api-orders"),
    path("orders/seat-with-code/", api.SeatWithCodeApi.as_view(), name="api-seat-with-code"),
    path("orders/<str:reference>/", api.OrderDetailApi.as_view(), name="api-order"),
    path("refunds/", api.RefundListApi.as_view(), name="api-refunds"),
    path("refunds/<int:pk>/<slug:action>/", api.RefundActionApi.as_view(), name="api-refund-action"),
    path("cancellations/<int:pk>/", api.CancellationApi.as_view(), name="api-cancellation"),
]
