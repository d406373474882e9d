from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class NotifyForm(forms.Form):
    """An anonymous visitor's address. `website` is a honeypot: hidden from people (and from
    screen readers), filled in by bots; a filled one is answered as if it worked and does nothing."""

    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We write once, when a seat is open to take. Nothing else."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
