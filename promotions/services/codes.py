"""Making promotion codes: one at a time, or a batch of single-use codes.

Unit admins make codes for the units they run; only tenant admins make tenant-wide codes. A
code's scope (a microcredential, offerings) lies inside its unit. Codes are unique per tenant
whatever their case; people type them in any case and with spaces, and they are compared in
capitals (normalise_code).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Microcredential, Offering
from core.money import format_money
from identity.models import User
from promotions.errors import PromotionInvalid
from promotions.models import CodeBatch, DiscountKind, PromotionCode
from tenants.errors import NotVisible
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")
# No 0/O, 1/I/L: codes are read off paper and typed on phones.
BATCH_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
BATCH_CODE_LENGTH = 10
MAX_BATCH = 5000


def normalise_code(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


@dataclass(frozen=True)
class CodeTerms:
    """What a code takes off, when, how often, on what (the console form's cleaned data)."""

    kind: str
    percent_off: int | None = None
    amount_off_minor: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = None
    max_uses_per_learner: int = 1
    description: str = ""
    waives_fee: bool = False
    unit: Unit | None = None
    microcredential: Microcredential | None = None
    offerings: Sequence[Offering] = ()


def _refuse(field: str, message: str) -> PromotionInvalid:
    return PromotionInvalid(message, fields={field: [message]})


def _checked(*, tenant: Tenant, access: StaffAccess, terms: CodeTerms) -> CodeTerms:
    if terms.unit is None:
        if not access.is_tenant_admin:
            raise _refuse(
                "unit", _("Choose the unit this code is for: only tenant admins make codes for every unit.")
            )
    elif terms.unit.tenant_id != tenant.pk or not access.manages_unit(terms.unit):
        raise NotVisible(_("No such unit."))
    if terms.kind == DiscountKind.PERCENT:
        if terms.percent_off is None or not 1 <= terms.percent_off <= 100:
            raise _refuse("percent_off", _("Enter a percentage from 1 to 100."))
    elif terms.kind == DiscountKind.AMOUNT:
        if terms.amount_off_minor is None or terms.amount_off_minor < 1:
            raise _refuse("amount_off", _("Enter the amount the code takes off."))
        if terms.waives_fee:
            raise _refuse("waives_fee", _("A fee waiver takes 100% off: choose a percentage of 100."))
    else:
        raise _refuse("kind", _("Choose a percentage or a fixed amount."))
    if terms.waives_fee and terms.percent_off != 100:
        raise _refuse("waives_fee", _("A fee waiver takes 100% off: choose a percentage of 100."))
    if terms.valid_from and terms.valid_until and terms.valid_until <= terms.valid_from:
        raise _refuse("valid_until", _("The code must end after it starts."))
    if terms.max_uses is not None and terms.max_uses < 1:
        raise _refuse("max_uses", _("Allow at least one use, or leave it empty for no cap."))
    if terms.max_uses_per_learner < 1:
        raise _refuse("max_uses_per_learner", _("Allow each learner at least one use."))
    micro = terms.microcredential
    if micro is not None and (
        micro.tenant_id != tenant.pk or (terms.unit is not None and micro.unit_id != terms.unit.pk)
    ):
        raise _refuse("microcredential", _("Choose a microcredential of the code's unit."))
    for offering in terms.offerings:
        if offering.tenant_id != tenant.pk or (
            terms.unit is not None and offering.microcredential.unit_id != terms.unit.pk
        ):
            raise _refuse("offerings", _("Choose offerings of the code's unit."))
        if micro is not None and offering.microcredential_id != micro.pk:
            raise _refuse("offerings", _("Choose offerings of the code's microcredential."))
    return terms


def _new_code(
    *, tenant: Tenant, actor: User | None, terms: CodeTerms, code: str, batch: CodeBatch | None
) -> PromotionCode:
    return PromotionCode(
        tenant=tenant,
        unit=terms.unit,
        microcredential=terms.microcredential,
        batch=batch,
        code=code,
        description=terms.description[:200],
        kind=terms.kind,
        percent_off=terms.percent_off if terms.kind == DiscountKind.PERCENT else None,
        amount_off_minor=terms.amount_off_minor if terms.kind == DiscountKind.AMOUNT else None,
        currency=tenant.currency if terms.kind == DiscountKind.AMOUNT else "",
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        max_uses=terms.max_uses,
        max_uses_per_learner=terms.max_uses_per_learner,
        waives_fee=terms.waives_fee,
        created_by=actor,
    )


def code_create(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, code: str, terms: CodeTerms
) -> PromotionCode:
    """One code, as typed by staff (letters, digits, - and _; 3 to 40)."""
    terms = _checked(tenant=tenant, access=access, terms=terms)
    text = normalise_code(code)
    if not CODE_RE.match(text):
        raise _refuse("code", _("A code is 3 to 40 letters, digits, - or _."))
    if PromotionCode.objects.filter(tenant=tenant, code__iexact=text).exists():
        raise _refuse("code", _("The code “%(code)s” exists already.") % {"code": text})
    try:
        with transaction.atomic():
            made = _new_code(tenant=tenant, actor=actor, terms=terms, code=text, batch=None)
            made.save()
            made.offerings.set(terms.offerings)
    except IntegrityError as exc:  # made at the same moment by someone else
        raise _refuse("code", _("The code “%(code)s” exists already.") % {"code": text}) from exc
    return made


def _batch_codes(size: int, prefix: str) -> list[str]:
    made: set[str] = set()
    while len(made) < size:
        made.add(prefix + "".join(secrets.choice(BATCH_ALPHABET) for _ in range(BATCH_CODE_LENGTH)))
    return sorted(made)


def batch_create(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User | None,
    name: str,
    size: int,
    prefix: str,
    terms: CodeTerms,
) -> CodeBatch:
    """`size` codes of one use each (per learner too), all with these terms, in one transaction."""
    terms = _checked(tenant=tenant, access=access, terms=terms)
    if not 1 <= size <= MAX_BATCH:
        raise _refuse("size", _("Make from 1 to %(max)d codes at a time.") % {"max": MAX_BATCH})
    prefix = normalise_code(prefix)
    if prefix and not re.match(r"^[A-Z0-9]{1,12}-?$", prefix):
        raise _refuse("prefix", _("A prefix is up to 12 letters or digits."))
    if not name.strip():
        raise _refuse("name", _("Name the batch, so that you can find it again."))
    single = CodeTerms(**{**terms.__dict__, "max_uses": 1, "max_uses_per_learner": 1})
    for _attempt in range(3):
        codes = _batch_codes(size, prefix)
        taken = set(
            PromotionCode.objects.filter(tenant=tenant, code__in=codes).values_list("code", flat=True)
        )
        if taken:
            continue
        try:
            with transaction.atomic():
                batch = CodeBatch.objects.create(
                    tenant=tenant, unit=terms.unit, name=name.strip()[:120], size=size, created_by=actor
                )
                rows = PromotionCode.objects.bulk_create(
                    [_new_code(tenant=tenant, actor=actor, terms=single, code=c, batch=batch) for c in codes]
                )
                if terms.offerings:
                    through = PromotionCode.offerings.through
                    through.objects.bulk_create(
                        [
                            through(promotioncode_id=row.pk, offering_id=offering.pk)
                            for row in rows
                            for offering in terms.offerings
                        ]
                    )
        except IntegrityError:
            continue
        return batch
    raise _refuse("prefix", _("Could not make unique codes with this prefix: try another."))


def batch_csv_header() -> list[str]:
    return [_("Code"), _("Discount"), _("Valid from"), _("Valid until")]


def batch_csv_rows(*, batch: CodeBatch) -> Iterator[list[str]]:
    """The batch's codes for the spreadsheet, one row per code (batch_csv_header's columns)."""
    for code in batch.codes.order_by("code").iterator(chunk_size=1000):
        yield [
            code.code,
            discount_in_words(code),
            code.valid_from.isoformat() if code.valid_from else "",
            code.valid_until.isoformat() if code.valid_until else "",
        ]


def code_deactivate(*, tenant: Tenant, access: StaffAccess, code_id: int) -> PromotionCode:
    code = PromotionCode.objects.filter(tenant=tenant, pk=code_id).select_related("unit").first()
    if (
        code is None
        or (code.unit is None and not access.is_tenant_admin)
        or (code.unit is not None and not access.manages_unit(code.unit))
    ):
        raise NotVisible(_("No such code."))
    if code.is_active:
        code.is_active = False
        code.save(update_fields=["is_active"])
    return code


def discount_in_words(code: PromotionCode) -> str:
    if code.kind == DiscountKind.PERCENT:
        return _("%(percent)s%% off") % {"percent": code.percent_off}
    return _("%(amount)s off") % {"amount": format_money(int(code.amount_off_minor or 0), code.currency)}
