"""Every form renders through our templates: label, hint and error tied to the field; and a
service's refusal lands on the form where the person will look.

Django 5.2 already names the hint and the error in the widget's aria-describedby
(`<id>_helptext`, `<id>_error`); forms/field.html gives those ids to what it prints.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.forms.renderers import TemplatesSetting

from core.errors import MicrocredError


class Renderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def form_errors_from(
    form: forms.BaseForm, error: MicrocredError, field_for: Mapping[str, str] | None = None
) -> None:
    """Put a domain error on the form: each problem beside the field it names, the rest on top.

    `error.fields` names the service's fields; `field_for` renames those typed into a form field
    of another name (`{"price_minor": "price"}`). A problem whose field the form does not have,
    and an error that names no field at all (its `message`), become non-field errors.
    """
    if not error.fields:
        form.add_error(None, error.message)
        return
    rename = field_for or {}
    for name, problems in error.fields.items():
        target = rename.get(name, name)
        form.add_error(target if target in form.fields else None, list(problems))
