"""Forms of the webhooks console."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tenants.models import Unit
from webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Address (URL)"),
        max_length=2000,
        help_text=_("Where the events are POSTed, e.g. https://crm.example.edu/hooks/microcred"),
        widget=forms.URLInput(attrs={"autocomplete": "off", "inputmode": "url"}),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Every unit (tenant-wide)"),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], tenant_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["unit"]
        field.queryset = units
        field.required = not tenant_wide
        if not tenant_wide:
            field.empty_label = None  # a unit admin's endpoint belongs to one of their units
