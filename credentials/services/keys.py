"""Ed25519 signing keys and issuer identities (did:web): each unit's, which sign its Open
Badges, and the tenant's own (an IssuerKey with no unit), which signs learner records (CLR).

Each unit, and the tenant, gets a key the first time it signs. Rotating retires the signing key
and makes a new one; retired keys stay in the DID document, so what they signed still verifies.
Private keys are stored as PKCS#8 PEM, encrypted with core.secrets (purpose "credentials.keys",
key from the CREDENTIALS_SECRETS_KEY setting when set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core import secrets
from credentials.errors import CredentialsBusy
from credentials.links import tenant_did, unit_did
from credentials.models import IssuerKey
from credentials.services.issuer_cache import issuers_changed
from credentials.services.proof import multikey_encode
from tenants.mail import site_url
from tenants.models import Tenant, Unit

PURPOSE = "credentials.keys"
SETTING = "CREDENTIALS_SECRETS_KEY"


@dataclass(frozen=True)
class SigningKey:
    key: IssuerKey
    private_key: Ed25519PrivateKey
    verification_method: str  # did:web:…#key-N


def _new_key(*, tenant_id: int, unit: Unit | None, key_id: str) -> IssuerKey:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return IssuerKey(
        tenant_id=tenant_id,
        unit=unit,
        key_id=key_id,
        public_key_multibase=multikey_encode(private.public_key()),
        private_key_encrypted=secrets.encrypt(pem, purpose=PURPOSE, setting=SETTING),
    )


def _keys_of(*, tenant_id: int, unit: Unit | None) -> QuerySet[IssuerKey]:
    """The unit's keys; with no unit, the tenant's own."""
    if unit is not None:
        return IssuerKey.objects.filter(unit=unit)
    return IssuerKey.objects.filter(tenant_id=tenant_id, unit__isnull=True)


def _next_key_id(*, tenant_id: int, unit: Unit | None) -> str:
    count = _keys_of(tenant_id=tenant_id, unit=unit).count()
    return f"key-{count + 1}"


# Decrypted keys, per process: a key row's private key never changes (rotation makes a new row),
# and decrypting and parsing it costs milliseconds on every credential signed.
_decrypted: dict[tuple[int, str], Ed25519PrivateKey] = {}
_DECRYPTED_MAX = 256


def _private(key: IssuerKey) -> Ed25519PrivateKey:
    remembered = _decrypted.get((key.pk, key.private_key_encrypted))
    if remembered is not None:
        return remembered
    pem = secrets.decrypt(key.private_key_encrypted, purpose=PURPOSE, setting=SETTING)
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError(f"issuer key {key.pk} is not Ed25519")
    if len(_decrypted) >= _DECRYPTED_MAX:
        _decrypted.clear()
    _decrypted[(key.pk, key.private_key_encrypted)] = private
    return private


def verification_method(key: IssuerKey) -> str:
    did = unit_did(key.unit) if key.unit is not None else tenant_did(key.tenant)
    return f"{did}#{key.key_id}"


def _signing_key(*, tenant_id: int, unit: Unit | None) -> SigningKey:
    """The signing key, made on first need (concurrent first calls agree on one)."""
    for _attempt in range(3):
        key = (
            _keys_of(tenant_id=tenant_id, unit=unit)
            .filter(retired_at__isnull=True)
            .select_related("unit__tenant", "tenant")
            .first()
        )
        if key is not None:
            return SigningKey(
                key=key, private_key=_private(key), verification_method=verification_method(key)
            )
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back only this insert
                key_id = _next_key_id(tenant_id=tenant_id, unit=unit)
                _new_key(tenant_id=tenant_id, unit=unit, key_id=key_id).save()
        except IntegrityError:
            continue  # another process made it: read theirs
    raise CredentialsBusy("The signing key is being created; try again.")


def signing_key(*, unit: Unit) -> SigningKey:
    """The unit's signing key (its Open Badges), made on first need."""
    return _signing_key(tenant_id=unit.tenant_id, unit=unit)


def tenant_signing_key(*, tenant: Tenant) -> SigningKey:
    """The tenant's own signing key (its learners' records), made on first need."""
    return _signing_key(tenant_id=tenant.pk, unit=None)


def _rotate(*, tenant_id: int, unit: Unit | None) -> IssuerKey:
    with transaction.atomic():
        # Rotations of one issuer, one at a time.
        if unit is not None:
            Unit.objects.select_for_update().get(pk=unit.pk)
        else:
            Tenant.objects.select_for_update().get(pk=tenant_id)
        now = timezone.now()
        _keys_of(tenant_id=tenant_id, unit=unit).filter(retired_at__isnull=True).update(retired_at=now)
        key = _new_key(tenant_id=tenant_id, unit=unit, key_id=_next_key_id(tenant_id=tenant_id, unit=unit))
        key.created_at = now
        key.save()
        issuers_changed()  # the retired key's retired_at (an UPDATE sends no signal)
    return key


def key_rotate(*, unit: Unit) -> IssuerKey:
    """Retire the unit's signing key and make a new one (which signs from now on)."""
    return _rotate(tenant_id=unit.tenant_id, unit=unit)


def tenant_key_rotate(*, tenant: Tenant) -> IssuerKey:
    """Retire the tenant's signing key and make a new one; records it signed still verify."""
    return _rotate(tenant_id=tenant.pk, unit=None)


def _did_document(did: str, keys: QuerySet[IssuerKey]) -> dict[str, Any]:
    methods = [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in keys.order_by("created_at", "pk")
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def did_document(*, unit: Unit) -> dict[str, Any]:
    """The unit's DID document: every key it ever had, as Multikey assertion methods."""
    return _did_document(unit_did(unit), _keys_of(tenant_id=unit.tenant_id, unit=unit))


def tenant_did_document(*, tenant: Tenant) -> dict[str, Any]:
    """The tenant's DID document (did:web:HOST, at /.well-known/did.json): its own keys."""
    return _did_document(tenant_did(tenant), _keys_of(tenant_id=tenant.pk, unit=None))


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


def tenant_profile(*, tenant: Tenant) -> dict[str, Any]:
    """The tenant as the issuer Profile of its learners' records (its id is the tenant's DID)."""
    return {"id": tenant_did(tenant), "type": ["Profile"], "name": tenant.name, "url": site_url(tenant)}
