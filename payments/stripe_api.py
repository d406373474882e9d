"""The one door to Stripe: a `StripeClient` per tenant, and every call payments makes, with
idempotency keys from our own rows and Stripe's errors mapped to ours.

Retryable (connection, timeout, 5xx, 429) → PaymentUnavailable (a job backs off and retries; a
page says "try again in a minute"); any other error of Stripe's is a refusal → StripeRefused,
with Stripe's reason and code. No module of payments but this one imports `stripe`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from payments import secrets
from payments.errors import PaymentUnavailable, StripeNotConfigured, WebhookRefused
from payments.models import TenantStripeSettings
from tenants.models import Tenant

RETRYABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)
T = TypeVar("T")


class StripeRefused(Exception):
    """Stripe refused the request for good (a declined refund, a revoked key, a parameter)."""

    def __init__(self, exc: stripe.StripeError) -> None:
        self.code = str(getattr(exc, "code", None) or "")
        self.reason = exc.user_message or str(exc) or type(exc).__name__
        self.invalid_request = isinstance(exc, stripe.InvalidRequestError)
        super().__init__(f"{self.reason} ({self.code})" if self.code else self.reason)


def stripe_client_for(tenant: Tenant) -> stripe.StripeClient:
    """The tenant's own Stripe: retries 2, a short timeout, the local Stripe when
    settings.STRIPE_API_BASE is set (dev and tests)."""
    found = TenantStripeSettings.objects.filter(tenant=tenant).first()
    key = secrets.secret_key(found) if found else ""
    if not key:
        raise StripeNotConfigured(
            _("%(name)s takes no payments yet: its Stripe keys are not set.") % {"name": tenant.name}
        )
    base = settings.STRIPE_API_BASES.get(tenant.slug) or settings.STRIPE_API_BASE
    kwargs: dict[str, Any] = {}
    if base:
        kwargs["base_addresses"] = {"api": base}
    return stripe.StripeClient(
        key,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        **kwargs,
    )


def webhook_secret_for(tenant: Tenant) -> str:
    found = TenantStripeSettings.objects.filter(tenant=tenant).first()
    return secrets.webhook_secret(found) if found else ""


def unavailable() -> PaymentUnavailable:
    return PaymentUnavailable(
        _("The payment service did not answer just now. Nothing was charged; please try again in a minute.")
    )


def _call(tenant: Tenant, call: Callable[[stripe.StripeClient], T]) -> T:
    client = stripe_client_for(tenant)
    try:
        return call(client)
    except RETRYABLE as exc:
        raise unavailable() from exc
    except stripe.StripeError as exc:
        raise StripeRefused(exc) from exc


def _expand(expand: Iterable[str]) -> dict[str, Any]:
    fields = list(expand)
    return {"expand": fields} if fields else {}


# ------------------------------------------------------------------------------------ webhooks


def event_verify(*, payload: bytes, signature: str, secret: str) -> dict[str, Any]:
    """The event in a webhook body, if its signature is this secret's (Stripe's scheme, 300 s
    tolerance); WebhookRefused otherwise."""
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret, tolerance=300)
        event: Any = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise WebhookRefused("The signature does not match this body.") from exc
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
    ):
        raise WebhookRefused("Not a Stripe event.")
    return event


# ------------------------------------------------------------------------------------ checkout


def checkout_session_create(*, tenant: Tenant, params: dict[str, Any], key: str) -> stripe.checkout.Session:
    return _call(
        tenant,
        lambda c: c.v1.checkout.sessions.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    )


def checkout_session_retrieve(*, tenant: Tenant, session_id: str) -> dict[str, Any]:
    session = _call(tenant, lambda c: c.v1.checkout.sessions.retrieve(session_id))
    return json.loads(json.dumps(session.to_dict(), default=str))  # type: ignore[no-any-return]


def checkout_session_close(*, tenant: Tenant, session_id: str, key: str) -> str:
    """Expire an open Checkout Session so it can never be paid. Returns the session's status
    afterwards: "expired", or "complete" when it was paid first (Stripe refuses to expire it)."""
    try:
        _call(tenant, lambda c: c.v1.checkout.sessions.expire(session_id, options={"idempotency_key": key}))
    except StripeRefused as refused:
        if not refused.invalid_request:
            raise
        session = _call(tenant, lambda c: c.v1.checkout.sessions.retrieve(session_id))
        return str(session.status or "")
    return "expired"


# ---------------------------------------------------------------------------- charges, payouts


def payment_intent_retrieve(*, tenant: Tenant, intent_id: str) -> stripe.PaymentIntent:
    return _call(tenant, lambda c: c.v1.payment_intents.retrieve(intent_id))


def charge_retrieve(*, tenant: Tenant, charge_id: str, expand: Iterable[str] = ()) -> stripe.Charge:
    params = _expand(expand)
    return _call(tenant, lambda c: c.v1.charges.retrieve(charge_id, params=params))  # type: ignore[arg-type]


def charge_of(*, tenant: Tenant, charge_id: str, payment_intent_id: str) -> dict[str, Any] | None:
    """The order's charge (found through its payment intent when only that is known), or None."""
    if not charge_id and payment_intent_id:
        intent = payment_intent_retrieve(tenant=tenant, intent_id=payment_intent_id).to_dict()
        latest = intent.get("latest_charge")
        charge_id = latest.get("id", "") if isinstance(latest, dict) else str(latest or "")
    if not charge_id:
        return None
    return charge_retrieve(tenant=tenant, charge_id=charge_id).to_dict()


