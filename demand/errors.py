"""demand's domain errors."""

from __future__ import annotations

from core.errors import ValidationFailed


class InterestRefused(ValidationFailed):
    code = "interest_refused"
