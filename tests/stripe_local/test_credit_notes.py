"""Credit notes through the real SDK: pre-payment ones lower an open invoice's amount due (and
pay it when nothing is left), post-payment ones refund, credit the customer or record an
out-of-band credit on a paid one; the errors Stripe gives; list, lines, retrieve, void; and the
webhooks they send."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import stripe

import stripe_local
from tests.stripe_local.support import invoice_with_items, raw
from tests.stripe_local.test_checkout_page import fetch
from tests.stripe_local.test_invoices import finalized, verified_types

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "stripe" / "fixtures3.json"


def paid_by_card(sdk: stripe.StripeClient, amounts: list[int]) -> stripe.Invoice:
    invoice = finalized(sdk, amounts)
    return sdk.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})


def charge_of(sdk: stripe.StripeClient, invoice: stripe.Invoice) -> stripe.Charge:
    (payment,) = sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    intent = sdk.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    return sdk.v1.charges.retrieve(str(intent.latest_charge))


def error_of(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


def create(sdk: stripe.StripeClient, **params: Any) -> stripe.CreditNote:
    return sdk.v1.credit_notes.create(params=params)  # type: ignore[arg-type]


# Pre-payment -------------------------------------------------------------------------------------


def test_a_pre_payment_credit_note_lowers_the_amount_due(sdk, control, receiver):
    invoice = finalized(sdk, [4900, 1000])
    note = create(sdk, invoice=invoice.id, amount=1500, reason="order_change", memo="One seat fewer")
    assert (note.object, note.status, note.type, note.amount, note.total) == (
        "credit_note",
        "issued",
        "pre_payment",
        1500,
        1500,
    )
    assert (note.pre_payment_amount, note.post_payment_amount, note.refunds) == (1500, 0, [])
    assert note.number == f"{invoice.number}-CN-01"
    assert (note.invoice, note.customer, note.currency, note.memo) == (
        invoice.id,
        invoice.customer,
        "usd",
        "One seat fewer",
    )
    after = sdk.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.total, after.amount_due, after.amount_remaining) == ("open", 5900, 4400, 4400)
    assert (after.pre_payment_credit_notes_amount, after.post_payment_credit_notes_amount) == (1500, 0)
    second = create(sdk, invoice=invoice.id, amount=400)
    assert second.number == f"{invoice.number}-CN-02"
    assert sdk.v1.invoices.retrieve(invoice.id).amount_due == 4000
    paid = sdk.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_paid) == ("paid", 4000)
    assert charge_of(sdk, paid).amount == 4000
    assert control.wait_for_webhooks()
    types = verified_types(receiver)
    assert types.count("credit_note.created") == 2
    updated = next(e for e in receiver.events() if e["type"] == "invoice.updated")
    assert updated["data"]["object"]["amount_due"] == 4400
    assert updated["data"]["previous_attributes"]["amount_due"] == 5900


def test_the_hosted_page_and_pdf_show_the_credit(sdk, server):
    invoice = finalized(sdk, [4900])
    note = create(sdk, invoice=invoice.id, amount=900)
    page = fetch(invoice.hosted_invoice_url).body
    assert f"Credit note {note.number}" in page
    assert "−9.00 USD" in page
    assert "Pay 40.00 USD" in page
    assert note.pdf == f"{invoice.hosted_invoice_url}/credit_notes/{note.id}/pdf"
    with urllib.request.urlopen(note.pdf, timeout=10) as answer:
        body = answer.read()
        assert answer.headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-1.4")
    assert body.rstrip().endswith(b"%%EOF")
    assert f"Credit note {note.number}".encode() in body
    with urllib.request.urlopen(f"{invoice.hosted_invoice_url}/pdf", timeout=10) as answer:
        assert f"Credit note {note.number}".encode() in answer.read()


def test_a_full_pre_payment_credit_pays_the_invoice_without_a_payment(sdk, control, receiver):
    invoice = finalized(sdk, [3000])
    create(sdk, invoice=invoice.id, amount=3000)
    after = sdk.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_due, after.amount_remaining, after.amount_paid) == ("paid", 0, 0, 0)
    assert after.status_transitions.paid_at == control.now()
    assert after.pre_payment_credit_notes_amount == 3000
    assert after.amount_paid_off_stripe == 0
    assert control.wait_for_webhooks()
    types = verified_types(receiver)
    assert types.index("credit_note.created") < types.index("invoice.updated") < types.index("invoice.paid")
    assert "invoice.payment_succeeded" not in types
    paid = next(e for e in receiver.events() if e["type"] == "invoice.paid")["data"]["object"]
    assert (paid["id"], paid["status"]) == (invoice.id, "paid")
    nothing_left = error_of(lambda: create(sdk, invoice=invoice.id, amount=1))
    assert (nothing_left.http_status, nothing_left.param) == (400, "amount")


def test_lines_credit_invoice_lines_and_custom_amounts(sdk):
    invoice = invoice_with_items(sdk, [])
    customer = str(invoice.customer)
    sdk.v1.invoice_items.create(
        params={
            "customer": customer,
            "invoice": invoice.id,
            "price_data": {"currency": "usd", "product": "prod_seat", "unit_amount": 2000},
            "quantity": 3,
            "description": "Seats",
        }
    )
    invoice = sdk.v1.invoices.finalize_invoice(invoice.id)
    line = invoice.lines.data[0].id
    note = create(
        sdk,
        invoice=invoice.id,
        lines=[
            {"type": "invoice_line_item", "invoice_line_item": line, "quantity": 1},
            {"type": "custom_line_item", "unit_amount": 500, "quantity": 2, "description": "Goodwill"},
        ],
    )
    assert note.amount == 3000
    first, second = note.lines.data
    assert (first.type, first.invoice_line_item, first.quantity, first.amount, first.description) == (
        "invoice_line_item",
        line,
        1,
        2000,
        "Seats",
    )
    assert (second.type, second.unit_amount, second.quantity, second.amount) == (
        "custom_line_item",
        500,
        2,
        1000,
    )
    listed = sdk.v1.credit_notes.line_items.list(note.id)
    assert [item.id for item in listed.data] == [first.id, second.id]
    page = sdk.v1.credit_notes.line_items.list(note.id, params={"limit": 1})
    assert ([item.id for item in page.data], page.has_more) == ([first.id], True)
    assert sdk.v1.invoices.retrieve(invoice.id).amount_due == 3000
    too_many = error_of(
        lambda: create(
            sdk,
            invoice=invoice.id,
            lines=[{"type": "invoice_line_item", "invoice_line_item": line, "quantity": 4}],
        )
    )
    assert too_many.param == "lines[0][quantity]"
    rest_of_line: Any = [{"type": "invoice_line_item", "invoice_line_item": line, "amount": 4001}]
    over = error_of(lambda: create(sdk, invoice=invoice.id, lines=rest_of_line))
    assert (over.param, "(40.00 USD)" in str(over.user_message)) == ("lines[0][amount]", True)


# Post-payment ------------------------------------------------------------------------------------


def test_a_post_payment_refund_amount_refunds_the_invoices_charge(sdk, control, receiver):
    invoice = paid_by_card(sdk, [4900])
    charge = charge_of(sdk, invoice)
    note = create(sdk, invoice=invoice.id, amount=1900, refund_amount=1900, reason="product_unsatisfactory")
    assert (note.type, note.pre_payment_amount, note.post_payment_amount) == ("post_payment", 0, 1900)
    (entry,) = note.refunds
    assert (entry.amount_refunded, entry.type) == (1900, "refund")
    expanded = sdk.v1.credit_notes.retrieve(note.id, params={"expand": ["refunds.refund"]})
    assert isinstance(expanded.refunds[0].refund, stripe.Refund)
    assert expanded.refunds[0].refund.id == entry.refund
    refund = sdk.v1.refunds.retrieve(str(entry.refund))
    assert (refund.amount, refund.charge, refund.status) == (1900, charge.id, "succeeded")
    assert sdk.v1.balance_transactions.retrieve(str(refund.balance_transaction)).amount == -1900
    assert sdk.v1.charges.retrieve(charge.id).amount_refunded == 1900
    after = sdk.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_paid, after.amount_due, after.amount_remaining) == (
        "paid",
        4900,
        4900,
        0,
    )
    assert (after.pre_payment_credit_notes_amount, after.post_payment_credit_notes_amount) == (0, 1900)
    assert control.wait_for_webhooks()
    types = verified_types(receiver)
    assert {"refund.created", "charge.refunded", "credit_note.created", "invoice.updated"} <= set(types)
    too_much = error_of(lambda: create(sdk, invoice=invoice.id, amount=3001, refund_amount=3001))
    assert too_much.param == "amount"  # more than remains creditable (4900 - 1900)
    rest = create(sdk, invoice=invoice.id, amount=3000, refund_amount=3000)
    assert rest.number == f"{invoice.number}-CN-02"
    assert sdk.v1.charges.retrieve(charge.id).amount_refunded == 4900


def test_refund_amount_is_limited_to_what_the_charge_has_left(sdk):
    invoice = paid_by_card(sdk, [5000])
    charge = charge_of(sdk, invoice)
    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 4000})
    refused = error_of(lambda: create(sdk, invoice=invoice.id, amount=2000, refund_amount=2000))
    assert (refused.http_status, refused.param, refused.code) == (400, "refund_amount", "amount_too_large")
    assert sdk.v1.credit_notes.list(params={"invoice": invoice.id}).data == []


def test_credit_and_out_of_band_amounts(sdk, control, receiver):
    invoice = paid_by_card(sdk, [6000])
    note = create(sdk, invoice=invoice.id, amount=3000, credit_amount=1000, out_of_band_amount=2000)
    assert (note.out_of_band_amount, note.refunds) == (2000, [])
    customer = sdk.v1.customers.retrieve(str(invoice.customer))
    assert customer.balance == -1000
    assert sdk.v1.invoices.retrieve(invoice.id).post_payment_credit_notes_amount == 3000
    refused = error_of(lambda: sdk.v1.credit_notes.void_credit_note(note.id))
    assert "only void a credit note while its invoice is open" in str(refused.user_message)
    assert control.wait_for_webhooks()
    updated = [e for e in receiver.events() if e["type"] == "customer.updated"]
    assert [e["data"]["previous_attributes"] for e in updated] == [{"balance": 0}]


def test_sums_that_do_not_add_up_are_refused_naming_the_param(sdk):
    invoice = paid_by_card(sdk, [5000])
    short = error_of(lambda: create(sdk, invoice=invoice.id, amount=3000, refund_amount=1000))
    assert (short.http_status, short.param) == (400, "out_of_band_amount")
    assert "The sum of refund_amount, credit_amount and out_of_band_amount (10.00 USD)" in str(
        short.user_message
    )
    over = error_of(
        lambda: create(sdk, invoice=invoice.id, amount=1000, refund_amount=800, credit_amount=500)
    )
    assert over.param == "refund_amount"
    nothing = error_of(lambda: create(sdk, invoice=invoice.id, amount=1000))
    assert nothing.param == "out_of_band_amount"
    assert sdk.v1.credit_notes.list(params={"invoice": invoice.id}).data == []
    assert charge_of(sdk, invoice).amount_refunded == 0


def test_refund_params_on_an_open_invoice_are_refused(sdk):
    invoice = finalized(sdk, [5000])
    for key in ("refund_amount", "credit_amount", "out_of_band_amount"):
        refused = error_of(lambda key=key: create(sdk, invoice=invoice.id, amount=1000, **{key: 1000}))
        assert (refused.http_status, refused.param) == (400, key)
        assert "can only be set on a credit note for a paid invoice" in str(refused.user_message)


# Refusals ----------------------------------------------------------------------------------------


def test_a_draft_or_void_invoice_is_refused(sdk):
    draft = invoice_with_items(sdk, [1000])
    refused = error_of(lambda: create(sdk, invoice=draft.id, amount=100))
    assert (refused.http_status, refused.param) == (400, "invoice")
    assert "This invoice is draft" in str(refused.user_message)
    voided = sdk.v1.invoices.void_invoice(finalized(sdk, [1000]).id)
    refused = error_of(lambda: create(sdk, invoice=voided.id, amount=100))
    assert (refused.param, "This invoice is void" in str(refused.user_message)) == ("invoice", True)
    missing = error_of(lambda: create(sdk, invoice="in_missing", amount=100))
    assert (missing.http_status, missing.code, missing.param) == (404, "resource_missing", "invoice")


def test_amounts_must_be_positive_and_within_what_is_creditable(sdk):
    invoice = finalized(sdk, [2000])
    assert error_of(lambda: create(sdk, invoice=invoice.id, amount=0)).param == "amount"
    assert error_of(lambda: create(sdk, invoice=invoice.id, amount=2001)).param == "amount"
    neither = error_of(lambda: create(sdk, invoice=invoice.id))
    assert (neither.param, neither.code) == ("amount", "parameter_missing")
    both = error_of(
        lambda: create(
            sdk,
            invoice=invoice.id,
            amount=100,
            lines=[{"type": "custom_line_item", "unit_amount": 100, "description": "x"}],
        )
    )
    assert both.code == "parameters_exclusive"
    assert error_of(lambda: create(sdk, invoice=invoice.id, amount=100, reason="bored")).param == "reason"
    create(sdk, invoice=invoice.id, amount=1500)
    assert "(5.00 USD)" in str(error_of(lambda: create(sdk, invoice=invoice.id, amount=501)).user_message)


def test_an_idempotency_key_replays_the_same_credit_note(sdk):
    invoice = finalized(sdk, [5000])
    params: Any = {"invoice": invoice.id, "amount": 1000}
    first = sdk.v1.credit_notes.create(params=params, options={"idempotency_key": "cn:1"})
    second = sdk.v1.credit_notes.create(params=params, options={"idempotency_key": "cn:1"})
    assert first.id == second.id
    assert len(sdk.v1.credit_notes.list(params={"invoice": invoice.id}).data) == 1
    assert sdk.v1.invoices.retrieve(invoice.id).amount_due == 4000
    created = sdk.v1.events.list(params={"type": "credit_note.created"}).data
    assert [e.data.object.id for e in created] == [first.id]


# Reading and voiding -----------------------------------------------------------------------------


def test_list_retrieve_filter_page_and_update(sdk):
    one = finalized(sdk, [5000])
    other = finalized(sdk, [5000], email="other@employer.test")
    a = create(sdk, invoice=one.id, amount=100)
    b = create(sdk, invoice=one.id, amount=200, metadata={"pool": "7"})
    c = create(sdk, invoice=other.id, amount=300)
    assert [n.id for n in sdk.v1.credit_notes.list().data] == [c.id, b.id, a.id]
    assert [n.id for n in sdk.v1.credit_notes.list(params={"invoice": one.id}).data] == [b.id, a.id]
    assert [n.id for n in sdk.v1.credit_notes.list(params={"customer": str(other.customer)}).data] == [c.id]
    page = sdk.v1.credit_notes.list(params={"limit": 1, "starting_after": c.id})
    assert ([n.id for n in page.data], page.has_more) == ([b.id], True)
    assert [n.id for n in sdk.v1.credit_notes.list(params={"invoice": one.id}).auto_paging_iter()] == [
        b.id,
        a.id,
    ]
    got = sdk.v1.credit_notes.retrieve(b.id)
    assert (got.amount, got.metadata.to_dict()) == (200, {"pool": "7"})
    assert sdk.v1.credit_notes.update(a.id, params={"memo": "Typo"}).memo == "Typo"
    assert error_of(lambda: sdk.v1.credit_notes.retrieve("cn_missing")).http_status == 404
    expanded = sdk.v1.credit_notes.retrieve(a.id, params={"expand": ["invoice"]})
    assert isinstance(expanded.invoice, stripe.Invoice)
    assert expanded.invoice.id == one.id


def test_voiding_a_pre_payment_credit_note_gives_the_amount_due_back(sdk, control, receiver):
    invoice = finalized(sdk, [5000])
    note = create(sdk, invoice=invoice.id, amount=2000)
    assert sdk.v1.invoices.retrieve(invoice.id).amount_due == 3000
    voided = sdk.v1.credit_notes.void_credit_note(note.id)
    assert (voided.status, voided.voided_at) == ("void", control.now())
    after = sdk.v1.invoices.retrieve(invoice.id)
    assert (after.amount_due, after.amount_remaining, after.pre_payment_credit_notes_amount) == (
        5000,
        5000,
        0,
    )
    again = error_of(lambda: sdk.v1.credit_notes.void_credit_note(note.id))
    assert "already void" in str(again.user_message)
    assert create(sdk, invoice=invoice.id, amount=5000).number == f"{invoice.number}-CN-02"
    assert control.wait_for_webhooks()
    types = verified_types(receiver)
    assert types.count("credit_note.created") == 2
    assert types.count("credit_note.voided") == 1


def test_a_credit_note_that_refunded_cannot_be_voided(sdk):
    invoice = paid_by_card(sdk, [5000])
    note = create(sdk, invoice=invoice.id, amount=1000, refund_amount=1000)
    refused = error_of(lambda: sdk.v1.credit_notes.void_credit_note(note.id))
    assert (refused.http_status, "it refunded a payment" in str(refused.user_message)) == (400, True)
    assert sdk.v1.credit_notes.retrieve(note.id).status == "issued"


# Shape -------------------------------------------------------------------------------------------


def test_the_rendered_keys_are_stripes(server, sdk):
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's examples are not at {FIXTURES}")
    examples = json.loads(FIXTURES.read_text())["resources"]
    example = examples["credit_note"]
    invoice = paid_by_card(sdk, [5000])
    note = create(
        sdk,
        invoice=invoice.id,
        lines=[
            {"type": "invoice_line_item", "invoice_line_item": invoice.lines.data[0].id, "amount": 1000},
            {"type": "custom_line_item", "unit_amount": 500, "description": "Service credit"},
        ],
        refund_amount=1500,
    )
    status, ours = raw(server, f"/v1/credit_notes/{note.id}")
    assert status == 200
    assert set(ours) == set(example)
    assert set(ours["refunds"][0]) == set(example["refunds"][0])
    for mine, theirs in zip(ours["lines"]["data"], example["lines"]["data"], strict=True):
        assert set(mine) == set(theirs)
    assert set(ours["lines"]) == set(example["lines"])
    status, lines = raw(server, f"/v1/credit_notes/{note.id}/lines")
    assert (status, lines["url"]) == (200, f"/v1/credit_notes/{note.id}/lines")


def test_a_credit_after_a_declined_card_lowers_the_next_payment(sdk):
    invoice = finalized(sdk, [5000])
    with pytest.raises(stripe.CardError):
        sdk.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_chargeDeclined"})
    create(sdk, invoice=invoice.id, amount=2000)
    paid = sdk.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_paid) == ("paid", 3000)
    assert charge_of(sdk, paid).amount == 3000


def test_an_invoice_paid_out_of_band_has_no_charge_to_refund(sdk):
    invoice = sdk.v1.invoices.pay(finalized(sdk, [5000]).id, params={"paid_out_of_band": True})
    refused = error_of(lambda: create(sdk, invoice=invoice.id, amount=1000, refund_amount=1000))
    assert (refused.param, "no charge to refund" in str(refused.user_message)) == ("refund_amount", True)
    note = create(sdk, invoice=invoice.id, amount=1000, out_of_band_amount=1000)
    assert (note.type, note.out_of_band_amount) == ("post_payment", 1000)
    assert sdk.v1.invoices.retrieve(invoice.id).post_payment_credit_notes_amount == 1000


def test_a_pre_payment_credit_note_of_a_settled_invoice_cannot_be_voided(sdk):
    invoice = finalized(sdk, [5000])
    note = create(sdk, invoice=invoice.id, amount=5000)
    refused = error_of(lambda: sdk.v1.credit_notes.void_credit_note(note.id))
    assert "only void a credit note while its invoice is open" in str(refused.user_message)
    assert sdk.v1.invoices.retrieve(invoice.id).status == "paid"


def test_credit_notes_survive_a_restart(tmp_path):
    state = tmp_path / "stripe.json"
    with stripe_local.running(frozen_clock=True, tick_interval=None, state_file=state) as first:
        sdk = first.client()
        invoice = finalized(sdk, [3000])
        lines: Any = [{"type": "custom_line_item", "unit_amount": 1000, "description": "Goodwill"}]
        note = create(sdk, invoice=invoice.id, lines=lines)
        first.changed()
    with stripe_local.running(frozen_clock=True, tick_interval=None, state_file=state) as second:
        sdk = second.client()
        kept = sdk.v1.credit_notes.retrieve(note.id)
        assert (kept.number, kept.amount, kept.lines.data[0].description) == (note.number, 1000, "Goodwill")
        assert sdk.v1.invoices.retrieve(invoice.id).amount_due == 2000
