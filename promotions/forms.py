"""The console's forms for promotion codes and batches of single-use codes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Microcredential, Offering
from core.money import MoneyInputError, parse_major
from promotions.models import DiscountKind
from promotions.services.codes import MAX_BATCH, CodeTerms
from tenants.models import Tenant, Unit


class _TermsForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Every unit (tenant-wide)"),
    )
    description = forms.CharField(
        label=_("What it is for"),
        max_length=200,
        required=False,
        help_text=_("Staff and finance see it; for a fee waiver the learner sees it too."),
    )
    kind = forms.ChoiceField(label=_("Discount"), choices=DiscountKind.choices, widget=forms.RadioSelect)
    percent_off = forms.IntegerField(label=_("Percentage off"), min_value=1, max_value=100, required=False)
    amount_off = forms.CharField(label=_("Amount off"), max_length=20, required=False)
    valid_from = forms.DateField(
        label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    microcredential = forms.ModelChoiceField(
        label=_("Only for this microcredential"), queryset=Microcredential.objects.none(), required=False
    )
    offerings = forms.ModelMultipleChoiceField(
        label=_("Only for these offerings"),
        queryset=Offering.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    waives_fee = forms.BooleanField(
        label=_("This is a fee waiver (scholarship): 100% off, the seat confirmed with no payment"),
        required=False,
    )

    def __init__(self, *args: Any, tenant: Tenant, units: QuerySet[Unit], tenant_wide: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = units
        unit_field.required = not tenant_wide
        if not tenant_wide:
            unit_field.empty_label = None
        micro: Any = self.fields["microcredential"]
        micro.queryset = Microcredential.objects.filter(tenant=tenant, unit__in=units).order_by("title")
        offerings: Any = self.fields["offerings"]
        offerings.queryset = (
            Offering.objects.filter(tenant=tenant, microcredential__unit__in=units)
            .select_related("microcredential")
            .order_by("microcredential__title", "starts_at")
        )
        offerings.label_from_instance = lambda o: (
            f"{o.microcredential.title} — {o.cohort_label or o.starts_at:%d %b %Y}"
        )
        self.fields["amount_off"].help_text = _("In %(currency)s, like 50.00.") % {
            "currency": tenant.currency
        }

    def _moment(self, day: date | None, *, end: bool) -> datetime | None:
        if day is None:
            return None
        zone = ZoneInfo(self.tenant.time_zone)
        start = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=zone)
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if (
            kind == DiscountKind.PERCENT
            and data.get("percent_off") is None
            and "percent_off" not in self.errors
        ):
            self.add_error("percent_off", _("Enter a percentage from 1 to 100."))
        if kind == DiscountKind.AMOUNT:
            text = (data.get("amount_off") or "").strip()
            if not text:
                self.add_error("amount_off", _("Enter the amount the code takes off."))
            else:
                try:
                    minor = parse_major(text, self.tenant.currency)
                except MoneyInputError as exc:
                    self.add_error("amount_off", str(exc))
                else:
                    if minor < 1:
                        self.add_error("amount_off", _("Enter an amount above zero."))
                    data["amount_off_minor"] = minor
        first, last = data.get("valid_from"), data.get("valid_until")
        if first and last and last < first:
            self.add_error("valid_until", _("The last day cannot be before the first."))
        return data

    def terms(self) -> CodeTerms:
        data = self.cleaned_data
        kind = data["kind"]
        return CodeTerms(
            kind=kind,
            percent_off=data.get("percent_off") if kind == DiscountKind.PERCENT else None,
            amount_off_minor=data.get("amount_off_minor") if kind == DiscountKind.AMOUNT else None,
            valid_from=self._moment(data.get("valid_from"), end=False),
            valid_until=self._moment(data.get("valid_until"), end=True),
            max_uses=data.get("max_uses"),
            max_uses_per_learner=data.get("max_uses_per_learner") or 1,
            description=data.get("description") or "",
            waives_fee=bool(data.get("waives_fee")),
            unit=data.get("unit"),
            microcredential=data.get("microcredential"),
            offerings=list(data.get("offerings") or []),
        )


class CodeForm(_TermsForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("What learners type: 3 to 40 letters, digits, - or _, like SPRING25."),
    )
    max_uses = forms.IntegerField(
        label=_("Uses in all"), min_value=1, required=False, help_text=_("Empty: no cap.")
    )
    max_uses_per_learner = forms.IntegerField(
        label=_("Uses per learner"), min_value=1, initial=1, required=False, help_text=_("Empty: once.")
    )

    field_order = ["code", "unit", "description", "kind", "percent_off", "amount_off"]


class BatchForm(_TermsForm):
    name = forms.CharField(label=_("Batch name"), max_length=120, help_text=_("Like “Open day 2027 flyers”."))
    size = forms.IntegerField(
        label=_("How many codes"), min_value=1, max_value=MAX_BATCH, help_text=_("Each can be used once.")
    )
    code_prefix = forms.CharField(
        label=_("Prefix"), max_length=12, required=False, help_text=_("Optional, like OPENDAY-.")
    )

    field_order = ["name", "size", "code_prefix", "unit", "description", "kind", "percent_off", "amount_off"]

    def clean_size(self) -> int:
        size = self.cleaned_data.get("size")
        if size is None:
            raise ValidationError(_("Enter how many codes to make."))
        return int(size)
