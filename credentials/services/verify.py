"""Verifying a credential: ours or anyone's, in Open Badges 3.0 or CLR 2.0 (contract; the
verifier itself is being written)."""

from __future__ import annotations

from dataclasses import dataclass

from credentials.models import Credential


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


def verify_document(document: object) -> Verdict:
    """Any input (parsed JSON or not): a verdict, never an exception."""
    raise NotImplementedError


def verify_credential(credential: Credential) -> Verdict:
    """One of ours: its stored document, checked as anyone's would be."""
    return verify_document(credential.document)
