"""Forms of the sponsors console and portal."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from catalog.models import Offering
from core.money import format_money
from sponsors.models import Unredeemed
from tenants.models import Unit


class EmployerForm(forms.Form):
    organisation = forms.CharField(label=_("Organisation"), max_length=200)
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Every unit (tenant-wide)"),
    )
    billing_email = forms.EmailField(label=_("Billing e-mail"), max_length=254)
    billing_address = forms.CharField(
        label=_("Billing address"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    po_number = forms.CharField(label=_("Purchase order number"), max_length=100, required=False)
    unredeemed = forms.ChoiceField(
        label=_("Seats not handed out when enrollment closes"),
        choices=Unredeemed.choices,
        initial=Unredeemed.EXPIRE,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("The agreement with this employer; each new pool keeps the one of its day."),
    )
    contacts = forms.CharField(
        label=_("Contacts' e-mail addresses"),
        max_length=2000,
        required=False,
        help_text=_("One a line. They sign in with a code sent to that address to hand out seats."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], tenant_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["unit"]
        field.queryset = units
        field.required = not tenant_wide
        if not tenant_wide:
            # A unit admin's employer belongs to one of their units: no tenant-wide choice to refuse.
            field.empty_label = None

    def contact_emails(self) -> list[str]:
        return [
            line.strip() for line in str(self.cleaned_data.get("contacts") or "").splitlines() if line.strip()
        ]


class PoolForm(forms.Form):
    offering = forms.ModelChoiceField(
        label=_("Offering"), queryset=Offering.objects.none(), empty_label=_("Choose an offering")
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=5000)
    unit_price = forms.CharField(
        label=_("Price per seat"),
        max_length=20,
        required=False,
        help_text=_("Leave empty for the offering's price."),
    )
    days_until_due = forms.IntegerField(label=_("Days to pay"), min_value=0, max_value=365, initial=30)
    request_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, offerings: QuerySet[Offering], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["offering"]
        field.queryset = offerings
        self.fields["request_key"].initial = uuid.uuid4().hex


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV of e-mail addresses, one a row"))


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Seat code"), max_length=40)
    share = forms.BooleanField(
        label=_("Let the employer who sponsors this seat see my status and whether I completed"),
        required=False,
        help_text=_("Optional. You can change this at any time on My learning."),
    )


class OfferingChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        price = format_money(obj.price_minor, obj.currency)
        starts = date_format(obj.starts_at.astimezone(obj.tz), "j M Y")
        parts = [obj.microcredential.title, obj.cohort_label, _("starts %(date)s") % {"date": starts}]
        return " · ".join([p for p in parts if p] + [_("%(price)s a seat") % {"price": price}])


class BuyForm(forms.Form):
    """An employer's contact buys seats at the offering's price (sponsors.services.purchase.pool_buy)."""

    offering = OfferingChoice(
        label=_("Offering"), queryset=Offering.objects.none(), empty_label=_("Choose an offering")
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=5000)
    pay = forms.ChoiceField(
        label=_("How you pay"),
        choices=[
            ("invoice", _("By invoice, due in 30 days (card or bank transfer)")),
            ("card", _("By card, now")),
        ],
        initial="invoice",
        widget=forms.RadioSelect,
    )
    request_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, offerings: QuerySet[Offering], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["offering"]
        field.queryset = offerings.select_related("microcredential")
        self.fields["request_key"].initial = uuid.uuid4().hex
