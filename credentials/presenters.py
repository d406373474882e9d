"""Credentials as the learner and the people they share them with see them.

What a credential certifies is read from its signed document (the OpenBadgeCredential as
issued), so the page says what the credential says even after the course was renamed; what a
document has no field for (the level, the kind of credits) comes from the microcredential.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import CreditType, Microcredential
from credentials import linkedin
from credentials.models import Credential, CredentialStatus, Recognition, RecognitionStatus
from tenants.brand import Brand

STATUS_CLASS: dict[str, str] = {
    CredentialStatus.ACTIVE: "valid",
    CredentialStatus.SUSPENDED: "suspended",
    CredentialStatus.REVOKED: "revoked",
}
CHECK_LABELS = {
    "format": gettext_lazy("Format"),
    "proof": gettext_lazy("Signature"),
    "issuer": gettext_lazy("Issuer"),
    "status": gettext_lazy("Status"),
    "dates": gettext_lazy("Dates"),
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A plain string field, or the first entry of a language map ({"en": "…"})."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        for entry in value.values():
            if isinstance(entry, str):
                return entry.strip()
    return ""


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def achievement_of(document: Any) -> dict[str, Any]:
    subject = _dict(_dict(document).get("credentialSubject"))
    return _dict(subject.get("achievement"))


def _number(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    if not number.is_finite() or number <= 0:
        return ""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def credits_text(value: Any, credit_type: str) -> str:
    number = _number(value)
    if not number:
        return ""
    if credit_type == CreditType.ECTS:
        return _("%(n)s ECTS credits") % {"n": number}
    if credit_type == CreditType.CREDIT_HOURS:
        return _("%(n)s credit hours") % {"n": number}
    return _("%(n)s CEU") % {"n": number}


def skills_of(achievement: dict[str, Any], microcredential: Microcredential) -> list[str]:
    """The skills the achievement aligns to (its alignments' names, else its tags), else the
    microcredential's own list."""
    names = [_text(_dict(entry).get("targetName")) for entry in _list(achievement.get("alignment"))]
    names = [name for name in names if name]
    if not names:
        names = [tag.strip() for tag in _list(achievement.get("tag")) if isinstance(tag, str) and tag.strip()]
    return names or microcredential.skill_list


def subject_name(document: Any, fallback: str) -> str:
    """The learner's name as the credential states it (an IdentityObject of type "name", or a
    `name` on the subject); the account's name when the document names no one."""
    subject = _dict(_dict(document).get("credentialSubject"))
    for identity in _list(subject.get("identifier")):
        identity = _dict(identity)
        if identity.get("identityType") == "name" and identity.get("hashed") is False:
            name = _text(identity.get("identityHash"))
            if name:
                return name
    return _text(subject.get("name")) or fallback


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo("UTC"))
    return moment


def day(moment: datetime | None, tz: ZoneInfo) -> str:
    return date_format(timezone.localtime(moment, tz), "j F Y") if moment else ""


def status_note(credential: Credential) -> str:
    if credential.status == CredentialStatus.REVOKED:
        return (
            _("Revoked by the issuer: %(reason)s") % {"reason": credential.status_reason}
            if credential.status_reason
            else _("Revoked by the issuer.")
        )
    if credential.status == CredentialStatus.SUSPENDED:
        return (
            _("Suspended by the issuer for now: %(reason)s") % {"reason": credential.status_reason}
            if credential.status_reason
            else _("Suspended by the issuer for now.")
        )
    return ""


def learner_name(credential: Credential) -> str:
    learner = credential.learner
    return learner.full_name or learner.preferred_name or ""


@dataclass(frozen=True)
class CredentialCard:
    """One credential on My credentials (and the heading of its share page)."""

    credential: Credential
    title: str
    unit_name: str
    brand: Brand
    issued: str
    expires: str
    expired: bool
    status_label: str
    status_class: str
    status_note: str
    image_url: str
    share_url: str  # absolute: what the learner copies and LinkedIn links to
    json_url: str
    png_url: str
    linkedin_url: str


def credential_card(
    credential: Credential, *, base_url: str, tz: ZoneInfo, now: datetime | None = None
) -> CredentialCard:
    now = now or timezone.now()
    document = credential.document
    achievement = achievement_of(document)
    title = (
        _text(achievement.get("name"))
        or _text(_dict(document).get("name"))
        or credential.microcredential.title
    )
    unit = credential.unit
    issuer_name = _text(_dict(_dict(document).get("issuer")).get("name")) or unit.name
    public_id = str(credential.public_id)
    share_url = base_url + reverse("credential-share", args=[credential.public_id])
    expired = credential.valid_until is not None and credential.valid_until <= now
    if credential.status == CredentialStatus.ACTIVE and expired:
        label, css = _("Expired"), "expired"
    else:
        label, css = str(credential.get_status_display()), STATUS_CLASS.get(credential.status, "")
    return CredentialCard(
        credential=credential,
        title=title,
        unit_name=issuer_name,
        brand=Brand.of_unit(unit),
        issued=day(credential.issued_at, tz),
        expires=day(credential.valid_until, tz),
        expired=expired,
        status_label=label,
        status_class=css,
        status_note=status_note(credential),
        image_url=reverse("badge-image", args=[credential.microcredential_id]),
        share_url=share_url,
        json_url=reverse("credential-json", args=[credential.public_id]),
        png_url=reverse("credential-png", args=[credential.public_id]),
        linkedin_url=linkedin.add_to_profile_url(
            name=title,
            organization_name=issuer_name,
            issued_at=timezone.localtime(credential.issued_at, tz),
            expires_at=timezone.localtime(credential.valid_until, tz) if credential.valid_until else None,
            cert_url=share_url,
            cert_id=public_id,
        ),
    )


class CheckLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def message(self) -> str: ...


class VerdictLike(Protocol):
    """credentials.services.verify.Verdict, as the share page reads it (services sit above
    presenters: the e-mails use the cards)."""

    @property
    def ok(self) -> bool: ...
    @property
    def checks(self) -> Sequence[CheckLike]: ...


@dataclass(frozen=True)
class CheckRow:
    label: str
    ok: bool
    message: str


@dataclass(frozen=True)
class PartRow:
    """One part a stack credential names (its `evidence`): the part, what proved it, a link."""

    name: str
    description: str
    url: str


def parts_of(document: Any) -> list[PartRow]:
    rows = []
    for entry in _list(_dict(document).get("evidence")):
        entry = _dict(entry)
        name = _text(entry.get("name"))
        url = _text(entry.get("id"))
        if name:
            rows.append(
                PartRow(
                    name,
                    _text(entry.get("description")),
                    url if url.startswith(("https://", "http://")) else "",
                )
            )
    return rows


@dataclass(frozen=True)
class SharePage:
    card: CredentialCard
    description: str
    criteria: str
    credits: str
    level: str
    skills: list[str]
    parts: list[PartRow]  # a stack credential's parts, else empty
    achievement_type: str
    recipient: str
    issuer_url: str
    valid_from: str
    valid_until: str
    verified: bool
    checks: list[CheckRow]
    og_description: str


ACHIEVEMENT_TYPES = {
    "MicroCredential": gettext_lazy("Microcredential"),
    "Certificate": gettext_lazy("Certificate"),
    "Badge": gettext_lazy("Badge"),
    "Course": gettext_lazy("Course"),
}


def _achievement_type(value: Any) -> str:
    """Open Badges' achievementType as words: "MicroCredential" is "Microcredential",
    "ext:WorkshopSeries" is "Workshop Series"."""
    text = _text(value)
    if text in ACHIEVEMENT_TYPES:
        return str(ACHIEVEMENT_TYPES[text])
    text = text.removeprefix("ext:")
    return "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(text)).strip()


def share_page(
    credential: Credential, *, verdict: VerdictLike, base_url: str, tz: ZoneInfo, now: datetime | None = None
) -> SharePage:
    card = credential_card(credential, base_url=base_url, tz=tz, now=now)
    document = _dict(credential.document)
    achievement = achievement_of(document)
    microcredential = credential.microcredential
    subject = _dict(document.get("credentialSubject"))
    credits = credits_text(
        achievement.get("creditsAvailable", subject.get("creditsEarned", microcredential.credit_value)),
        microcredential.credit_type,
    )
    issuer = _dict(document.get("issuer"))
    valid_from = _moment(document.get("validFrom")) or credential.issued_at
    valid_until = _moment(document.get("validUntil")) or credential.valid_until
    description = (
        _text(achievement.get("description")) or microcredential.description or microcredential.summary
    )
    recipient = subject_name(document, learner_name(credential))
    return SharePage(
        card=card,
        description=description,
        criteria=_text(_dict(achievement.get("criteria")).get("narrative")),
        credits=credits,
        level=str(microcredential.get_level_display()),
        skills=skills_of(achievement, microcredential),
        parts=parts_of(document),
        achievement_type=_achievement_type(achievement.get("achievementType")),
        recipient=recipient,
        issuer_url=_text(issuer.get("url")),
        valid_from=day(valid_from, tz),
        valid_until=day(valid_until, tz),
        verified=verdict.ok,
        checks=[
            CheckRow(str(CHECK_LABELS.get(c.name, c.name.title())), c.ok, c.message) for c in verdict.checks
        ],
        og_description=(
            _("%(name)s earned %(title)s from %(issuer)s.")
            % {"name": recipient, "title": card.title, "issuer": card.unit_name}
            if recipient
            else _("%(title)s, from %(issuer)s.") % {"title": card.title, "issuer": card.unit_name}
        ),
    )


RECOGNITION_STATUS_CLASS: dict[str, str] = {
    RecognitionStatus.PENDING: "suspended",  # the "waiting" colours
    RecognitionStatus.ACCEPTED: "valid",
    RecognitionStatus.REFUSED: "revoked",
}


@dataclass(frozen=True)
class RecognitionRow:
    """Prior learning as the learner's page and the console show it."""

    recognition: Recognition
    title: str
    issuer: str
    kind_label: str
    verified_label: str
    status_label: str
    status_class: str
    part_title: str
    checks: list[CheckRow]


def recognition_row(recognition: Recognition) -> RecognitionRow:
    checks = [
        CheckRow(
            str(CHECK_LABELS.get(str(c.get("name")), str(c.get("name", "")).title())),
            bool(c.get("ok")),
            str(c.get("message", "")),
        )
        for c in recognition.checks
        if isinstance(c, dict)
    ]
    return RecognitionRow(
        recognition=recognition,
        title=recognition.achievement_name or _("Untitled credential"),
        issuer=recognition.issuer_name or recognition.issuer_id,
        kind_label=_("Comprehensive Learner Record")
        if recognition.kind == "ClrCredential"
        else _("Open Badge"),
        verified_label=_("Verified") if recognition.verified else _("Not verified"),
        status_label=str(recognition.get_status_display()),
        status_class=RECOGNITION_STATUS_CLASS.get(recognition.status, ""),
        part_title=recognition.part.title if recognition.part is not None else "",
        checks=checks,
    )
