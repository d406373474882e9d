"""Every form renders through our templates: label, hint and error tied to the field; and a
service's refusal lands on the form where the person will look.

Django 5.2 already names the hint and the error in the widget's aria-describedby
(`<id>_helptext`, `<id>_error`); forms/field.html gives those ids to what it prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer, TemplatesSetting
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.errors import MicrocredError


class Renderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class Select(forms.Select):
    """Django's select, written out in Python: the same markup as its widget templates
    (`select.html`, `select_option.html`, `attrs.html`) without rendering two templates per
    option, which is most of a long list's cost (a catalog filter of 50 units)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts += [
                format_html('<option value="{}"{}>{}</option>', o["value"], _attrs(o["attrs"]), o["label"])
                for o in options
            ]
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html


def _attrs(attrs: Mapping[str, Any]) -> SafeString:
    """As `attrs.html`, in the same order: True writes the bare name, False leaves it out."""
    return mark_safe(  # noqa: S308 - names are the widget's own, values escaped by format_html
        "".join(
            format_html(" {}", k) if v is True else format_html(' {}="{}"', k, v)
            for k, v in attrs.items()
            if v is not False
        )
    )


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
