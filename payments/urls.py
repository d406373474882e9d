from django.urls import path

from payments import console, console_promotions, console_refunds, views

urlpatterns = [
    path("orders/checkout/", views.checkout, name="order-checkout"),
    path("bundles/<int:pk>/", views.bundle_page, name="bundle"),
    path("orders/checkout/held/<int:pk>/", views.checkout_held, name="order-checkout-held"),
    path("orders/<str:reference>/", views.order_detail, name="order-detail"),
    path("orders/<str:reference>/status.json", views.order_status, name="order-status"),
    path("orders/<str:reference>/receipt/", views.order_receipt, name="order-receipt"),
    path("my/learning/<int:pk>/cancel-paid/", views.paid_cancel, name="paid-cancel"),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    path("console/payments/", console.stripe_keys, name="console-payments"),
    path("console/refunds/", console_refunds.refund_list, name="console-refunds"),
    path("console/promotions/", console_promotions.promotions_home, name="console-promotions"),
    path("console/promotions/new/", console_promotions.code_new, name="console-promotion-new"),
    path("console/promotions/batches/new/", console_promotions.batch_new, name="console-promotion-batch-new"),
    path(
        "console/promotions/batches/<int:pk>/codes.csv",
        console_promotions.batch_csv,
        name="console-promotion-batch-csv",
    ),
    path(
        "console/promotions/<int:pk>/withdraw/",
        console_promotions.code_withdraw,
        name="console-promotion-withdraw",
    ),
    path("console/enrollments/<int:pk>/waive/", console_promotions.seat_waive, name="console-seat-waive"),
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
