"""The hasher of relying parties' client secrets (django-oauth-toolkit's CLIENT_SECRET_HASHER).

A client secret is made by us (`oauth2_provider.generators.generate_client_secret`: 128
characters of 62, some 760 bits), so nobody can guess it and there is no dictionary to slow
down: a salted HMAC-SHA256 is as safe for it as PBKDF2's million rounds, and checking it costs
microseconds instead of a quarter of a second of CPU on every token request.

It is registered in PASSWORD_HASHERS (DOT finds hashers there) after the ones for people's
passwords, never first: the first stays the hasher of user passwords, for which a fast hash
would be wrong. Secrets hashed before (PBKDF2) still verify, and are hashed again with this one
the first time they are used (access.provider.TenantValidator).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _noop

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

ALGORITHM = "client_secret_hmac_sha256"


class ClientSecretHasher(BasePasswordHasher):
    algorithm = ALGORITHM

    def encode(self, password: str, salt: str) -> str:
        if password is None or not salt or "$" in salt:
            raise ValueError("a client secret and a salt without '$' are needed")
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError(f"not a {self.algorithm} hash")
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        try:
            decoded = self.decode(encoded)
        except ValueError:
            return False
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[_StrOrPromise, Any]:
        decoded = self.decode(encoded)
        return {
            _noop("algorithm"): decoded["algorithm"],
            _noop("salt"): mask_hash(decoded["salt"], show=2),
            _noop("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None
