"""Signing a delivery, Stripe's scheme (docs/webhooks.md):

    Microcred-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

`v1` is the hex HMAC-SHA256, keyed with the endpoint's secret (`whsec_…`, the whole string), of
the timestamp, a full stop and the exact body bytes. A receiver recomputes it, compares in
constant time, and refuses a timestamp older than its tolerance (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Microcred-Signature"


class SignatureInvalid(Exception):
    """The header is missing or malformed, no v1 signature matches, or the timestamp is too old."""


def signature(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    """The header's value for this body sent at unix time `t`."""
    return f"t={t},v1={signature(secret, body, t)}"


def verify(secret: str, body: bytes, header: str, tolerance: int = 300, now: int | None = None) -> int:
    """The header's timestamp if one of its v1 signatures is this body's under `secret` and the
    timestamp is within `tolerance` seconds of now; else SignatureInvalid."""
    t: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            t = int(value)
        elif key == "v1":
            candidates.append(value)
    if t is None or not candidates:
        raise SignatureInvalid("No timestamp or no v1 signature in the header.")
    expected = signature(secret, body, t)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureInvalid("No signature matches the body.")
    if abs((now if now is not None else int(time.time())) - t) > tolerance:
        raise SignatureInvalid("The timestamp is outside the tolerance.")
    return t
