"""Console forms: relying parties, entitlements and OneRoster clients."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from access.models import ClaimGroup
from access.oneroster.scopes import ROSTER_CORE_READONLY, ROSTER_READONLY, SCOPE_CHOICES
from tenants.models import Unit


class RelyingPartyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("As learners see it, e.g. “Nursing Moodle”.")
    )
    unit = forms.ModelChoiceField(
        label=_("Whose system"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("The whole institution (e.g. the library)"),
        help_text=_("A unit's LMS sees only that unit's enrollments and entitlements."),
    )
    redirect_uris = forms.CharField(
        label=_("Redirect URIs"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        help_text=_("One a line, exactly as the system sends them (https)."),
    )
    post_logout_redirect_uris = forms.CharField(
        label=_("Addresses after signing out"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=10000,
        required=False,
        help_text=_("Optional: where the system may send learners after signing out, one a line."),
    )
    claims = forms.MultipleChoiceField(
        label=_("What it may read"),
        choices=ClaimGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Always: a subject that identifies the learner at this institution only."),
    )
    first_party = forms.BooleanField(
        label=_("Our own system: no consent screen"),
        required=False,
        help_text=_("Learners go straight through; others are asked once what it may read."),
    )

    pkce_required = forms.BooleanField(
        label=_("Require PKCE"),
        required=False,
        initial=True,
        help_text=_(
            "Keep this on. Turn it off only for a system that cannot send PKCE and signs in with its "
            "secret (sign-in then fails with “code challenge required”)."
        ),
    )

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(tenant_id=tenant_id).order_by("name")  # type: ignore[attr-defined]


class EntitlementForm(forms.Form):
    target = forms.ChoiceField(label=_("Granted by"), choices=())
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("As learners see it, e.g. “Library e-resources”.")
    )
    identifier = forms.CharField(
        label=_("Identifier"),
        max_length=500,
        help_text=_(
            "What the library proxy or licence server checks: an eduPersonEntitlement URN "
            "(urn:mace:dir:entitlement:common-lib-terms) or a group name."
        ),
    )
    days_before_start = forms.IntegerField(
        label=_("Days before the start"), min_value=0, max_value=365, initial=0
    )
    days_after_end = forms.IntegerField(label=_("Days after the end"), min_value=0, max_value=3650, initial=0)

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = targets  # type: ignore[attr-defined]


class OneRosterClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("The system that reads the roster, e.g. “Brightspace”.")
    )
    unit = forms.ModelChoiceField(
        label=_("Whose roster"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("The whole institution"),
        help_text=_("A unit's client reads only that unit's courses, classes, learners and seats."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may read"),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[ROSTER_CORE_READONLY, ROSTER_READONLY],
        help_text=_("An LMS that enrols learners needs the full roster (enrollments)."),
    )

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(tenant_id=tenant_id).order_by("name")  # type: ignore[attr-defined]
