"""The learner's search and filters (GET, in the URL). The console's editors: console_forms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from catalog.models import CreditType, DeliveryMode
from catalog.selectors import CatalogQuery, Sort
from core.forms import Select
from core.money import format_money, minor_exponent
from tenants.models import Tenant, Unit

PRICE_STEPS = (100, 250, 500, 1000)
CREDIT_STEPS = (1, 3, 5, 10)
# Bounds on what a URL may ask for, so no value overflows a database column.
MIN_YEAR, MAX_YEAR = 2000, 2200
MAX_PRICE = Decimal(10**9)
MAX_CREDITS = Decimal(9999)
# Seats in one offering (the console's form and the API alike).
MAX_CAPACITY = 100_000


def _months_ahead(tz: ZoneInfo, count: int = 12) -> list[date]:
    today = timezone.localdate(timezone=tz)
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class CatalogFilterForm(forms.Form):
    """Every filter lives in the URL, so a search can be bookmarked and shared. A value that
    does not parse is shown beside its field and ignored; the others still apply."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    unit = forms.ChoiceField(label=_("School or unit"), required=False, widget=Select)
    mode = forms.ChoiceField(label=_("Delivery"), required=False, widget=Select)
    month = forms.CharField(label=_("Starts in"), required=False, widget=Select)
    price = forms.CharField(label=_("Price"), required=False, widget=Select)
    credits = forms.CharField(label=_("Credits"), required=False, widget=Select)
    credit_type = forms.ChoiceField(label=_("Credit type"), required=False, widget=Select)
    seats = forms.BooleanField(label=_("Only with seats left"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, widget=Select)

    def __init__(self, data: Any = None, *, tenant: Tenant, units: list[Unit] | None) -> None:
        super().__init__(data)
        self.tenant = tenant
        tz = ZoneInfo(tenant.time_zone)
        if units is None:  # a unit's own page: the unit is fixed
            del self.fields["unit"]
        else:
            self.fields["unit"].choices = [("", _("All")), *((u.slug, u.name) for u in units)]  # type: ignore[attr-defined]
        self.fields["mode"].choices = [("", _("Any")), *DeliveryMode.choices]  # type: ignore[attr-defined]
        self.fields["credit_type"].choices = [("", _("Any")), *CreditType.choices]  # type: ignore[attr-defined]
        self.fields["sort"].choices = [  # type: ignore[attr-defined]
            ("", _("Best match, then newest")),
            (Sort.NEWEST, _("Newest start first")),
            (Sort.SOONEST, _("Soonest start first")),
            (Sort.PRICE, _("Lowest price first")),
        ]
        months = [(m.strftime("%Y-%m"), date_format(m, "F Y")) for m in _months_ahead(tz)]
        self._choices("month", [("", _("Any time")), *months])
        prices: list[tuple[str, Any]] = [("", _("Any price")), ("free", _("Free"))]
        exponent = minor_exponent(tenant.currency)
        prices += [
            (
                str(step),
                _("Under %(amount)s") % {"amount": format_money(step * 10**exponent, tenant.currency)},
            )
            for step in PRICE_STEPS
        ]
        self._choices("price", prices)
        credits = [("", _("Any"))] + [(str(n), _("At least %(n)d") % {"n": n}) for n in CREDIT_STEPS]
        self._choices("credits", credits)

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        """A shared link may carry a value that is not a preset (price=300): keep it selectable."""
        value = (self.data.get(name) or "").strip() if self.is_bound else ""
        if value and value not in {c[0] for c in choices}:
            choices.append((value, value))
        self.fields[name].widget.choices = choices

    def clean_month(self) -> date | None:
        value: str = self.cleaned_data["month"]
        if not value:
            return None
        try:
            parsed = datetime.strptime(value, "%Y-%m")
        except ValueError:
            raise ValidationError(_("Choose a month from the list.")) from None
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ValidationError(_("Choose a month from the list."))
        return parsed.date()

    def clean_price(self) -> str | Decimal | None:
        value: str = self.cleaned_data["price"].strip().lower()
        if not value:
            return None
        if value == "free":
            return "free"
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationError(_("Choose a price from the list.")) from None
        if not amount.is_finite() or not 0 < amount <= MAX_PRICE:
            raise ValidationError(_("Choose a price from the list."))
        return amount

    def clean_credits(self) -> Decimal | None:
        value: str = self.cleaned_data["credits"].strip()
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationError(_("Choose a number of credits from the list.")) from None
        if not amount.is_finite() or not 0 <= amount <= MAX_CREDITS:
            raise ValidationError(_("Choose a number of credits from the list."))
        return amount

    def to_query(self) -> CatalogQuery:
        if not self.is_bound:
            return CatalogQuery()
        self.is_valid()
        data = self.cleaned_data
        price = data.get("price")
        return CatalogQuery(
            text=data.get("q") or "",
            unit_slug=data.get("unit") or "",
            delivery_mode=data.get("mode") or "",
            start_month=data.get("month"),
            free_only=price == "free",
            price_below=price if isinstance(price, Decimal) else None,
            min_credits=data.get("credits"),
            credit_type=data.get("credit_type") or "",
            has_seats=bool(data.get("seats")),
            sort=data.get("sort") or "",
        )

    @property
    def filters_used(self) -> int:
        """How many filters (not the search words or the order) are set, for the summary."""
        if not self.is_bound:
            return 0
        names = ("unit", "mode", "month", "price", "credits", "credit_type", "seats")
        return sum(1 for name in names if self.data.get(name))
