"""The learner's credentials pages and each credential's public share page."""

from __future__ import annotations

from django.urls import URLPattern, path

from credentials import learner_views as views
from credentials import prior_learning_views

urlpatterns: list[URLPattern] = [
    path("my/credentials/", views.my_credentials, name="my-credentials"),
    path("my/credentials/prior-learning/", prior_learning_views.prior_learning, name="my-prior-learning"),
    path("credentials/<uuid:public_id>/", views.share, name="credential-share"),
    path("credentials/<uuid:public_id>/credential.json", views.credential_json, name="credential-json"),
    path("credentials/<uuid:public_id>/badge.png", views.credential_png, name="credential-png"),
    path("badges/<int:microcredential_id>.png", views.badge, name="badge-image"),
]
