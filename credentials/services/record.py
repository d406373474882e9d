"""A learner's record on one tenant, and its Comprehensive Learner Record 2.0 (a ClrCredential
on VC Data Model 2.0, signed by the tenant with eddsa-rdfc-2022).

What is in it (`learner_record`, a handful of queries whatever the number of achievements):
- every active credential of the learner here: a completed microcredential (with the result and
  credits its completion record holds) or a stack (kind STACK);
- accepted prior learning (Recognition, status accepted): the part it counts for, marked as
  recognised, with the part's credits;
- the stacks the learner has earned or is working toward (published, with a part earned or
  recognised), each with its parts.

The ClrCredential (`clr_build`) embeds the learner's active Open Badges as stored (signed by
their units) in `verifiableCredential`, lists every achievement in `achievement`, and mirrors
the stacks in `association`: for each earned stack and each of its parts in the record, the
part `isChildOf` and `isPartOf` the stack and the stack `isParentOf` the part. Prior learning
is an Achievement of its own (the other institution's, as staff accepted it) that is an
`exactMatchOf` the part. The catalog keeps no order among a stack's parts, so no `precedes` is
written.

Signing costs tens of milliseconds (canonicalization), so the signed record is kept in the cache
under a version made of everything it says (`LearnerRecord.version`): a new credential, a
revocation, a decided recognition, a catalog edit of an achievement the record defines, a
rotated tenant key or a new name gives a new version and so a new record on the next request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone

from catalog.models import CreditType, Microcredential, PublicationStatus
from credentials.links import achievement_url
from credentials.models import (
    Credential,
    CredentialKind,
    CredentialStatus,
    Recognition,
    RecognitionStatus,
)
from credentials.services import proof
from credentials.services.builder import achievement, identity_hash
from credentials.services.keys import SigningKey, tenant_profile, tenant_signing_key
from credentials.services.status import iso
from enrollment.models import CompletionOutcome, CompletionRecord
from identity.models import User
from tenants.mail import site_url
from tenants.models import Tenant

logger = logging.getLogger(__name__)

CACHE_SECONDS = 7 * 24 * 3600
RECORD_NAME = "Comprehensive Learner Record"


@dataclass(frozen=True)
class RecordEntry:
    """One achievement in the record: a completion, a stack earned, or prior learning."""

    microcredential: Microcredential
    achievement_id: str
    title: str
    unit_name: str
    credits: Decimal  # 0: none
    credit_type: str
    result: str
    on: date | None  # completed, awarded, or recognised (in the tenant's zone)
    credential: Credential | None = None
    recognition: Recognition | None = None

    @property
    def is_stack(self) -> bool:
        return self.credential is not None and self.credential.kind == CredentialKind.STACK

    @property
    def is_prior_learning(self) -> bool:
        return self.recognition is not None


@dataclass(frozen=True)
class StackPart:
    microcredential: Microcredential
    entry: RecordEntry | None  # None: not earned yet


@dataclass(frozen=True)
class StackProgress:
    microcredential: Microcredential
    entry: RecordEntry | None  # the stack's own credential, once earned
    parts: tuple[StackPart, ...]

    @property
    def parts_done(self) -> int:
        return sum(1 for part in self.parts if part.entry is not None)


@dataclass(frozen=True)
class CreditTotal:
    credit_type: str
    value: Decimal


@dataclass(frozen=True)
class LearnerRecord:
    tenant: Tenant
    learner: User
    site: str  # the tenant's site_url
    entries: tuple[RecordEntry, ...]  # completions and prior learning, oldest first
    stacks: tuple[StackProgress, ...]
    totals: tuple[CreditTotal, ...]  # per credit type; a stack's credits are its parts'
    version: str

    @property
    def earned_stacks(self) -> tuple[StackProgress, ...]:
        return tuple(stack for stack in self.stacks if stack.entry is not None)

    @property
    def is_empty(self) -> bool:
        return not self.entries and not self.earned_stacks


# --- reading the record -----------------------------------------------------------------------


def _day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return timezone.localtime(moment, tz).date() if moment else None


def _document_achievement(credential: Credential) -> dict[str, Any]:
    subject = credential.document.get("credentialSubject") if isinstance(credential.document, dict) else None
    found = subject.get("achievement") if isinstance(subject, dict) else None
    return found if isinstance(found, dict) else {}


def _completions(credentials: list[Credential]) -> dict[int, CompletionRecord]:
    """The record that holds now for each enrollment (the newest), in one query."""
    ids = [c.enrollment_id for c in credentials if c.enrollment_id is not None]
    if not ids:
        return {}
    rows = (
        CompletionRecord.objects.filter(enrollment_id__in=ids)
        .order_by("enrollment_id", "-pk")
        .distinct("enrollment_id")
    )
    return {row.enrollment_id: row for row in rows}


def _credential_entry(
    credential: Credential, completion: CompletionRecord | None, *, site: str, tz: ZoneInfo
) -> RecordEntry:
    microcredential = credential.microcredential
    stated = _document_achievement(credential)
    completed = completion is not None and completion.outcome == CompletionOutcome.COMPLETED
    is_stack = credential.kind == CredentialKind.STACK
    if completion is not None and completed:
        credits, credit_type = completion.credit_value, completion.credit_type
    elif is_stack:  # a stack's credits are earned through its parts: not counted again
        credits, credit_type = Decimal(0), microcredential.credit_type
    else:
        credits, credit_type = microcredential.credit_value, microcredential.credit_type
    name = stated.get("name")
    return RecordEntry(
        microcredential=microcredential,
        achievement_id=str(stated.get("id") or achievement_url(microcredential, site=site)),
        title=name if isinstance(name, str) and name else microcredential.title,
        unit_name=credential.unit.name,
        credits=Decimal(credits),
        credit_type=credit_type,
        result=completion.result if completion is not None and completed else "",
        on=completion.completed_on
        if completion is not None and completed
        else _day(credential.issued_at, tz),
        credential=credential,
    )


def _recognition_entry(
    recognition: Recognition, part: Microcredential, *, site: str, tz: ZoneInfo
) -> RecordEntry:
    return RecordEntry(
        microcredential=part,
        achievement_id=achievement_url(part, site=site),
        title=part.title,
        unit_name=part.unit.name,
        credits=Decimal(part.credit_value),
        credit_type=part.credit_type,
        result="",
        on=_day(recognition.decided_at or recognition.uploaded_at, tz),
        recognition=recognition,
    )


def _stacks(
    *, tenant: Tenant, earned: dict[int, RecordEntry], stack_entries: dict[int, RecordEntry]
) -> tuple[list[StackProgress], list[Microcredential]]:
    """The stacks earned, and the published ones with a part in the record, with their parts
    (two queries)."""
    through = Microcredential.parts.through
    known = set(earned) | set(stack_entries)
    if not known:
        return [], []
    links = list(
        through.objects.filter(to_microcredential_id__in=known).values_list(
            "from_microcredential_id", flat=True
        )
    )
    candidates = set(links) | set(stack_entries)
    rows = list(
        through.objects.filter(from_microcredential_id__in=candidates).values_list(
            "from_microcredential_id", "to_microcredential_id"
        )
    )
    parts_of: dict[int, list[int]] = defaultdict(list)
    for stack_id, part_id in rows:
        parts_of[stack_id].append(part_id)
    wanted = set(parts_of) | {p for ps in parts_of.values() for p in ps}
    by_id = {
        m.pk: m
        for m in Microcredential.objects.filter(tenant=tenant, pk__in=wanted).select_related("unit", "tenant")
    }
    stacks: list[StackProgress] = []
    for stack_id in sorted(parts_of, key=lambda pk: (by_id[pk].title if pk in by_id else "", pk)):
        stack = by_id.get(stack_id)
        own = stack_entries.get(stack_id)
        if stack is None or (own is None and stack.status != PublicationStatus.PUBLISHED):
            continue
        parts = tuple(
            StackPart(microcredential=by_id[pk], entry=earned.get(pk) or stack_entries.get(pk))
            for pk in sorted(parts_of[stack_id], key=lambda pk: (by_id[pk].title if pk in by_id else "", pk))
            if pk in by_id
        )
        stacks.append(StackProgress(microcredential=stack, entry=own, parts=parts))
    return stacks, list(by_id.values())


def _totals(entries: list[RecordEntry]) -> tuple[CreditTotal, ...]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.credits > 0:
            sums[entry.credit_type] += entry.credits
    order = list(CreditType.values)
    return tuple(
        CreditTotal(credit_type=kind, value=sums[kind])
        for kind in sorted(sums, key=lambda k: order.index(k) if k in order else len(order))
    )


def _version(
    *,
    tenant: Tenant,
    learner: User,
    site: str,
    credentials: list[Credential],
    recognitions: list[Recognition],
    completions: dict[int, CompletionRecord],
    catalog: list[Microcredential],
) -> str:
    """A digest of everything the signed record says (not the signing key: see clr_build)."""
    parts: list[object] = [
        site,
        tenant.name,
        learner.email,
        learner.full_name,
        [(c.pk, c.status, c.status_changed_at, c.kind) for c in credentials],
        sorted(
            (r.pk, r.enrollment_id, r.result, r.credit_value, r.credit_type) for r in completions.values()
        ),
        [
            (r.pk, r.part_id, r.decided_at, r.achievement_name, r.issuer_name, r.issuer_id)
            for r in recognitions
        ],
        sorted((m.pk, m.updated_at, m.unit.slug, m.unit.name) for m in catalog),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def learner_record(*, tenant: Tenant, learner: User) -> LearnerRecord:
    """The learner's record on this tenant: what they earned, their prior learning and their
    stacks. Seven queries, whatever the number of achievements."""
    tz = ZoneInfo(tenant.time_zone)
    site = site_url(tenant)
    credentials = list(
        Credential.objects.filter(tenant=tenant, learner=learner, status=CredentialStatus.ACTIVE)
        .select_related("microcredential__unit", "microcredential__tenant", "unit")
        .order_by("issued_at", "pk")
    )
    completions = _completions(credentials)
    recognitions = list(
        Recognition.objects.filter(tenant=tenant, learner=learner, status=RecognitionStatus.ACCEPTED)
        .select_related("part__unit", "part__tenant")
        .order_by("decided_at", "pk")
    )
    entries: list[RecordEntry] = []
    stack_entries: dict[int, RecordEntry] = {}
    for credential in credentials:
        entry = _credential_entry(
            credential, completions.get(credential.enrollment_id or 0), site=site, tz=tz
        )
        if entry.is_stack:
            stack_entries.setdefault(credential.microcredential_id, entry)
        else:
            entries.append(entry)
    # The database refuses an accepted recognition without a part.
    entries += [_recognition_entry(r, r.part, site=site, tz=tz) for r in recognitions if r.part is not None]
    entries.sort(key=lambda e: (e.on or date.min, e.title))
    earned: dict[int, RecordEntry] = {}
    for entry in entries:
        earned.setdefault(entry.microcredential.pk, entry)
    stacks, catalog = _stacks(tenant=tenant, earned=earned, stack_entries=stack_entries)
    catalog += [e.microcredential for e in entries if e.is_prior_learning]
    return LearnerRecord(
        tenant=tenant,
        learner=learner,
        site=site,
        entries=tuple(entries),
        stacks=tuple(stacks),
        totals=_totals(entries),
        version=_version(
            tenant=tenant,
            learner=learner,
            site=site,
            credentials=credentials,
            recognitions=recognitions,
            completions=completions,
            catalog=catalog,
        ),
    )


# --- the ClrCredential ------------------------------------------------------------------------


def _urn(site: str, *names: object) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '/'.join([site, *map(str, names)]))}"


def _achievement_of(entry: RecordEntry, site: str) -> dict[str, Any]:
    """The Achievement as its credential states it (as issued), else the catalog's definition."""
    if entry.credential is not None:
        stated = _document_achievement(entry.credential)
        if stated.get("id") == entry.achievement_id:
            return stated
    return achievement(entry.microcredential, site=site)


