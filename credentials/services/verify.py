"""Verifying a credential: ours or anyone's, in Open Badges 3.0 or CLR 2.0, offline.

Checks, in order (a failed format check stops there):
- format: a JSON object, VC Data Model 2.0 context, type OpenBadgeCredential (or its alias
  AchievementCredential) or ClrCredential;
- issuer: the proof's verification method belongs to the issuer and its key can be found
  without the network: our own units' and tenants' did:web (from the database), did:key (the
  key is in the identifier); anything else is "cannot be resolved offline";
- proof: the eddsa-rdfc-2022 Data Integrity signature (credentials.services.proof);
- dates: validFrom has come, validUntil has not passed;
- status: each BitstringStatusListEntry pointing at one of our units' lists, read locally.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from credentials.models import Credential, CredentialStatus, IssuerKey
from credentials.services import proof
from credentials.services.issuer_cache import remembered, unit_statuses
from tenants.models import Domain, Tenant, Unit

logger = logging.getLogger(__name__)

MAX_INPUT = 2_000_000  # characters of JSON text
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential", "ClrCredential")


@dataclass(frozen=True)
class Check:
    name: str  # "format", "proof", "issuer", "status", "dates"
    ok: bool
    message: str  # for people: what was checked and what was found


@dataclass(frozen=True)
class Verdict:
    ok: bool  # every check passed
    checks: tuple[Check, ...]
    kind: str  # "OpenBadgeCredential", "ClrCredential", or "" when not recognised
    issuer_id: str
    issuer_name: str
    achievement_name: str
    subject_name: str


class _Failed(Exception):
    pass


def _verdict(checks: list[Check], document: dict[str, Any] | None = None, kind: str = "") -> Verdict:
    issuer_id = issuer_name = achievement_name = subject_name = ""
    if document is not None:
        issuer = document.get("issuer")
        if isinstance(issuer, str):
            issuer_id = issuer
        elif isinstance(issuer, dict):
            issuer_id = _text(issuer.get("id"))
            issuer_name = _text(issuer.get("name"))
        subject = document.get("credentialSubject")
        if isinstance(subject, dict):
            subject_name = _text(subject.get("name"))
            achievement = subject.get("achievement")
            if isinstance(achievement, dict):
                achievement_name = _text(achievement.get("name"))
        achievement_name = achievement_name or _text(document.get("name"))
    return Verdict(
        ok=bool(checks) and all(c.ok for c in checks),
        checks=tuple(checks),
        kind=kind,
        issuer_id=issuer_id,
        issuer_name=issuer_name,
        achievement_name=achievement_name,
        subject_name=subject_name,
    )


def _text(value: object) -> str:
    if isinstance(value, str):
        return value[:500]
    if isinstance(value, list) and value and isinstance(value[0], dict):  # a language map
        return _text(value[0].get("@value"))
    return ""


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _parse(document: object) -> dict[str, Any]:
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Failed("The file is not UTF-8 text, so it cannot be a JSON credential.") from exc
    if isinstance(document, str):
        if len(document) > MAX_INPUT:
            raise _Failed("The text is too long to be one credential.")
        try:
            document = json.loads(document)
        except (ValueError, RecursionError) as exc:
            raise _Failed("This is not JSON: a credential is a JSON object.") from exc
    if not isinstance(document, dict):
        raise _Failed("A credential is a JSON object; this is not one.")
    return document


def _kind(document: dict[str, Any]) -> str:
    contexts = _as_list(document.get("@context"))
    if not contexts or contexts[0] != proof.VC_V2:
        raise _Failed(
            "The first @context is not the Verifiable Credentials 2.0 context "
            f"({proof.VC_V2}): this is not a VC 2.0 credential (Open Badges 3.0 uses it)."
        )
    types = _as_list(document.get("type"))
    if "VerifiableCredential" not in types:
        raise _Failed("Its type does not include VerifiableCredential.")
    for kind in CREDENTIAL_TYPES:
        if kind in types:
            return "OpenBadgeCredential" if kind == "AchievementCredential" else kind
    raise _Failed("It is neither an OpenBadgeCredential nor a ClrCredential.")


# --- resolving keys offline -------------------------------------------------------------------


class _Lookups:
    """What one verification reads, each thing once: a credential names its unit three times (the
    issuer and two status lists) and its status index twice. Units and keys come from the
    issuers' cache; statuses from the database."""

    def __init__(self) -> None:
        self._units: dict[tuple[str, str], Unit | None] = {}
        self._statuses: dict[tuple[int, int], tuple[str, str] | None] = {}

    def unit(self, host: str, slug: str) -> Unit | None:
        host = host.split(":", 1)[0].lower()
        if (host, slug) not in self._units:
            self._units[(host, slug)] = remembered(
                f"unit:{host}:{slug}", lambda: _our_unit_from_host_and_slug(host, slug)
            )
        return self._units[(host, slug)]

    def status(self, unit: Unit, index: int) -> tuple[str, str] | None:
        """The status and its reason of the unit's credential at `index` when it is revoked or
        suspended (None: active, or no such credential)."""
        known = unit_statuses(unit.pk, lambda: _not_active(unit.pk))
        if known is not None:
            return known.get(index)
        if (unit.pk, index) not in self._statuses:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT status, status_reason FROM credentials_credential"
                    " WHERE unit_id = %s AND status_index = %s",
                    [unit.pk, index],
                )
                row = cursor.fetchone()
            self._statuses[(unit.pk, index)] = (str(row[0]), str(row[1])) if row else None
        return self._statuses[(unit.pk, index)]


