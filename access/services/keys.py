"""A tenant's RS256 keys for ID tokens (access.SigningKey).

A tenant gets its key the first time it signs. Rotating retires the current key and makes a new
one; a retired key stays in the tenant's JWKS for ACCESS_RETIRED_KEY_SECONDS, so the ID tokens it
signed (and relying parties' cached key sets) still verify. Private keys are PKCS#8 PEM,
encrypted with core.secrets (purpose "access.keys", key from ACCESS_SECRETS_KEY when set).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from jwcrypto import jwk

from access.errors import AccessBusy
from access.models import SigningKey
from core import secrets
from tenants.models import Tenant

PURPOSE = "access.keys"
SETTING = "ACCESS_SECRETS_KEY"


def _new_key(*, tenant: Tenant) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = jwk.JWK.from_pem(pem.encode())
    kid = key.thumbprint()
    public = {**json.loads(key.export_public()), "alg": "RS256", "use": "sig", "kid": kid}
    return SigningKey(
        tenant=tenant,
        kid=kid,
        public_jwk=public,
        private_key_encrypted=secrets.encrypt(pem, purpose=PURPOSE, setting=SETTING),
    )


def private_jwk(key: SigningKey) -> jwk.JWK:
    """The key to sign with. Decrypting and loading an RSA key (with its consistency checks)
    costs about as much CPU as the rest of a token request together, so each process keeps the
    keys it loaded, by their stored form: a rotated key is another entry, never a stale one."""
    return _loaded(key.pk, key.private_key_encrypted)


@functools.lru_cache(maxsize=64)
def _loaded(pk: int, private_key_encrypted: str) -> jwk.JWK:
    pem = secrets.decrypt(private_key_encrypted, purpose=PURPOSE, setting=SETTING)
    return jwk.JWK.from_pem(pem.encode())


def public_jwk(key: SigningKey) -> jwk.JWK:
    return jwk.JWK(**key.public_jwk)


def signing_key_current(*, tenant: Tenant) -> SigningKey:
    """The tenant's signing key, made on first need (concurrent first calls agree on one)."""
    for _attempt in range(3):
        key = SigningKey.objects.filter(tenant=tenant, retired_at__isnull=True).first()
        if key is not None:
            return key
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back only this insert
                key = _new_key(tenant=tenant)
                key.save()
            return key
        except IntegrityError:
            continue  # another process made it: read theirs
    raise AccessBusy("The signing key is being created; try again.")


def signing_key_rotate(*, tenant: Tenant) -> SigningKey:
    """Retire the tenant's signing key and make a new one; the old one stays in the JWKS."""
    with transaction.atomic():
        Tenant.objects.select_for_update().get(pk=tenant.pk)  # one rotation at a time
        SigningKey.objects.filter(tenant=tenant, retired_at__isnull=True).update(retired_at=timezone.now())
        key = _new_key(tenant=tenant)
        key.save()
    return key


def _published(*, tenant: Tenant, now: datetime) -> Q:
    kept_since = now - timedelta(seconds=settings.ACCESS_RETIRED_KEY_SECONDS)
    return Q(tenant=tenant) & (Q(retired_at__isnull=True) | Q(retired_at__gt=kept_since))


def keys_published(*, tenant: Tenant, now: datetime) -> list[SigningKey]:
    """The current key and the retired ones still kept, newest first."""
    return list(SigningKey.objects.filter(_published(tenant=tenant, now=now)).order_by("-created_at", "-pk"))


def jwks(*, tenant: Tenant, now: datetime) -> dict[str, Any]:
    """The tenant's JSON Web Key Set: public keys only (made on first need)."""
    signing_key_current(tenant=tenant)
    return {"keys": [key.public_jwk for key in keys_published(tenant=tenant, now=now)]}


def key_for_kid(*, tenant: Tenant, kid: str, now: datetime) -> SigningKey | None:
    """A published key of the tenant by its id (verifying a token it signed), or None."""
    return SigningKey.objects.filter(_published(tenant=tenant, now=now), kid=kid).first()
