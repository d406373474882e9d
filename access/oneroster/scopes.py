"""The OneRoster 1.2 rostering scopes a client may be granted. `roster-core.readonly` reads the
core collections (orgs, academic sessions, courses, classes, users); `roster.readonly` reads
every rostering collection, enrollments included."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ROSTER_CORE_READONLY = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
ROSTER_READONLY = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"

ONEROSTER_SCOPES = frozenset({ROSTER_CORE_READONLY, ROSTER_READONLY})

SCOPE_CHOICES = [
    (ROSTER_CORE_READONLY, _("Core roster: organisations, terms, courses, classes, users")),
    (ROSTER_READONLY, _("Full roster: the core roster and enrollments")),
]

# Scopes any one of which opens a collection.
CORE = frozenset({ROSTER_CORE_READONLY, ROSTER_READONLY})
FULL = frozenset({ROSTER_READONLY})