def _not_active(unit_id: int) -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status_index, status, status_reason FROM credentials_credential"
            " WHERE unit_id = %s AND status IN (%s, %s)",
            [unit_id, CredentialStatus.REVOKED.value, CredentialStatus.SUSPENDED.value],
        )
        return {int(index): (str(status), str(reason)) for index, status, reason in cursor.fetchall()}


def _our_unit_from_host_and_slug(host: str, slug: str) -> Unit | None:
    domain = Domain.objects.filter(host=host).select_related("tenant").first()
    if domain is None:
        return None
    return Unit.objects.filter(tenant=domain.tenant, slug=slug).select_related("tenant").first()


def _did_web_unit(did: str, lookups: _Lookups) -> Unit | None:
    parts = did.split(":")
    if len(parts) == 5 and parts[:2] == ["did", "web"] and parts[3] == "units":
        return lookups.unit(unquote(parts[2]), parts[4])
    return None


def _did_web_tenant(did: str) -> Tenant | None:
    """did:web:HOST[%3APORT]: one of our tenants (the issuer of its learners' records)."""
    parts = did.split(":")
    if len(parts) == 3 and parts[:2] == ["did", "web"]:
        host = unquote(parts[2]).split(":", 1)[0].lower()

        def read() -> Tenant | None:
            domain = Domain.objects.filter(host=host).select_related("tenant").first()
            return domain.tenant if domain is not None else None

        tenant: Tenant | None = remembered(f"tenant:{host}", read)
        return tenant
    return None


def _found_key(key: IssuerKey | None, *, fragment: str, name: str) -> tuple[Ed25519PublicKey, str]:
    if key is None:
        raise _Failed(f"{name} has no key {fragment}: this proof was not made by its keys.")
    where = f"Key {fragment} of {name} (one of the issuers on this platform)"
    if key.retired_at is not None:
        where += f", retired {key.retired_at:%Y-%m-%d} (still valid for what it signed)"
    return proof.multikey_decode(key.public_key_multibase), where + "."


