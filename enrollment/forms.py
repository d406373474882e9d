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
from enrollment.models import MAX_OFFER_WINDOW_HOURS, RESULT_MAX_LENGTH, CompletionOutcome
from enrollment.services.completion import ALL_OR_NOTHING, GOOD_ROWS
from enrollment.services.completion_file import MAX_BYTES, MAX_ROWS


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


class CompletionForm(forms.Form):
    """One learner's completion, or its correction (then with a reason)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=CompletionOutcome.choices)
    result = forms.CharField(
        label=_("Result or grade"),
        max_length=RESULT_MAX_LENGTH,
        required=False,
        help_text=_("Optional, like “A”, “Pass” or “87/100”."),
    )
    date = forms.DateField(label=_("Completion date"), required=False, help_text=_("Today if empty."))
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        required=False,
        help_text=_("Needed when you change what was recorded."),
    )


class BulkCompletionForm(forms.Form):
    """Several confirmed learners → completed, with one date and result."""

    enrollment = forms.TypedMultipleChoiceField(coerce=int, label=_("Learners"), choices=())
    result = forms.CharField(label=_("Result or grade"), max_length=RESULT_MAX_LENGTH, required=False)
    date = forms.DateField(label=_("Completion date"), required=False, help_text=_("Today if empty."))

    def __init__(self, *args: Any, enrollment_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        if isinstance(field, forms.TypedMultipleChoiceField):
            field.choices = [(pk, str(pk)) for pk in enrollment_ids]
            field.error_messages["required"] = _("Select at least one learner.")
            field.error_messages["invalid_choice"] = _(
                "A selected learner is no longer in this offering: reload the roster."
            )


class CompletionUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: email or enrollment_id, result, date (YYYY-MM-DD), and optionally outcome "
            "(completed or not_completed). At most %(rows)d learners and %(mb)d MB."
        )
        % {"rows": MAX_ROWS, "mb": MAX_BYTES // 2**20},
    )
    mode = forms.ChoiceField(
        label=_("If some lines are refused"),
        choices=[
            (ALL_OR_NOTHING, _("Save nothing (all or nothing)")),
            (GOOD_ROWS, _("Save only the good lines")),
        ],
        initial=ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for corrections"),
        max_length=500,
        required=False,
        help_text=_("Needed only if the file changes completions already recorded."),
    )
