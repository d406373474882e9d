"""Every object the local server returns has the fields of Stripe's own example of it
(`../shared/stripe/fixtures3.json`, the examples stripe-mock answers with) with the same JSON
types, and no field the SDK does not know.

Where our value is null and Stripe's example is not, the SDK's type for that field must say it
is nullable (`Optional[...]`): the examples fill in fields that are often null (a charge's legacy
`source`, a session's `shipping_cost`). An id where the example has the expanded object is fine
when the SDK types the field as expandable. The remaining differences are listed in
`DIFFERENCES` with the reason.
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import stripe
from stripe.checkout import Session

from tests.stripe_local.support import create_session, invoice_with_items, item_of, paid_charge, raw

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "stripe" / "fixtures3.json"

# (resource, dotted path): why ours differs from Stripe's example.
DIFFERENCES = {
    ("event", "data.object"): "the example's object is a plan; each of ours is compared as its own type",
    ("invoice", "subscription"): "the example keeps the field the SDK's API version moved to parent",
    # The SDK types an invoice's `lines` as a bare ListObject, so nullability is lost down there;
    # the same lines are compared as `line_item`, where the SDK's types say these may be null.
    (
        "invoice",
        "lines.data[0].parent.invoice_item_details.proration_details.credited_items",
    ): "see line_item",
    ("invoice", "lines.data[0].parent.subscription_item_details"): "see line_item",
}

SDK_TYPES: dict[str, type[Any]] = {
    "checkout.session": Session,
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "balance_transaction": stripe.BalanceTransaction,
    "payout": stripe.Payout,
    "transfer": stripe.Transfer,
    "transfer_reversal": stripe.TransferReversal,
    "application_fee": stripe.ApplicationFee,
    "fee_refund": stripe.ApplicationFeeRefund,
    "event": stripe.Event,
    "balance": stripe.Balance,
    "item": stripe.LineItem,
    "customer": stripe.Customer,
    "invoiceitem": stripe.InvoiceItem,
    "invoice": stripe.Invoice,
    "line_item": stripe.InvoiceLineItem,
    "invoice_payment": stripe.InvoicePayment,
    "credit_note": stripe.CreditNote,
    "credit_note_line_item": stripe.CreditNoteLineItem,
}


@cache
def stripe_examples() -> dict[str, Any]:
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's examples are not at {FIXTURES} (CI keeps ../shared beside the clone)")
    examples: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return examples


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names[type(value)]


def _options(hint: Any) -> list[Any]:
    """The alternatives of a Union (one for anything else), forward references resolved."""
    options = (
        list(typing.get_args(hint)) if typing.get_origin(hint) in (typing.Union, types.UnionType) else [hint]
    )
    return [
        getattr(stripe, option.__forward_arg__, option) if isinstance(option, typing.ForwardRef) else option
        for option in options
    ]


def _annotation(sdk_type: Any, key: str) -> Any:
    for klass in getattr(sdk_type, "__mro__", ()):
        annotations = inspect.get_annotations(klass)
        if key in annotations:
            return annotations[key]
    return None


def _known(sdk_type: Any) -> set[str] | None:
    """The fields the SDK's class declares, or None when it is an untyped hash."""
    if not isinstance(sdk_type, type) or not issubclass(sdk_type, stripe.StripeObject):
        return None
    if sdk_type.__name__ == "UntypedStripeObject":
        return None
    known = {"object"}  # every object has it; the SDK keeps it as a class constant
    for klass in sdk_type.__mro__:
        known |= {k for k, v in inspect.get_annotations(klass).items() if "ClassVar" not in str(v)}
    return known


def _nested(hint: Any) -> Any:
    """The StripeObject class a hash field holds, or None."""
    for option in _options(hint):
        origin = typing.get_origin(option)
        if origin in (list, typing.List):  # noqa: UP006 - the SDK's annotations use typing.List
            return _nested(typing.get_args(option)[0])
        candidate = origin or option
        if isinstance(candidate, type) and issubclass(candidate, stripe.StripeObject):
            return candidate
    return None


def compare(resource: str, ours: Any, theirs: Any, sdk_type: Any, path: str = "") -> list[str]:
    problems: list[str] = []
    for key, their_value in theirs.items():
        where = f"{path}{key}"
        if (resource, where) in DIFFERENCES:
            continue
        if key not in ours:
            problems.append(f"{resource}.{where}: missing")
            continue
        our_value = ours[key]
        hint = _annotation(sdk_type, key)
        options = _options(hint)
        if our_value is None:
            if their_value is not None and type(None) not in options:
                problems.append(f"{resource}.{where}: null, but Stripe's is a {json_type(their_value)}")
            continue
        if their_value is None:
            continue
        if json_type(our_value) != json_type(their_value):
            expandable = str in options and isinstance(our_value, str) and isinstance(their_value, dict)
            if not expandable:
                ours_is, theirs_is = json_type(our_value), json_type(their_value)
                problems.append(f"{resource}.{where}: a {ours_is}, but Stripe's is a {theirs_is}")
            continue
        if isinstance(our_value, dict):
            problems += compare(resource, our_value, their_value, _nested(hint), f"{where}.")
        elif isinstance(our_value, list) and our_value and their_value and isinstance(their_value[0], dict):
            problems += compare(resource, our_value[0], their_value[0], _nested(hint), f"{where}[0].")
    known = _known(sdk_type)
    if known is not None:
        problems += [f"{resource}.{path}{key}: not a field of Stripe's" for key in ours if key not in known]
    return problems