def _resolve(issuer_id: str, method: str, lookups: _Lookups) -> tuple[Ed25519PublicKey, str]:
    """The public key of `method`, and a sentence on where it was found; _Failed otherwise."""
    controller, _hash, fragment = method.partition("#")
    if not fragment:
        raise _Failed(f"The verification method {method} names no key (no #fragment).")
    if controller != issuer_id:
        raise _Failed(f"The proof was made with {method}, which is not a key of the issuer {issuer_id}.")
    if controller.startswith("did:key:"):
        multibase = controller.removeprefix("did:key:")
        if fragment != multibase:
            raise _Failed("The did:key verification method's fragment is not its key.")
        try:
            return proof.multikey_decode(multibase), "The issuer is a did:key; its key is in its identifier."
        except ValueError as exc:
            raise _Failed("The did:key is not an Ed25519 key.") from exc
    if controller.startswith("did:web:"):
        unit = _did_web_unit(controller, lookups)
        if unit is not None:
            key = remembered(
                f"key:{unit.pk}:{fragment}",
                lambda: IssuerKey.objects.filter(unit=unit, key_id=fragment).first(),
            )
            return _found_key(key, fragment=fragment, name=unit.name)
        tenant = _did_web_tenant(controller)
        if tenant is not None:
            key = remembered(
                f"tenant-key:{tenant.pk}:{fragment}",
                lambda: IssuerKey.objects.filter(tenant=tenant, unit__isnull=True, key_id=fragment).first(),
            )
            return _found_key(key, fragment=fragment, name=tenant.name)
    raise _Failed(
        f"The issuer {controller} cannot be resolved offline: this verifier knows only the issuers on "
        "this platform and did:key issuers, and never fetches keys from the network."
    )


