from django.urls import path

from payments import console, console_refunds, views

urlpatterns = [
    path("orders/checkout/", views.checkout, name="order-checkout"),
    path("orders/checkout/held/<int:pk>/", views.checkout_held, name="order-checkout-held"),
    path("orders/<str:reference>/", views.order_detail, name="order-detail"),
    path("orders/<str:reference>/status.json", views.order_status, name="order-status"),
    path("orders/<str:reference>/receipt/", views.order_receipt, name="order-receipt"),
    path("my/learning/<int:pk>/cancel-paid/", views.paid_cancel, name="paid-cancel"),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    path("console/payments/", console.stripe_keys, name="console-payments"),
    path("console/refunds/", console_refunds.refund_list, name="console-refunds"),
    path(
        "console/refunds/<int:pk>/<slug:action>/", console_refunds.refund_action, name="console-refund-action"
    ),
    path(
        "console/offerings/<int:pk>/refunds/",
        console_refunds.offering_refunds,
        name="console-offering-refunds",
    ),
    path(
        "console/offerings/<int:pk>/cancel/", console_refunds.offering_cancel, name="console-offering-cancel"
    ),
]
