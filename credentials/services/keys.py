"""A unit's Ed25519 signing keys and its issuer identity (did:web).

Each unit gets a key the first time it signs. Rotating retires the signing key and makes a new
one; retired keys stay in the unit's DID document, so what they signed still verifies. Private
keys are stored as PKCS#8 PEM, encrypted with core.secrets (purpose "credentials.keys", key
from the CREDENTIALS_SECRETS_KEY setting when set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import secrets
from credentials.errors import CredentialsBusy
from credentials.links import tenant_did, unit_did
from credentials.models import IssuerKey
from credentials.services.proof import multikey_encode
from tenants.mail import site_url
from tenants.models import Unit

PURPOSE = "credentials.keys"
SETTING = "CREDENTIALS_SECRETS_KEY"


@dataclass(frozen=True)
class SigningKey:
    key: IssuerKey
    private_key: Ed25519PrivateKey
    verification_method: str  # did:web:…#key-N


def _new_key(unit: Unit, key_id: str) -> IssuerKey:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return IssuerKey(
        tenant_id=unit.tenant_id,
        unit=unit,
        key_id=key_id,
        public_key_multibase=multikey_encode(private.public_key()),
        private_key_encrypted=secrets.encrypt(pem, purpose=PURPOSE, setting=SETTING),
    )


def _next_key_id(unit: Unit) -> str:
    count = IssuerKey.objects.filter(unit=unit).count()
    return f"key-{count + 1}"


def _private(key: IssuerKey) -> Ed25519PrivateKey:
    pem = secrets.decrypt(key.private_key_encrypted, purpose=PURPOSE, setting=SETTING)
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError(f"issuer key {key.pk} is not Ed25519")
    return private


def verification_method(key: IssuerKey) -> str:
    did = unit_did(key.unit) if key.unit is not None else tenant_did(key.tenant)
    return f"{did}#{key.key_id}"


def signing_key(*, unit: Unit) -> SigningKey:
    """The unit's signing key, made on first need (concurrent first calls agree on one)."""
    for _attempt in range(3):
        key = (
            IssuerKey.objects.filter(unit=unit, retired_at__isnull=True)
            .select_related("unit__tenant")
            .first()
        )
        if key is not None:
            return SigningKey(
                key=key, private_key=_private(key), verification_method=verification_method(key)
            )
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back only this insert
                _new_key(unit, _next_key_id(unit)).save()
        except IntegrityError:
            continue  # another process made it: read theirs
    raise CredentialsBusy("The unit's signing key is being created; try again.")


def key_rotate(*, unit: Unit) -> IssuerKey:
    """Retire the unit's signing key and make a new one (which signs from now on)."""
    with transaction.atomic():
        Unit.objects.select_for_update().get(pk=unit.pk)  # rotations of one unit, one at a time
        now = timezone.now()
        IssuerKey.objects.filter(unit=unit, retired_at__isnull=True).update(retired_at=now)
        key = _new_key(unit, _next_key_id(unit))
        key.created_at = now
        key.save()
    return key


def did_document(*, unit: Unit) -> dict[str, Any]:
    """The unit's DID document: every key it ever had, as Multikey assertion methods."""
    did = unit_did(unit)
    methods = [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in IssuerKey.objects.filter(unit=unit).order_by("created_at", "pk")
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def issuer_profile(*, unit: Unit) -> dict[str, Any]:
    """The unit as an Open Badges 3.0 issuer Profile (its id is the unit's DID)."""
    profile: dict[str, Any] = {
        "id": unit_did(unit),
        "type": ["Profile"],
        "name": unit.name,
        "url": site_url(unit.tenant),
    }
    if unit.contact_email:
        profile["email"] = unit.contact_email
    return profile
