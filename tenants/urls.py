from django.urls import path

from tenants import views

urlpatterns = [
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("console/", views.console_home, name="console-home"),
    path("console/units/", views.console_units, name="console-units"),
    path("console/units/new/", views.console_unit_new, name="console-unit-new"),
    path("console/units/<slug:slug>/", views.console_unit, name="console-unit"),
    path("console/staff/", views.console_staff, name="console-staff"),
    path("console/staff/invite/", views.console_staff_invite, name="console-staff-invite"),
    path("console/staff/<int:pk>/remove/", views.console_membership_remove, name="console-membership-remove"),
    path("console/tokens/", views.console_tokens, name="console-tokens"),
    path("console/tokens/<int:pk>/revoke/", views.console_token_revoke, name="console-token-revoke"),
    path("console/sign-in/", views.console_sign_in, name="console-sign-in"),
    path("console/sign-in/<str:kind>/", views.console_sign_in_provider, name="console-sign-in-provider"),
    path(
        "console/invitations/<int:pk>/revoke/",
        views.console_invitation_revoke,
        name="console-invitation-revoke",
    ),
]
