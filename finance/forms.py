"""Filters and the journal export form: bad input gets a message beside the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import PayoutTie, ProblemKind
from tenants.models import Unit

PAYOUT_STATUSES = [
    ("", _("Any status")),
    ("pending", _("Pending")),
    ("in_transit", _("In transit")),
    ("paid", _("Paid")),
    ("failed", _("Failed")),
    ("canceled", _("Cancelled")),
]


class _Period(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        return data


class PayoutFilterForm(_Period):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=PAYOUT_STATUSES)
    tie = forms.ChoiceField(
        label=_("Reconciled"), required=False, choices=[("", _("Any")), *PayoutTie.choices]
    )


class _UnitFilter(_Period):
    unit = forms.ModelChoiceField(
        label=_("Unit"), required=False, queryset=Unit.objects.none(), empty_label=_("Every unit you can see")
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["unit"].to_field_name = "slug"  # type: ignore[attr-defined]


class ProblemFilterForm(_UnitFilter):
    kind = forms.ChoiceField(
        label=_("Problem"), required=False, choices=[("", _("Any")), *ProblemKind.choices]
    )
    payout = forms.CharField(label=_("Payout id"), required=False, max_length=255)


class StatementFilterForm(_UnitFilter):
    pass


class JournalExportForm(forms.Form):
    period_end = forms.DateField(
        label=_("Export entries up to and including"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Everything before the end of this day (the institution's time zone) not exported yet."),
    )
    currency = forms.RegexField(
        label=_("Currency"),
        regex=r"^[A-Za-z]{3}$",
        max_length=3,
        error_messages={"invalid": _("A three-letter ISO code, like USD.")},
    )
