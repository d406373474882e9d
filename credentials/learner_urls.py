"""The learner's credentials pages and each credential's public share page."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
