"""The webhooks' domain errors."""

from __future__ import annotations

from core.errors import MicrocredError


class EndpointRefused(MicrocredError):
    code = "webhook_endpoint_refused"