def _prior_learning(recognition: Recognition, part: RecordEntry, site: str) -> dict[str, Any]:
    """Another institution's achievement as staff accepted it: named as the upload names it,
    with an id of ours (what the upload says is not trusted to be a usable IRI)."""
    what = recognition.achievement_name or "Prior learning"
    issuer = recognition.issuer_name or "another institution"
    body: dict[str, Any] = {
        "id": _urn(site, "recognitions", recognition.pk),
        "type": ["Achievement"],
        "name": what,
        "description": f"{what}, from {issuer}: prior learning recognised by {part.unit_name}.",
        "criteria": {"narrative": f"Accepted by {part.unit_name} as counting for {part.title}."},
    }
    if recognition.issuer_name:
        body["creator"] = {
            "id": _urn(site, "recognitions", recognition.pk, "issuer"),
            "type": ["Profile"],
            "name": recognition.issuer_name,
        }
    return body


def _association(kind: str, source: str, target: str) -> dict[str, Any]:
    return {"type": "Association", "associationType": kind, "sourceId": source, "targetId": target}


def clr_document(record: LearnerRecord, *, valid_from: datetime, salt: str | None = None) -> dict[str, Any]:
    """The record as an unsigned ClrCredential."""
    site = record.site
    achievements: dict[str, dict[str, Any]] = {}
    associations: list[dict[str, Any]] = []
    embedded: list[dict[str, Any]] = []
    in_record: dict[int, str] = {}  # microcredential → its achievement id in this record
    for entry in (*record.entries, *(s.entry for s in record.earned_stacks if s.entry is not None)):
        achievements.setdefault(entry.achievement_id, _achievement_of(entry, site))
        in_record.setdefault(entry.microcredential.pk, entry.achievement_id)
        if entry.credential is not None:
            embedded.append(entry.credential.document)
        if entry.recognition is not None:
            prior = _prior_learning(entry.recognition, entry, site)
            achievements[prior["id"]] = prior
            associations.append(_association("exactMatchOf", prior["id"], entry.achievement_id))
    for stack in record.earned_stacks:
        stack_id = in_record[stack.microcredential.pk]
        for part in stack.parts:
            part_id = in_record.get(part.microcredential.pk)
            if part_id is None:
                continue
            associations += [
                _association("isChildOf", part_id, stack_id),
                _association("isPartOf", part_id, stack_id),
                _association("isParentOf", stack_id, part_id),
            ]
    salt = salt or secrets.token_hex(16)
    learner = record.learner
    subject: dict[str, Any] = {
        "type": ["ClrSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(learner.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "verifiableCredential": embedded,
        "achievement": list(achievements.values()),
        "association": associations,
    }
    name = learner.full_name.strip()
    if name:
        subject["name"] = name
    return {
        "@context": [proof.VC_V2, proof.CLR_V2, proof.OB_V3],
        "id": _urn(site, "records", learner.pk, record.version),
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": tenant_profile(tenant=record.tenant),
        "validFrom": iso(valid_from),
        "name": f"{RECORD_NAME}: {record.tenant.name}",
        "credentialSubject": subject,
    }


def _signed(record: LearnerRecord, key: SigningKey) -> dict[str, Any]:
    now = timezone.now()
    return proof.sign(
        clr_document(record, valid_from=now),
        private_key=key.private_key,
        verification_method=key.verification_method,
        created=iso(now),
    )


def clr_signed(record: LearnerRecord) -> dict[str, Any]:
    """The record signed by the tenant's current key: from the cache when nothing it says (and
    not the key) changed since it was signed, else signed now and kept."""
    key = tenant_signing_key(tenant=record.tenant)
    cache_key = f"credentials:clr:{record.tenant.pk}:{record.learner.pk}:{record.version}:{key.key.pk}"
    try:
        kept = cache.get(cache_key)
    except Exception:  # a cache outage: sign anyway
        logger.warning("learner record cache unreadable", exc_info=True)
        kept = None
    if isinstance(kept, dict):
        return kept
    signed = _signed(record, key)
    try:
        cache.set(cache_key, signed, CACHE_SECONDS)
    except Exception:
        logger.warning("learner record cache unwritable", exc_info=True)
    return signed


def clr_build(*, tenant: Tenant, learner: User) -> dict[str, Any]:
    """The learner's Comprehensive Learner Record on this tenant, signed by the tenant."""
    return clr_signed(learner_record(tenant=tenant, learner=learner))