def transfer_create(*, tenant: Tenant, params: dict[str, Any], key: str) -> stripe.Transfer:
    return _call(
        tenant,
        lambda c: c.v1.transfers.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    )


def transfer_find(*, tenant: Tenant, transfer_group: str, destination: str) -> stripe.Transfer | None:
    """The transfer of this group to this connected account, if any."""
    params = {"transfer_group": transfer_group, "destination": destination}
    found = _call(tenant, lambda c: c.v1.transfers.list(params=params))  # type: ignore[arg-type]
    return next(iter(found.data), None)


def transfer_reversal_create(*, tenant: Tenant, transfer_id: str, params: dict[str, Any], key: str) -> Any:
    return _call(
        tenant,
        lambda c: c.v1.transfers.reversals.create(
            transfer_id,
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": key},
        ),
    )


# ------------------------------------------------------------------------------------- refunds


def refund_create(*, tenant: Tenant, params: dict[str, Any], key: str) -> dict[str, Any]:
    return _call(
        tenant,
        lambda c: c.v1.refunds.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    ).to_dict()


def refund_retrieve(*, tenant: Tenant, refund_id: str, expand: Iterable[str] = ()) -> stripe.Refund:
    params = _expand(expand)
    return _call(tenant, lambda c: c.v1.refunds.retrieve(refund_id, params=params))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- invoicing
# Stripe Invoicing for employer-sponsored seat pools: a customer per employer, invoice items on a
# draft `collection_method=send_invoice` invoice, finalized (number, due date, hosted page, PDF),
# voided when the agreement ends unpaid. Paid / overdue / void arrive as webhooks.


def customer_create(
    *, tenant: Tenant, email: str, name: str, metadata: dict[str, str], key: str
) -> stripe.Customer:
    params = {"email": email, "name": name, "metadata": metadata}
    return _call(
        tenant,
        lambda c: c.v1.customers.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    )


def invoice_create(
    *,
    tenant: Tenant,
    customer_id: str,
    currency: str,
    days_until_due: int,
    metadata: dict[str, str],
    key: str,
    description: str = "",
    footer: str = "",
) -> stripe.Invoice:
    """A draft invoice the employer pays by bank transfer or on its hosted page: nothing is charged
    automatically, no pending items are swept in, nothing advances until we finalize it."""
    params: dict[str, Any] = {
        "customer": customer_id,
        "currency": currency,
        "collection_method": "send_invoice",
        "days_until_due": days_until_due,
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
        "metadata": metadata,
    }
    if description:
        params["description"] = description
    if footer:
        params["footer"] = footer
    return _call(
        tenant,
        lambda c: c.v1.invoices.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    )


