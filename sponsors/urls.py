from django.urls import path

from sponsors import console, views

urlpatterns = [
    path("console/sponsors/", console.employer_list, name="console-sponsors"),
    path("console/sponsors/new/", console.employer_new, name="console-sponsor-new"),
    path("console/sponsors/<int:pk>/", console.employer_detail, name="console-sponsor-employer"),
    path(
        "console/sponsors/<int:pk>/pools/<int:pool_pk>/send/",
        console.pool_send,
        name="console-sponsor-pool-send",
    ),
    path(
        "console/sponsors/<int:pk>/pools/<int:pool_pk>/void/",
        console.pool_void,
        name="console-sponsor-pool-void",
    ),
    path("console/sponsors/<int:pk>/contacts/", console.contact_add, name="console-sponsor-contact-add"),
    path("sponsor/", views.portal, name="sponsor-portal"),
    path("sponsor/employers/<int:employer_pk>/buy/", views.pool_buy, name="sponsor-buy"),
    path("sponsor/pools/<int:pk>/", views.pool_detail, name="sponsor-pool"),
    path("sponsor/pools/<int:pk>/report.csv", views.pool_report_csv, name="sponsor-pool-report"),
    path("sponsor/seats/<int:enrollment_pk>/", views.seat_sharing, name="sponsor-seat"),
    path("sponsor/seats/<int:enrollment_pk>/cancel/", views.seat_cancel, name="sponsor-seat-cancel"),
    path("sponsor/pools/<int:pk>/codes.csv", views.pool_codes_csv, name="sponsor-pool-codes"),
    path("sponsor/pools/<int:pk>/enrol/", views.pool_upload, name="sponsor-pool-upload"),
    path("sponsor/redeem/", views.redeem, name="sponsor-redeem"),
]
