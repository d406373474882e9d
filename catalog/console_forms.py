"""The staff console's editors: microcredentials, offerings and refund policies."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.forms import MAX_CAPACITY
from catalog.models import DeliveryMode, Microcredential, Offering, RefundPolicy
from catalog.refunds import Tier
from catalog.services.microcredentials import MICROCREDENTIAL_FIELDS
from core.money import (
    MoneyInputError,
    MoneyTooLarge,
    known_currency,
    parse_amount,
    parse_major,
    to_major,
    too_large_message,
)
from tenants.models import Unit


class CurrencyField(forms.CharField):
    """A 3-letter ISO 4217 code, typed in either case; cleaned to upper case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label=_("Currency"), max_length=3, min_length=3, **kwargs)

    def clean(self, value: Any) -> str:
        code = str(super().clean(value)).upper()
        if not known_currency(code):
            raise ValidationError(_("Enter an ISO 4217 currency code, like USD, CAD, GBP or JPY."))
        return code


class MicrocredentialForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Microcredential
        fields = [
            "unit",
            *(name for name in MICROCREDENTIAL_FIELDS if name != "bundle_discount_percent"),
            "parts",
            "bundle_discount_percent",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "outcomes": forms.Textarea(attrs={"rows": 5}),
            "credit_type": forms.RadioSelect,
            "level": forms.RadioSelect,
            "parts": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit],
        parts: QuerySet[Microcredential],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["unit"]  # a microcredential stays with its unit
            parts = parts.exclude(pk=self.instance.pk)
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
            self.fields["unit"].empty_label = None  # type: ignore[attr-defined]
        self.fields["parts"].queryset = parts  # type: ignore[attr-defined]
        self.fields["parts"].required = False

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("unit", "parts")}


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time, read in the time zone chosen on the same form."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        for fmt in self.input_formats:
            try:
                return datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


OFFERING_MODEL_FIELDS = frozenset(
    {"starts_at", "ends_at", "enrollment_opens_at", "enrollment_closes_at", "delivery_mode"}
    | {"location", "price_minor", "seat_hold_minutes"}
)
DATETIME_FIELDS = ("starts_at", "ends_at", "enrollment_opens_at", "enrollment_closes_at")


class OfferingForm(forms.Form):
    cohort_label = forms.CharField(
        label=_("Cohort name"),
        required=False,
        max_length=100,
        help_text=_("Like “Spring 2026 evening cohort”."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), help_text=_("Dates and times below are in this time zone.")
    )
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    enrollment_opens_at = LocalDateTimeField(label=_("Enrollment opens"))
    enrollment_closes_at = LocalDateTimeField(label=_("Enrollment closes"))
    schedule = forms.CharField(
        label=_("Schedule"),
        required=False,
        max_length=300,
        help_text=_("Like “Tuesdays and Thursdays, 6–8 pm, six weeks”."),
    )
    delivery_mode = forms.ChoiceField(
        label=_("Delivery"), choices=DeliveryMode.choices, widget=forms.RadioSelect
    )
    location = forms.CharField(
        label=_("Location"),
        required=False,
        max_length=300,
        help_text=_("Campus, building and room; needed in person and hybrid."),
    )
    capacity = forms.IntegerField(label=_("Capacity (seats)"), min_value=1, max_value=MAX_CAPACITY)
    price = forms.CharField(
        label=_("Price"),
        max_length=20,
        help_text=_("In the currency below, like 1250.00. Zero for a free offering."),
    )
    currency = CurrencyField(help_text=_("ISO 4217 code, like USD, CAD, GBP or JPY."))
    seat_hold_minutes = forms.IntegerField(
        label=_("Seat hold (minutes)"),
        min_value=1,
        max_value=24 * 60,
        help_text=_("How long a seat is kept while the learner pays: 30 minutes to 24 hours."),
    )
    waitlist_enabled = forms.BooleanField(label=_("Offer a wait-list when full"), required=False)
    refund_policy = forms.ModelChoiceField(
        label=_("Refund policy"), queryset=RefundPolicy.objects.none(), required=False
    )
    lms_course_ref = forms.CharField(
        label=_("LMS course reference"),
        required=False,
        max_length=200,
        help_text=_("The course id in the LMS."),
    )

    def __init__(
        self, *args: Any, policies: QuerySet[RefundPolicy], default_policy: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()  # type: ignore[attr-defined]
        field = self.fields["refund_policy"]
        field.queryset = policies  # type: ignore[attr-defined]
        field.empty_label = default_policy  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, offering: Offering) -> dict[str, Any]:
        tz = offering.tz
        initial: dict[str, Any] = {
            name: getattr(offering, name)
            for name in (
                "cohort_label",
                "time_zone",
                "schedule",
                "delivery_mode",
                "location",
                "capacity",
                "currency",
                "seat_hold_minutes",
                "waitlist_enabled",
                "refund_policy",
                "lms_course_ref",
            )
        }
        for name in DATETIME_FIELDS:
            initial[name] = timezone.localtime(getattr(offering, name), tz).replace(tzinfo=None)
        initial["price"] = f"{to_major(offering.price_minor, offering.currency):f}"
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = data.get("time_zone")
        if zone:
            tz = ZoneInfo(zone)
            for name in DATETIME_FIELDS:
                if data.get(name) is not None:
                    data[name] = self._aware(name, data[name], tz)
        currency = data.get("currency")
        if currency and "price" in data:
            try:
                data["price_minor"] = parse_major(data["price"], currency)
            except MoneyTooLarge:
                self.add_error("price", too_large_message(currency, noun="price"))
            except MoneyInputError as exc:
                self.add_error("price", str(exc))
        elif "price" in data:  # no currency to read it in: still say what any currency refuses
            try:
                parse_amount(data["price"])
            except MoneyInputError as exc:
                self.add_error("price", str(exc))
        self._row_rules(data)
        return data

    def _row_rules(self, data: dict[str, Any]) -> None:
        """The offering's own single-row rules (dates in order, a location in person), checked
        on what did parse, so every mistake shows at once rather than one round at a time. The
        service checks them again; these only add to fields without an error yet."""
        names = [n for n in ("price_minor", *self.fields) if n in data and n != "price"]
        offering = Offering(
            **{n: data[n] for n in names if data[n] is not None and n in OFFERING_MODEL_FIELDS}
        )
        try:
            offering.clean()
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                if name in self.fields and name not in self.errors:
                    for problem in problems:
                        self.add_error(name, problem)

    def _aware(self, name: str, naive: datetime, tz: ZoneInfo) -> datetime | None:
        aware = naive.replace(tzinfo=tz)
        # A time skipped by a clock change does not survive the round trip through UTC.
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
            self.add_error(
                name,
                _("%(time)s does not exist in %(zone)s: the clocks change then.")
                % {"time": naive.strftime("%H:%M"), "zone": tz.key},
            )
            return None
        return aware

    def service_fields(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "price"}
        return data

    # Service errors name model fields; a few are typed into differently named form fields.
    FIELD_FOR = {"price_minor": "price"}


