"""Identifiers shaped like Stripe's: a prefix and random letters and digits."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """`new_id("ch_")` → `ch_3PgafuB7WZ01zgkWXYmPNZs8`-like. 24 base-62 characters carry ~143 bits."""
    number = int.from_bytes(secrets.token_bytes(length), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return prefix + "".join(chars)


def session_id() -> str:
    return new_id("cs_test_a1", 56)