def _issuer_id(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise _Failed("The credential names no issuer.")
    return issuer_id


# --- dates and status -------------------------------------------------------------------------


def _moment(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise _Failed(f"{name} is not a date and time ({value!s:.40}).") from exc
    if timezone.is_naive(moment):
        raise _Failed(f"{name} has no time zone.")
    return moment


def _dates(document: dict[str, Any]) -> Check:
    try:
        now = timezone.now()
        valid_from = _moment(document.get("validFrom"), "validFrom")
        valid_until = _moment(document.get("validUntil"), "validUntil")
        if valid_from is None:
            raise _Failed("The credential has no validFrom.")
        if valid_from > now:
            raise _Failed(f"The credential is not valid before {valid_from:%Y-%m-%d %H:%M} UTC.")
        if valid_until is not None and valid_until <= now:
            raise _Failed(f"The credential expired on {valid_until:%Y-%m-%d %H:%M} UTC.")
    except _Failed as failed:
        return Check("dates", False, str(failed))
    until = f" until {valid_until:%Y-%m-%d}" if valid_until else ""
    return Check("dates", True, f"Valid from {valid_from:%Y-%m-%d}{until}.")


def _our_list(url: str, lookups: _Lookups) -> tuple[Unit, str] | None:
    parts = urlsplit(url)
    path = parts.path.strip("/").split("/")
    if len(path) == 4 and path[0] == "units" and path[2] == "status" and parts.hostname:
        unit = lookups.unit(parts.hostname, path[1])
        if unit is not None:
            return unit, path[3]
    return None


def _status(document: dict[str, Any], lookups: _Lookups) -> Check:
    entries = [e for e in _as_list(document.get("credentialStatus")) if e is not None]
    if not entries:
        return Check("status", True, "The credential carries no status list: it cannot be revoked.")
    found: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            return Check(
                "status", False, "Its status is not a Bitstring Status List entry: it cannot be checked."
            )
        purpose = entry.get("statusPurpose")
        url = entry.get("statusListCredential")
        try:
            index = int(str(entry.get("statusListIndex")))
        except ValueError:
            return Check("status", False, "A status entry's index is not a number.")
        ours = _our_list(url, lookups) if isinstance(url, str) else None
        if ours is None:
            return Check(
                "status",
                False,
                f"The status list {url!s:.200} is not one of this platform's: it cannot be read offline.",
            )
        unit, list_purpose = ours
        if list_purpose != purpose or purpose not in ("revocation", "suspension"):
            return Check("status", False, "A status entry's purpose does not match its list.")
        bit_status = CredentialStatus.REVOKED if purpose == "revocation" else CredentialStatus.SUSPENDED
        status = lookups.status(unit, index)
        if status is not None and status[0] == bit_status:
            reason = f" Reason: {status[1]}" if status[1] else ""
            word = "revoked" if purpose == "revocation" else "suspended"
            return Check("status", False, f"{unit.name} has {word} this credential.{reason}")
        found.append(purpose)
    return Check("status", True, f"Not revoked or suspended ({', '.join(found)} lists checked).")


# --- the verifier -----------------------------------------------------------------------------

PROOF_CACHE_SECONDS = 86_400
PROOFS_IN_PROCESS = 4096
# Checked signatures, in this process too (what the same bytes and key give never changes).
_proofs: dict[str, bool] = {}


def _remember_proof(key: str, matches: bool) -> None:
    if len(_proofs) >= PROOFS_IN_PROCESS:
        _proofs.clear()
    _proofs[key] = matches


def _proof_matches(document: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """proof.verify, remembered a day under the SHA-256 of the exact document and the key: the
    same bytes signed by the same key verify the same way, and canonicalizing costs milliseconds
    (dates and status are still checked on every request). ProofError is not remembered."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = "credentials:proof:" + hashlib.sha256(raw + b"\0" + text.encode()).hexdigest()
    known: object = _proofs.get(key)  # this process's, then Redis
    if isinstance(known, bool):
        return known
    try:
        known = cache.get(key)
    except Exception:
        logger.warning("the proof cache is unreadable; checking the signature", exc_info=True)
        known = None
    if isinstance(known, bool):
        _remember_proof(key, known)
        return known
    matches = proof.verify(document, public_key=public_key)
    _remember_proof(key, matches)
    try:
        cache.set(key, matches, PROOF_CACHE_SECONDS)
    except Exception:
        logger.warning("the proof cache is unwritable", exc_info=True)
    return matches


def verify_document(document: object) -> Verdict:
    """Any input (parsed JSON or not): a verdict, never an exception."""
    try:
        return _verify(document)
    except Exception:  # a verifier answers, whatever it is given
        logger.exception("verifying a document failed unexpectedly")
        return _verdict([Check("format", False, "This document could not be checked.")])


def _verify(document: object) -> Verdict:
    try:
        parsed = _parse(document)
        kind = _kind(parsed)
    except _Failed as failed:
        return _verdict(
            [Check("format", False, str(failed))], document if isinstance(document, dict) else None
        )
    lookups = _Lookups()
    kind_name = "An Open Badge" if kind == "OpenBadgeCredential" else "A Comprehensive Learner Record"
    checks = [Check("format", True, f"{kind_name} (VC Data Model 2.0).")]
    public_key: Ed25519PublicKey | None = None
    try:
        the_proof = proof.the_proof(parsed)
        public_key, where = _resolve(_issuer_id(parsed), the_proof["verificationMethod"], lookups)
        checks.append(Check("issuer", True, where))
    except (_Failed, proof.ProofError) as failed:
        checks.append(Check("issuer", False, str(failed)))
    if public_key is None:
        checks.append(Check("proof", False, "The signature cannot be checked without the issuer's key."))
    else:
        try:
            if _proof_matches(parsed, public_key):
                checks.append(
                    Check("proof", True, "The eddsa-rdfc-2022 signature matches: nothing was changed.")
                )
            else:
                checks.append(
                    Check(
                        "proof",
                        False,
                        "The signature does not match: the credential was changed after signing.",
                    )
                )
        except proof.ProofError as failed:
            checks.append(Check("proof", False, str(failed)))
    checks.append(_dates(parsed))
    checks.append(_status(parsed, lookups))
    return _verdict(checks, parsed, kind)


def verify_credential(credential: Credential) -> Verdict:
    """One of ours: its stored document, checked as anyone's would be."""
    return verify_document(credential.document)
