"""Staff console → Payments (tenant admins): the tenant's Stripe keys, shown masked, and the
webhook address to register with Stripe."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from payments import secrets
from payments.forms import StripeKeysForm
from payments.models import TenantStripeSettings
from payments.services.stripe_settings import stripe_settings_save
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page


@staff_page(tenant_admin=True)
def stripe_keys(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    stored = TenantStripeSettings.objects.filter(tenant=request.tenant).first()
    if request.method == "POST":
        form = StripeKeysForm(request.POST)
        if form.is_valid():
            stripe_settings_save(tenant=request.tenant, **form.cleaned_data)
            messages.success(request, _("Stripe keys saved."))
            return redirect("console-payments")
    else:
        form = StripeKeysForm(
            initial={
                "secret_key_env": stored.secret_key_env if stored else "",
                "webhook_secret_env": stored.webhook_secret_env if stored else "",
            }
        )
    context = {
        "access": access,
        "form": form,
        "secret_key": secrets.mask(secrets.secret_key(stored)) if stored else "",
        "webhook_secret": secrets.mask(secrets.webhook_secret(stored)) if stored else "",
        "webhook_url": request.build_absolute_uri(reverse("stripe-webhook")),
    }
    return render(request, "payments/console/stripe_keys.html", context)
