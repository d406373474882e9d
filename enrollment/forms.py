"""Forms of the staff console's roster. Each maps to one service call; refusals come back as
field errors (the service's `fields`) or a form error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from catalog import selectors as catalog_selectors
from catalog.models import Offering
from core.dates import date_range
from enrollment.models import MAX_OFFER_WINDOW_HOURS


class EnrollByEmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    full_name = forms.CharField(label=_("Full name (if new)"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Note for the history"),
        max_length=500,
        required=False,
        help_text=_("Why they are enrolled by hand, like “enrolled by phone”."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, help_text=_("Kept in the enrollment's history.")
    )


class TargetField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Offering) -> str:
        dates = date_range(obj.starts_at, obj.ends_at, obj.tz)
        label = f"{dates} — {obj.cohort_label}" if obj.cohort_label else dates
        return f"{label} ({catalog_selectors.offering_seats(obj).left} seats left)"


class MoveForm(ReasonForm):
    offering = TargetField(queryset=Offering.objects.none(), label=_("Move to"), empty_label=None)

    def __init__(self, *args: Any, targets: QuerySet[Offering], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["offering"]
        if isinstance(field, TargetField):
            field.queryset = targets


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100000)


class OfferWindowForm(forms.Form):
    offer_window_hours = forms.IntegerField(
        label=_("Offer window (hours)"),
        min_value=1,
        max_value=MAX_OFFER_WINDOW_HOURS,
        help_text=_("How long a learner offered a freed seat has to accept it."),
    )
