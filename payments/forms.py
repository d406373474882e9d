"""The tenant admin's Stripe keys form: secrets are typed, never shown back (masked beside)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class StripeKeysForm(forms.Form):
    secret_key = forms.CharField(
        label=_("Secret key"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "sk_live_… or sk_test_… (rk_… for a restricted key). Leave empty to keep the one stored."
        ),
    )
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "whsec_…, from the webhook endpoint in Stripe's dashboard. Leave empty to keep the one stored."
        ),
    )
    secret_key_env = forms.RegexField(
        label=_("Or: environment variable holding the secret key"),
        regex=r"^[A-Z_][A-Z0-9_]*$",
        required=False,
        max_length=100,
    )
    webhook_secret_env = forms.RegexField(
        label=_("Or: environment variable holding the webhook secret"),
        regex=r"^[A-Z_][A-Z0-9_]*$",
        required=False,
        max_length=100,
    )

    def clean_secret_key(self) -> str:
        value: str = self.cleaned_data["secret_key"].strip()
        if value and not value.startswith(("sk_", "rk_")):
            raise forms.ValidationError(
                _("A Stripe secret key starts with sk_ (or rk_ for a restricted key).")
            )
        return value

    def clean_webhook_secret(self) -> str:
        value: str = self.cleaned_data["webhook_secret"].strip()
        if value and not value.startswith("whsec_"):
            raise forms.ValidationError(_("A webhook signing secret starts with whsec_."))
        return value