def invoice_item_create(
    *,
    tenant: Tenant,
    customer_id: str,
    invoice_id: str,
    currency: str,
    unit_amount: int,
    quantity: int,
    description: str,
    metadata: dict[str, str],
    key: str,
    product: str = "prod_microcred_seats",
) -> stripe.InvoiceItem:
    """One line of a draft invoice: `quantity` × `unit_amount` minor units of `currency`."""
    params = {
        "customer": customer_id,
        "invoice": invoice_id,
        "price_data": {"currency": currency, "product": product, "unit_amount": unit_amount},
        "quantity": quantity,
        "description": description,
        "metadata": metadata,
    }
    return _call(
        tenant,
        lambda c: c.v1.invoice_items.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    )


def invoice_finalize(*, tenant: Tenant, invoice_id: str, key: str) -> stripe.Invoice:
    """Draft → open: Stripe numbers it, sets `due_date`, `hosted_invoice_url` and `invoice_pdf`.
    An invoice that is no longer a draft (finalized by an earlier try whose answer was lost) is
    returned as it is rather than refused."""
    try:
        return _call(
            tenant,
            lambda c: c.v1.invoices.finalize_invoice(
                invoice_id, params={"auto_advance": False}, options={"idempotency_key": key}
            ),
        )
    except StripeRefused as refused:
        if refused.code != "invoice_not_editable":
            raise
        return invoice_retrieve(tenant=tenant, invoice_id=invoice_id)


def invoice_void(*, tenant: Tenant, invoice_id: str, key: str) -> stripe.Invoice:
    """Open or uncollectible → void (it can no longer be paid). StripeRefused when it is already
    paid, void or a draft: the caller reads the invoice to see which."""
    return _call(tenant, lambda c: c.v1.invoices.void_invoice(invoice_id, options={"idempotency_key": key}))


def invoice_retrieve(*, tenant: Tenant, invoice_id: str) -> stripe.Invoice:
    return _call(tenant, lambda c: c.v1.invoices.retrieve(invoice_id))


def invoice_send(*, tenant: Tenant, invoice_id: str, key: str) -> stripe.Invoice:
    """E-mail a finalized invoice to its customer (Stripe's own invoice e-mail)."""
    return _call(tenant, lambda c: c.v1.invoices.send_invoice(invoice_id, options={"idempotency_key": key}))


def invoice_payments_list(*, tenant: Tenant, invoice_id: str) -> list[dict[str, Any]]:
    """The card payments of an invoice (one invoice payment each); none for one paid out of band."""
    params = {"invoice": invoice_id}
    found = _call(tenant, lambda c: c.v1.invoice_payments.list(params=params))  # type: ignore[arg-type]
    return [payment.to_dict() for payment in found.data]


def credit_note_create(
    *,
    tenant: Tenant,
    invoice_id: str,
    amount: int,
    refund_amount: int = 0,
    out_of_band_amount: int = 0,
    memo: str = "",
    metadata: dict[str, str],
    key: str,
) -> dict[str, Any]:
    """Credit part of a finalized invoice: on an open one it lowers what is due; on a paid one
    `refund_amount` goes back to the card (a refund of its charge) and `out_of_band_amount` is
    paid back outside Stripe. Returns the credit note as plain JSON."""
    params: dict[str, Any] = {"invoice": invoice_id, "amount": amount, "metadata": metadata}
    if refund_amount:
        params["refund_amount"] = refund_amount
    if out_of_band_amount:
        params["out_of_band_amount"] = out_of_band_amount
    if memo:
        params["memo"] = memo
    note = _call(
        tenant,
        lambda c: c.v1.credit_notes.create(params=params, options={"idempotency_key": key}),  # type: ignore[arg-type]
    )
    return json.loads(json.dumps(note.to_dict(), default=str))  # type: ignore[no-any-return]
