"""Bitstring Status Lists (W3C Bitstring Status List v1.0), one per unit and purpose.

Every credential of a unit takes one index, the same in its revocation and suspension lists.
The bits are not stored: a list is built from the credentials' `status` when it is asked for
(revoked → the revocation bit, suspended → the suspension bit), then gzip-compressed,
base64url-encoded with the multibase prefix "u", and signed by the unit's key as a
BitstringStatusListCredential.
"""

from __future__ import annotations

import base64
import gzip
import logging
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from credentials.errors import CredentialsBusy
from credentials.links import status_list_url, unit_did
from credentials.models import Credential, CredentialStatus, StatusList, StatusPurpose
from credentials.services import proof
from credentials.services.keys import SigningKey, signing_key
from tenants.models import Unit

logger = logging.getLogger(__name__)
CACHE_SECONDS = 300
PURPOSES = (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION)
_BIT_STATUS = {
    StatusPurpose.REVOCATION: CredentialStatus.REVOKED,
    StatusPurpose.SUSPENSION: CredentialStatus.SUSPENDED,
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_lists_ensure(*, unit: Unit) -> None:
    """The unit's two lists exist (concurrent first calls make them once)."""
    StatusList.objects.bulk_create(
        [StatusList(tenant_id=unit.tenant_id, unit=unit, purpose=p) for p in PURPOSES], ignore_conflicts=True
    )


def status_index_take(*, unit: Unit) -> int:
    """The unit's next free index: one conditional UPDATE, so no two credentials share one (the
    row stays locked until the caller's transaction ends). The lists are made on the unit's
    first credential (the UPDATE found no row: none yet, or the list is full)."""
    row = _next_index(unit)
    if row is None:
        status_lists_ensure(unit=unit)
        row = _next_index(unit)
    if row is None:
        raise CredentialsBusy("This unit's status list is full.", code="status_list_full")
    return row


def status_indexes_take(*, unit: Unit, count: int) -> list[int]:
    """`count` consecutive free indexes of the unit, in one conditional UPDATE (as
    status_index_take: no two credentials share one; the row stays locked until the caller's
    transaction ends, so take them in a transaction of their own)."""
    if count < 1:
        return []
    start = _next_index(unit, count)
    if start is None:
        status_lists_ensure(unit=unit)
        start = _next_index(unit, count)
    if start is None:
        raise CredentialsBusy("This unit's status list is full.", code="status_list_full")
    return list(range(start, start + count))


def _next_index(unit: Unit, count: int = 1) -> int | None:
    """The first of `count` indexes taken (None: no list yet, or not that many left)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE credentials_statuslist SET next_index = next_index + %s"
            " WHERE unit_id = %s AND purpose = %s AND next_index + %s <= size RETURNING next_index - %s",
            [count, unit.pk, StatusPurpose.REVOCATION.value, count, count],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def status_entries(*, unit: Unit, index: int) -> list[dict[str, Any]]:
    """A credential's `credentialStatus`: its bit in each of the unit's lists."""
    entries = []
    for purpose in PURPOSES:
        url = status_list_url(unit, purpose)
        entries.append(
            {
                "id": f"{url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose.value,
                "statusListIndex": str(index),
                "statusListCredential": url,
            }
        )
    return entries


def encode_bits(set_indexes: list[int], size: int) -> str:
    bits = bytearray(size // 8)
    for index in set_indexes:
        if 0 <= index < size:
            bits[index // 8] |= 0x80 >> (index % 8)  # index 0 is the first byte's high bit
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def decode_bits(encoded: str) -> bytes:
    """ValueError unless `encoded` is a multibase base64url gzip bitstring."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("the encoded list is not multibase base64url")
    body = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError("the encoded list is not gzip data") from exc


def bit_at(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise ValueError("the index is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_indexes(*, unit: Unit, purpose: str) -> list[int]:
    return list(
        Credential.objects.filter(unit=unit, status=_BIT_STATUS[StatusPurpose(purpose)]).values_list(
            "status_index", flat=True
        )
    )


def status_list_credential(*, unit: Unit, purpose: str) -> dict[str, Any]:
    """The unit's signed BitstringStatusListCredential for `purpose`, as of now. Kept in the
    cache under the list's `updated_at` (which every status change moves in its transaction)
    and the signing key, so a change or a rotation shows on the next request."""
    status_lists_ensure(unit=unit)
    status_list = StatusList.objects.get(unit=unit, purpose=purpose)
    key = signing_key(unit=unit)
    cache_key = f"credentials:status:{status_list.pk}:{status_list.updated_at.timestamp()}:{key.key.pk}"
    try:
        cached = cache.get(cache_key)
    except Exception:  # Redis down: build it
        logger.warning("status list cache unavailable", exc_info=True)
        cached = None
    if isinstance(cached, dict):
        return cached
    signed = _status_list_build(unit=unit, status_list=status_list, key=key)
    try:
        cache.set(cache_key, signed, CACHE_SECONDS)
    except Exception:
        logger.warning("status list cache unavailable", exc_info=True)
    return signed


def _status_list_build(*, unit: Unit, status_list: StatusList, key: SigningKey) -> dict[str, Any]:
    purpose = status_list.purpose
    url = status_list_url(unit, purpose)
    document = {
        "@context": [proof.VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": unit_did(unit),
        "validFrom": iso(timezone.now()),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(set_indexes(unit=unit, purpose=purpose), status_list.size),
        },
    }
    return proof.sign(
        document,
        private_key=key.private_key,
        verification_method=key.verification_method,
        created=iso(timezone.now()),
    )
