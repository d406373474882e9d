"""Learners' pages. Included before allauth's URLs: the sign-in pages at allauth's own paths
(and names) are ours, built on allauth's flows; everything else under /accounts/ is allauth's."""

from django.urls import path

from learners import console, views

urlpatterns = [
    path("accounts/login/", views.signin_page, name="account_login"),
    path("accounts/login/code/", views.signin_page, name="account_request_login_code"),
    path("accounts/login/code/confirm/", views.confirm_code_page, name="account_confirm_login_code"),
    path("accounts/signup/", views.signup_page, name="account_signup"),
    path("accounts/code/", views.staff_code_page, name="staff-code"),
    path("guest/", views.guest_page, name="guest-checkout"),
    path("me/", views.profile_page, name="profile"),
    path("me/contact/", views.profile_contact, name="profile-contact"),
    path("me/reminders/", views.profile_reminders, name="profile-reminders"),
    path("me/data.json", views.profile_export, name="profile-export"),
    path("me/delete/", views.profile_delete, name="profile-delete"),
    path("console/learners/", console.learners_page, name="console-learners"),
    path("console/learners/merge/", console.learner_merge, name="console-learner-merge"),
    path("console/learners/<int:user_id>/code/", console.learner_send_code, name="console-learner-code"),
]
