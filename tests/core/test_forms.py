"""core.forms.form_errors_from: a service's refusal shown where the person will look."""

from __future__ import annotations

from django import forms

from core.errors import MicrocredError, ValidationFailed
from core.forms import form_errors_from


class PriceForm(forms.Form):
    title = forms.CharField()
    price = forms.CharField()


def _bound() -> PriceForm:
    form = PriceForm({"title": "Python", "price": "10"})
    assert form.is_valid()
    return form


def test_a_problem_stands_beside_the_field_it_names() -> None:
    form = _bound()
    form_errors_from(form, ValidationFailed("Check the title.", fields={"title": ["Too long.", "Taken."]}))
    assert form.errors == {"title": ["Too long.", "Taken."]}
    assert form.non_field_errors() == []


def test_a_service_field_is_renamed_to_the_form_field_it_was_typed_into() -> None:
    form = _bound()
    error = ValidationFailed("Check the price.", fields={"price_minor": ["Too large."]})
    form_errors_from(form, error, {"price_minor": "price"})
    assert form.errors == {"price": ["Too large."]}


def test_a_field_the_form_does_not_have_becomes_a_non_field_error() -> None:
    form = _bound()
    error = ValidationFailed(
        "Check it.", fields={"title": ["Taken."], "starts_at": ["Starts after it ends."]}
    )
    form_errors_from(form, error)
    assert form.errors["title"] == ["Taken."]
    assert form.non_field_errors() == ["Starts after it ends."]


def test_an_error_that_names_no_field_shows_its_message_on_top() -> None:
    form = _bound()
    form_errors_from(form, MicrocredError("This offering is archived."))
    assert form.non_field_errors() == ["This offering is archived."]
    assert not form.has_error("title")
    assert not form.has_error("price")
