from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenants.models import StaffRole, Tenant, Unit

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