@pytest.fixture
def everything(server, sdk, control):
    """One of each object, through the paths that make them."""
    unit = {"transfer_data": {"destination": "acct_1Unit"}, "application_fee_amount": 500}
    charge = paid_charge(server, sdk, 4900, payment_intent_data=unit, metadata={"order": "1"})
    refund = sdk.v1.refunds.create(
        params={"charge": charge.id, "amount": 1000, "reverse_transfer": True, "refund_application_fee": True}
    )
    declined = create_session(sdk)
    failed_charge = control.pay(declined.id, "4000000000000002")["charge"]["id"]
    control.advance_clock(2 * 86_400)
    payout = control.trigger_payout()
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    event = sdk.v1.events.list(params={"type": "checkout.session.completed"}).data[0]
    draft = invoice_with_items(sdk, [4900])
    invoice = sdk.v1.invoices.finalize_invoice(invoice_with_items(sdk, [4900, 1000]).id)
    control.pay_invoice(invoice.id)
    (payment,) = sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    credit_lines: Any = [
        {"type": "invoice_line_item", "invoice_line_item": invoice.lines.data[0].id, "amount": 1000},
        {"type": "custom_line_item", "unit_amount": 500, "description": "Service credit"},
    ]
    note = sdk.v1.credit_notes.create(
        params={"invoice": invoice.id, "lines": credit_lines, "refund_amount": 1500}
    )
    buyer = sdk.v1.customers.create(params={"email": "buyer@example.com"})
    invoicing: Any = {
        "enabled": True,
        "invoice_data": {"footer": "Thanks", "custom_fields": [{"name": "PO", "value": "7"}]},
    }
    invoiced = create_session(sdk, customer=buyer.id, invoice_creation=invoicing)
    control.pay(invoiced.id)
    post_payment = sdk.v1.checkout.sessions.retrieve(invoiced.id).invoice
    return {
        "checkout.session": [
            f"/v1/checkout/sessions/{event.data.object.id}",
            f"/v1/checkout/sessions/{declined.id}",
            f"/v1/checkout/sessions/{invoiced.id}",
        ],
        "payment_intent": [f"/v1/payment_intents/{charge.payment_intent}"],
        "charge": [f"/v1/charges/{charge.id}", f"/v1/charges/{failed_charge}"],
        "refund": [f"/v1/refunds/{refund.id}"],
        "balance_transaction": [f"/v1/balance_transactions/{charge.balance_transaction}"],
        "payout": [f"/v1/payouts/{payout['id']}"],
        "transfer": [f"/v1/transfers/{charge.transfer}"],
        "transfer_reversal": [f"/v1/transfers/{charge.transfer}/reversals/{refund.transfer_reversal}"],
        "application_fee": [f"/v1/application_fees/{fee.id}"],
        "fee_refund": [f"/v1/application_fees/{fee.id}/refunds/{fee.refunds.data[0].id}"],
        "event": [f"/v1/events/{event.id}"],
        "balance": ["/v1/balance"],
        "item": [f"/v1/checkout/sessions/{declined.id}/line_items"],
        "customer": [f"/v1/customers/{invoice.customer}"],
        "invoiceitem": [f"/v1/invoiceitems/{item_of(draft.lines.data[0])}"],
        "invoice": [f"/v1/invoices/{draft.id}", f"/v1/invoices/{invoice.id}", f"/v1/invoices/{post_payment}"],
        "line_item": [f"/v1/invoices/{invoice.id}/lines"],
        "invoice_payment": [f"/v1/invoice_payments/{payment.id}"],
        "credit_note": [f"/v1/credit_notes/{note.id}"],
        "credit_note_line_item": [f"/v1/credit_notes/{note.id}/lines"],
    }


@pytest.mark.parametrize("resource", sorted(SDK_TYPES))
def test_objects_have_stripes_fields_and_types(server, everything, resource):
    problems = []
    for path in everything[resource]:
        status, ours = raw(server, path)
        assert status == 200, (path, ours)
        if ours.get("object") == "list":
            ours = ours["data"][0]
        problems += compare(resource, ours, stripe_examples()[resource], SDK_TYPES[resource])
    assert problems == []


def test_lists_have_stripes_list_shape(server, everything):
    status, listed = raw(server, "/v1/charges?limit=1")
    assert status == 200
    assert set(listed) == {"object", "data", "has_more", "url"}
    assert (listed["object"], listed["url"], listed["has_more"]) == ("list", "/v1/charges", True)


def test_errors_have_stripes_error_shape(server):
    status, body = raw(server, "/v1/charges/ch_missing")
    assert status == 404
    assert body == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "doc_url": "https://docs.stripe.com/error-codes#resource-missing",
            "message": "No such charge: 'ch_missing'",
            "param": "id",
        }
    }
