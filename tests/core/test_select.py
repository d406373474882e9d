"""core.forms.Select writes the markup Django's widget templates write, option for option."""

import re

import pytest
from django import forms

from core.forms import Select


class Pick(forms.Form):
    colour = forms.ChoiceField(
        choices=[
            ("", "Any"),
            ("red", "Red & <b>bold</b>"),
            ("Warm", [("amber", "Amber"), ("ochre", "Ochre")]),
        ],
        required=False,
        help_text="One colour.",
    )
    size = forms.ChoiceField(choices=[("s", "Small"), ("l", "Large")])


def _rendered(widget: type[forms.Select], data: dict[str, str] | None) -> dict[str, str]:
    form = Pick(data)
    form.is_valid()
    rendered = {}
    for name, field in form.fields.items():
        assert isinstance(field, forms.ChoiceField)
        html = form[name].as_widget(widget=widget(choices=field.choices))  # type: ignore[arg-type]
        rendered[name] = re.sub(r">\s+<", "><", html.strip())
    return rendered


@pytest.mark.parametrize("data", [None, {"colour": "ochre", "size": "l"}, {"colour": "blue", "size": ""}])
def test_the_same_html_as_djangos_select(data):
    assert _rendered(Select, data) == _rendered(forms.Select, data)


def test_the_chosen_option_is_selected_and_labels_are_escaped():
    html = _rendered(Select, {"colour": "ochre", "size": ""})

    assert '<option value="ochre" selected>Ochre</option>' in html["colour"]
    assert "Red &amp; &lt;b&gt;bold&lt;/b&gt;" in html["colour"]
    assert 'aria-invalid="true"' in html["size"]
