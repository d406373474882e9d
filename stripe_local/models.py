"""The state the local server keeps: compact records, rendered into Stripe's JSON on the way out
(see each resource module's `render_*`). Compact, because the ledger tests page through
hundreds of thousands of balance transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ChargeTerms:
    """What a payment intent (or a checkout session's `payment_intent_data`) says about the
    charge it will make: description, metadata, and Connect routing."""

    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    transfer_destination: str | None = None
    transfer_amount: int | None = None
    application_fee_amount: int | None = None
    transfer_group: str | None = None
    on_behalf_of: str | None = None
    receipt_email: str | None = None
    statement_descriptor_suffix: str | None = None
    customer: str | None = None  # the intent's and its charges' `customer`


@dataclass(slots=True)
class Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    country: str
    fingerprint: str


@dataclass(slots=True)
class LineItem:
    id: str
    description: str
    unit_amount: int
    quantity: int
    price_id: str
    product_id: str
    created: int

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(slots=True)
class InvoiceData:
    """A session's `invoice_creation[invoice_data]`: what its post-payment invoice will say."""

    description: str | None = None
    footer: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    custom_fields: list[dict[str, str]] | None = None


@dataclass(slots=True)
class CheckoutSession:
    id: str
    created: int
    expires_at: int
    currency: str
    amount_total: int
    line_items: list[LineItem]
    success_url: str
    cancel_url: str | None
    client_reference_id: str | None
    customer_email: str | None
    metadata: dict[str, str]
    terms: ChargeTerms
    locale: str | None
    submit_type: str | None
    payment_method_types: list[str]
    status: str = "open"
    payment_status: str = "unpaid"
    payment_intent: str | None = None
    customer_name: str | None = None
    paid_email: str | None = None
    customer: str | None = None  # given at creation, or made at payment for its invoice
    customer_given: bool = False  # `customer` was a create parameter (else shown once complete)
    invoice_creation: InvoiceData | None = None  # None: invoice_creation not enabled
    invoice: str | None = None  # the post-payment invoice, once the payment succeeded


@dataclass(slots=True)
class PaymentIntent:
    id: str
    created: int
    amount: int
    currency: str
    terms: ChargeTerms
    client_secret: str
    payment_method_types: list[str]
    status: str = "requires_payment_method"
    latest_charge: str | None = None
    payment_method: str | None = None
    last_payment_error: dict[str, Any] | None = None
    amount_received: int = 0
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    checkout_session: str | None = None


@dataclass(slots=True)
class Charge:
    id: str
    created: int
    amount: int
    currency: str
    status: str
    card: Card | None  # None for a bank debit (SEPA test IBANs), then `bank_last4` is set
    payment_method: str
    payment_intent: str | None
    terms: ChargeTerms
    bank_last4: str | None = None
    billing_name: str | None = None
    billing_email: str | None = None
    decline_code: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    balance_transaction: str | None = None
    amount_refunded: int = 0
    transfer: str | None = None
    application_fee: str | None = None
    # How refunds of this charge end: None (they succeed) or a failure_reason (they fail later).
    refund_failure: str | None = None

    @property
    def paid(self) -> bool:
        return self.status == "succeeded"


@dataclass(slots=True)
class Refund:
    id: str
    created: int
    amount: int
    currency: str
    charge: str
    payment_intent: str | None
    reason: str | None
    metadata: dict[str, str]
    status: str
    balance_transaction: str | None = None
    failure_reason: str | None = None
    failure_balance_transaction: str | None = None
    transfer_reversal: str | None = None
    fee_refund: str | None = None
    fails_with: str | None = None  # a failure_reason it will fail with later


@dataclass(slots=True)
class BalanceTransaction:
    id: str
    created: int
    available_on: int
    amount: int
    fee: int
    currency: str
    type: str
    reporting_category: str
    source: str | None
    description: str | None
    status: str
    payout: str | None = None  # the automatic payout that swept it; not a field of Stripe's object

    @property
    def net(self) -> int:
        return self.amount - self.fee


@dataclass(slots=True)
class Payout:
    id: str
    created: int
    amount: int
    currency: str
    arrival_date: int
    automatic: bool
    status: str
    reconciliation_status: str
    destination: str
    metadata: dict[str, str]
    description: str | None
    statement_descriptor: str | None
    balance_transaction: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    failure_balance_transaction: str | None = None
    fails_with: str | None = None


@dataclass(slots=True)
class Transfer:
    id: str
    created: int
    amount: int
    currency: str
    destination: str
    destination_payment: str
    metadata: dict[str, str]
    description: str | None
    source_transaction: str | None
    transfer_group: str | None
    balance_transaction: str | None = None
    amount_reversed: int = 0


@dataclass(slots=True)
class TransferReversal:
    id: str
    created: int
    amount: int
    currency: str
    transfer: str
    metadata: dict[str, str]
    source_refund: str | None
    destination_payment_refund: str
    balance_transaction: str | None = None


@dataclass(slots=True)
class ApplicationFee:
    id: str
    created: int
    amount: int
    currency: str
    account: str
    charge: str
    balance_transaction: str | None = None
    amount_refunded: int = 0


@dataclass(slots=True)
class FeeRefund:
    id: str
    created: int
    amount: int
    currency: str
    fee: str
    metadata: dict[str, str]
    balance_transaction: str | None = None


@dataclass(slots=True)
class Event:
    id: str
    created: int
    type: str
    data: dict[str, Any]
    previous_attributes: dict[str, Any] | None
    request_id: str | None
    idempotency_key: str | None
    api_version: str
    pending_webhooks: int = 0


@dataclass(slots=True)
class Customer:
    id: str
    created: int
    email: str | None
    name: str | None
    description: str | None
    phone: str | None
    metadata: dict[str, str]
    invoice_prefix: str
    preferred_locales: list[str]
    address: dict[str, str | None] | None = None
    currency: str | None = None  # set by its first invoice item, as Stripe's is
    next_invoice_sequence: int = 1
    balance: int = 0  # negative: credit (from credit notes' credit_amount) the customer holds


@dataclass(slots=True)
class InvoiceItem:
    """A pending charge to a customer (`invoice` None) or a line of a draft or finalized invoice.
    `amount` = `unit_amount` × `quantity`; `line_id` is the id of its invoice line."""

    id: str
    created: int
    customer: str
    currency: str
    unit_amount: int
    quantity: int
    description: str | None
    metadata: dict[str, str]
    price_id: str
    product_id: str
    line_id: str
    period_start: int
    period_end: int
    discountable: bool = True
    invoice: str | None = None
    deleted: bool = False

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(slots=True)
class Invoice:
    id: str
    created: int
    customer: str
    currency: str
    collection_method: str
    days_until_due: int | None
    due_date: int | None
    auto_advance: bool
    description: str | None
    footer: str | None
    metadata: dict[str, str]
    hosted_token: str  # the unguessable part of hosted_invoice_url and invoice_pdf
    items: list[str] = field(default_factory=list)  # invoice item ids, in the order added
    status: str = "draft"
    number: str | None = None
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    amount_paid: int = 0
    amount_paid_off_stripe: int = 0
    attempt_count: int = 0
    attempted: bool = False
    payment_intent: str | None = None  # of the hosted page's (or `pay`'s) card attempts
    customer_email: str | None = None  # the customer's details, frozen at finalization
    customer_name: str | None = None
    customer_phone: str | None = None
    sent_count: int = 0
    overdue: bool = False  # invoice.overdue was sent
    custom_fields: list[dict[str, str]] | None = None  # [{"name", "value"}], from a checkout session


@dataclass(slots=True)
class InvoicePayment:
    id: str
    created: int
    invoice: str
    currency: str
    amount_requested: int
    amount_paid: int | None
    payment_intent: str
    status: str
    paid_at: int | None = None


@dataclass(slots=True)
class CreditNoteLine:
    """`invoice_line_item` (an invoice line's id, `unit_amount` None) or `custom_line_item`."""

    id: str
    type: str
    amount: int
    quantity: int
    description: str | None
    invoice_line_item: str | None = None
    unit_amount: int | None = None


@dataclass(slots=True)
class CreditNote:
    """`amount` = `pre_payment_amount` (taken off an open invoice's amount due) +
    `post_payment_amount` (of a paid one: `refund_amount` + `credit_amount` +
    `out_of_band_amount`). `refunds` are the ids of the refunds it made."""

    id: str
    created: int
    invoice: str
    customer: str
    currency: str
    number: str
    amount: int
    type: str
    pre_payment_amount: int
    post_payment_amount: int
    lines: list[CreditNoteLine]
    credit_amount: int
    out_of_band_amount: int | None
    reason: str | None
    memo: str | None
    metadata: dict[str, str]
    refunds: list[str] = field(default_factory=list)
    status: str = "issued"
    voided_at: int | None = None
