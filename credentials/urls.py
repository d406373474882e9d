"""Public credential endpoints: issuers' DID documents, status lists, the verifier."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
