from django.urls import path

from catalog.views import console, public

urlpatterns = [
    # Learners
    path("", public.home, name="home"),
    path("u/<slug:slug>/", public.unit_home, name="unit-home"),
    path("offerings/<int:pk>/", public.offering_detail, name="offering-detail"),
    # Staff console
    path("console/catalog/", console.catalog_home, name="console-catalog"),
    path("console/catalog/new/", console.microcredential_new, name="console-microcredential-new"),
    path("console/catalog/<int:pk>/", console.microcredential_detail, name="console-microcredential"),
    path("console/catalog/<int:pk>/edit/", console.microcredential_edit, name="console-microcredential-edit"),
    path(
        "console/catalog/<int:pk>/status/",
        console.microcredential_status,
        name="console-microcredential-status",
    ),
    path("console/catalog/<int:pk>/offerings/new/", console.offering_new, name="console-offering-new"),
    path("console/offerings/<int:pk>/", console.offering_detail, name="console-offering"),
    path("console/offerings/<int:pk>/edit/", console.offering_edit, name="console-offering-edit"),
    path("console/offerings/<int:pk>/status/", console.offering_status, name="console-offering-status"),
    path("console/offerings/<int:pk>/copy/", console.offering_copy, name="console-offering-copy"),
    path("console/refund-policies/", console.refund_policies, name="console-refund-policies"),
    path("console/refund-policies/new/", console.refund_policy_new, name="console-refund-policy-new"),
    path("console/refund-policies/<int:pk>/", console.refund_policy_edit, name="console-refund-policy"),
]