MAX_TIERS = 4


class RefundPolicyForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("Staff see this; learners read the rules.")
    )
    fee = forms.CharField(
        label=_("Cancellation fee"),
        required=False,
        max_length=20,
        help_text=_("Kept from any refund, in the currency below. Leave empty for none."),
    )
    currency = CurrencyField()
    frees_seat = forms.BooleanField(
        label=_("Cancelling frees the seat for the next person waiting"), required=False, initial=True
    )
    is_unit_default = forms.BooleanField(
        label=_("Use for the unit's offerings unless they choose another"), required=False
    )

    def __init__(self, *args: Any, units: QuerySet[Unit] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        for index in range(1, MAX_TIERS + 1):
            self.fields[f"tier_{index}_days"] = forms.IntegerField(
                label=_("Tier %(n)d: more than this many days before the start") % {"n": index},
                required=False,
                min_value=0,
                max_value=365,
            )
            self.fields[f"tier_{index}_percent"] = forms.IntegerField(
                label=_("Tier %(n)d: percent refunded") % {"n": index},
                required=False,
                min_value=1,
                max_value=100,
            )

    @classmethod
    def initial_for(cls, policy: RefundPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": policy.name,
            "currency": policy.currency,
            "frees_seat": policy.frees_seat,
            "is_unit_default": policy.is_unit_default,
            "fee": f"{to_major(policy.cancellation_fee_minor, policy.currency):f}"
            if policy.cancellation_fee_minor
            else "",
        }
        for index, tier in enumerate(policy.tiers.all(), start=1):
            initial[f"tier_{index}_days"] = tier.days_before_start
            initial[f"tier_{index}_percent"] = tier.refund_percent
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tiers = []
        for index in range(1, MAX_TIERS + 1):
            days, percent = data.get(f"tier_{index}_days"), data.get(f"tier_{index}_percent")
            if days is None and percent is None:
                continue
            if days is None:
                self.add_error(f"tier_{index}_days", _("Say how many days before the start."))
            elif percent is None:
                self.add_error(f"tier_{index}_percent", _("Say what percent is refunded."))
            else:
                tiers.append(Tier(days, percent))
        data["tiers"] = tiers
        currency = data.get("currency")
        data["cancellation_fee_minor"] = 0
        if currency and (data.get("fee") or "").strip():
            try:
                data["cancellation_fee_minor"] = parse_major(data["fee"], currency)
            except MoneyInputError as exc:
                self.add_error("fee", str(exc))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "currency": data["currency"],
            "cancellation_fee_minor": data["cancellation_fee_minor"],
            "frees_seat": data["frees_seat"],
            "is_unit_default": data["is_unit_default"],
        }

    # Service errors on tiers show beside the first tier's fields.
    FIELD_FOR = {"cancellation_fee_minor": "fee", "tiers": "tier_1_days"}
