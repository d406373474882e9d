"""The learner's credentials and record pages, each credential's public share page, and shared
records' pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from credentials import learner_views as views
from credentials import prior_learning_views, record_views

urlpatterns: list[URLPattern] = [
    path("my/credentials/", views.my_credentials, name="my-credentials"),
    path("my/credentials/prior-learning/", prior_learning_views.prior_learning, name="my-prior-learning"),
    path("credentials/<uuid:public_id>/", views.share, name="credential-share"),
    path("credentials/<uuid:public_id>/credential.json", views.credential_json, name="credential-json"),
    path("credentials/<uuid:public_id>/badge.png", views.credential_png, name="credential-png"),
    path("badges/<int:microcredential_id>.png", views.badge, name="badge-image"),
    path("my/record/", record_views.my_record, name="my-record"),
    path("my/record/clr.json", record_views.my_record_json, name="my-record-json"),
    path("my/record/transcript/", record_views.my_transcript, name="my-transcript"),
    path("my/record/shares/", record_views.share_create, name="my-record-share-create"),
    path(
        "my/record/shares/<int:share_id>/revoke/",
        record_views.share_revoke,
        name="my-record-share-revoke",
    ),
    path("records/<str:token>/", record_views.shared_record, name="record-share"),
    path("records/<str:token>/clr.json", record_views.shared_record_json, name="record-share-json"),
]
