from django.urls import path

from webhooks import console

urlpatterns = [
    path("console/webhooks/", console.endpoint_list, name="console-webhooks"),
    path("console/webhooks/new/", console.endpoint_new, name="console-webhook-new"),
    path("console/webhooks/<int:pk>/", console.endpoint_detail, name="console-webhook"),
    path("console/webhooks/<int:pk>/toggle/", console.endpoint_toggle, name="console-webhook-toggle"),
    path("console/webhooks/<int:pk>/ping/", console.endpoint_ping, name="console-webhook-ping"),
    path(
        "console/webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/",
        console.delivery_replay,
        name="console-webhook-replay",
    ),
]
