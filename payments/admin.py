"""Django admin (platform operators): orders and events to look at, each tenant's Stripe keys to
set. Secrets are written through blank-by-default fields and shown back only masked."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from payments import secrets
from payments.models import Order, OrderLine, StripeEvent, TenantStripeSettings
from payments.services.stripe_settings import stripe_settings_save


class TenantStripeSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    secret_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="sk_… or rk_…; leave empty to keep the one stored.",
    )
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="whsec_…; leave empty to keep the one stored.",
    )

    class Meta:
        model = TenantStripeSettings
        fields = ["tenant", "secret_key_env", "webhook_secret_env"]

    def clean_secret_key(self) -> str:
        value: str = self.cleaned_data["secret_key"].strip()
        if value and not value.startswith(("sk_", "rk_")):
            raise forms.ValidationError("A Stripe secret key starts with sk_ (or rk_ for a restricted key).")
        return value

    def clean_webhook_secret(self) -> str:
        value: str = self.cleaned_data["webhook_secret"].strip()
        if value and not value.startswith("whsec_"):
            raise forms.ValidationError("A webhook signing secret starts with whsec_.")
        return value


@admin.register(TenantStripeSettings)
class TenantStripeSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = TenantStripeSettingsForm
    list_display = ("tenant", "secret_key_masked", "webhook_secret_masked", "updated_at")
    readonly_fields = ("secret_key_masked", "webhook_secret_masked", "updated_at")

    @admin.display(description="secret key")
    def secret_key_masked(self, obj: TenantStripeSettings) -> str:
        return secrets.mask(secrets.secret_key(obj)) or "—"

    @admin.display(description="webhook secret")
    def webhook_secret_masked(self, obj: TenantStripeSettings) -> str:
        return secrets.mask(secrets.webhook_secret(obj)) or "—"

    def save_model(self, request: HttpRequest, obj: TenantStripeSettings, form: Any, change: bool) -> None:
        stripe_settings_save(
            tenant=obj.tenant,
            secret_key=form.cleaned_data.get("secret_key", ""),
            webhook_secret=form.cleaned_data.get("webhook_secret", ""),
            secret_key_env=obj.secret_key_env,
            webhook_secret_env=obj.webhook_secret_env,
            now=timezone.now(),
        )


class OrderLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("description", "unit", "amount_minor", "currency", "status", "enrollment", "refund_id")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("reference", "tenant", "email", "amount_minor", "currency", "status", "created_at")
    list_filter = ("status", "tenant")
    search_fields = ("reference", "email", "checkout_session_id", "payment_intent_id")
    inlines = [OrderLineInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("stripe_id", "tenant", "type", "received_at", "applied_at", "attempts")
    list_filter = ("type", "tenant")
    search_fields = ("stripe_id",)
    readonly_fields = [f.name for f in StripeEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
