from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenants.models import SocialProvider, SocialProviderKind, StaffRole, Tenant, Unit

MAX_LOGO_BYTES = 1024 * 1024
LOGO_TYPES = {"PNG", "JPEG", "WEBP", "GIF"}


class ColourInput(forms.TextInput):
    input_type = "color"


class UnitForm(forms.ModelForm):  # type: ignore[type-arg]
    remove_logo = forms.BooleanField(required=False, label=_("Remove the current logo"))

    class Meta:
        model = Unit
        fields = [
            "name",
            "slug",
            "tagline",
            "primary_colour",
            "logo",
            "contact_email",
            "gl_code",
            "settlement_kind",
            "stripe_account_id",
            "is_active",
        ]
        widgets = {
            "primary_colour": ColourInput(),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/*"}),
        }
        help_texts = {
            "slug": _("Part of the unit's address: /u/<slug>/. Lowercase letters, digits, hyphens."),
            "primary_colour": _(
                "Headers and buttons take this colour; text on it is chosen to stay readable."
            ),
            "logo": _("PNG, JPEG, WebP or GIF, at most 1 MB."),
            "stripe_account_id": _(
                "Only for a unit that is its own legal entity, settled through Stripe Connect."
            ),
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.instance.tenant = tenant
        self.fields["logo"].widget = forms.FileInput(attrs={"accept": "image/*"})
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        taken = Unit.objects.filter(tenant=self.tenant, slug=slug).exclude(pk=self.instance.pk).exists()
        if taken:
            raise ValidationError(_("Another unit of this institution already uses this slug."))
        return slug

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if not logo or logo == self.instance.logo:
            return logo
        if logo.size > MAX_LOGO_BYTES:
            raise ValidationError(_("The logo is larger than 1 MB; please upload a smaller image."))
        image_format = getattr(getattr(logo, "image", None), "format", None)
        if image_format not in LOGO_TYPES:
            raise ValidationError(_("Upload a PNG, JPEG, WebP or GIF image."))
        return logo


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices, widget=forms.RadioSelect)
    units = forms.ModelMultipleChoiceField(
        label=_("Units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Unit administrators and finance staff see only the units chosen here."),
    )
    all_units = forms.BooleanField(label=_("Finance: every unit, including ones added later"), required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = Unit.objects.filter(tenant=tenant)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role == StaffRole.UNIT_ADMIN and not data.get("units"):
            self.add_error("units", _("Choose at least one unit for a unit administrator."))
        if role == StaffRole.FINANCE and not data.get("units") and not data.get("all_units"):
            self.add_error("units", _("Choose units, or tick 'every unit', for finance staff."))
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, like 'LMS roster sync'.")
    )
    role = forms.ChoiceField(
        label=_("Acts with the role"),
        widget=forms.RadioSelect,
        help_text=_(
            "The token reaches only what this role reaches, and stops working if the role is removed."
        ),
    )

    def __init__(self, *args: Any, roles: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(value, label) for value, label in StaffRole.choices if value in roles]
        self.fields["role"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.fields["role"].initial = choices[0][0]


class SocialProviderForm(forms.Form):
    """A provider's credentials. Secrets are write-only: empty keeps the stored value."""

    client_id = forms.CharField(label=_("Client id"), max_length=255)
    secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    apple_team_id = forms.CharField(label=_("Apple team id"), max_length=20, required=False)
    apple_private_key = forms.CharField(
        label=_("Apple private key"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Paste the contents of the .p8 file. Leave empty to keep the stored key."),
    )
    verified_email_domains = forms.CharField(
        label=_("Domains whose Microsoft e-mail addresses count as verified"),
        max_length=500,
        required=False,
        help_text=_(
            "Microsoft does not vouch for the e-mail addresses it sends. List your own domains "
            "(comma-separated, like example.edu); other addresses are refused."
        ),
    )
    is_enabled = forms.BooleanField(label=_("Show this sign-in option"), required=False, initial=True)

    def __init__(self, *args: Any, kind: str, stored: SocialProvider | None, **kwargs: Any) -> None:
        if stored is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "client_id": stored.client_id,
                "apple_team_id": stored.apple_team_id,
                "verified_email_domains": stored.verified_email_domains,
                "is_enabled": stored.is_enabled,
            }
        super().__init__(*args, **kwargs)
        if kind != SocialProviderKind.APPLE:
            del self.fields["apple_team_id"]
            del self.fields["apple_private_key"]
        else:
            self.fields["client_id"].label = _("Services ID")
            self.fields["secret"].label = _("Key id")
        if kind != SocialProviderKind.MICROSOFT:
            del self.fields["verified_email_domains"]
        if stored is not None and stored.secret:
            self.fields["secret"].help_text = _(
                "Stored; it ends in …%(tail)s. Leave empty to keep it, or type a new one."
            ) % {"tail": stored.secret[-4:]}

    def clean_verified_email_domains(self) -> str:
        value: str = self.cleaned_data.get("verified_email_domains", "")
        domains = [d.strip().lower() for d in value.split(",") if d.strip()]
        for domain in domains:
            if not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}", domain):
                raise ValidationError(
                    _("%(domain)s is not a domain name, like example.edu.") % {"domain": domain}
                )
        return ", ".join(domains)
