"""Credit notes: lowering what a finalized invoice asks for, or giving back what was paid.

A credit note is `amount` (or the sum of its `lines`), at most what is still creditable on the
invoice (its total less the issued credit notes). On an open (or uncollectible) invoice it is a
`pre_payment` one: it lowers `amount_due` and `amount_remaining`; when nothing remains the
invoice is `paid` (no payment, not out of band). On a paid invoice it is `post_payment`:
`refund_amount` (a refund of the invoice's card charge), `credit_amount` (taken off the
customer's `balance`, which goes negative) and `out_of_band_amount` (only recorded) must add up
to its total. Its number is `<invoice number>-CN-01`, `-02`, …; its `pdf` is a one-page PDF
beside the invoice's (`/i/<token>/credit_notes/<id>/pdf`). As at Stripe, only a credit note of
an open (or uncollectible) invoice can be voided, which gives its amount back to the amount due;
one that made a refund never can.
"""

from __future__ import annotations

from stripe_local.api import Call, Json, list_object, list_page, route
from stripe_local.errors import ApiError, invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import Charge, CreditNote, CreditNoteLine, Invoice
from stripe_local.money import format_amount
from stripe_local.params import Params, exclusive, merge_metadata, new_metadata
from stripe_local.resources import invoices, refunds
from stripe_local.resources.customers import render_customer
from stripe_local.store import Store

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")
LINES_SHOWN = 10
_POST_PAYMENT = ("refund_amount", "credit_amount", "out_of_band_amount")
_UNPAID = ("open", "uncollectible")


# Creating ----------------------------------------------------------------------------------------


def _line(store: Store, invoice: Invoice, params: Params) -> CreditNoteLine:
    kind = params.need_string("type", choices=("invoice_line_item", "custom_line_item"))
    quantity = params.integer("quantity", minimum=0)
    if kind == "custom_line_item":
        unit_amount = params.need_integer("unit_amount", minimum=0)
        description = params.need_string("description")
        params.finish()
        count = 1 if quantity is None else quantity
        return CreditNoteLine(
            new_id("cnli_"), kind, unit_amount * count, count, description, None, unit_amount
        )
    line_id = params.need_string("invoice_line_item")
    amount = params.integer("amount", minimum=0)
    params.finish()
    item = next((i for i in invoices.items_of(store, invoice) if i.line_id == line_id), None)
    if item is None:
        raise invalid(
            f"No such invoice line item: '{line_id}' is not a line of invoice {invoice.id}.",
            param=params.name("invoice_line_item"),
        )
    count = item.quantity if quantity is None else quantity
    if count > item.quantity:
        raise invalid(
            f"The quantity ({count}) is more than the invoice line's ({item.quantity}).",
            param=params.name("quantity"),
        )
    amount = item.unit_amount * count if amount is None else amount
    issued = [n for n in store.credit_notes.where("invoice", invoice.id) if n.status == "issued"]
    left = item.amount - sum(
        done.amount for n in issued for done in n.lines if done.invoice_line_item == line_id
    )
    if amount > left:
        raise invalid(
            f"The amount ({format_amount(amount, item.currency)}) is more than can still be credited on the "
            f"invoice line ({format_amount(left, item.currency)}).",
            param=params.name("quantity" if params.raw().get("amount") is None else "amount"),
        )
    return CreditNoteLine(new_id("cnli_"), kind, amount, count, item.description, line_id)


def creditable(store: Store, invoice: Invoice) -> int:
    """What credit notes may still take: the total less issued ones, and on an unpaid invoice
    no more than remains to pay."""
    issued = sum(n.amount for n in store.credit_notes.where("invoice", invoice.id) if n.status == "issued")
    left = invoices.total(store, invoice) - issued
    if invoice.status in _UNPAID:
        left = min(left, invoices.amount_due(store, invoice) - invoice.amount_paid)
    return max(left, 0)


def paid_charge(store: Store, invoice: Invoice) -> Charge | None:
    """The succeeded card charge that paid the invoice, if it was paid through Stripe."""
    if invoice.payment_intent is None:
        return None
    intent = store.payment_intents.must(invoice.payment_intent)
    charge = store.charges.get(intent.latest_charge) if intent.latest_charge else None
    return charge if charge is not None and charge.paid else None


def _check_post_payment(
    store: Store, invoice: Invoice, amount: int, given: dict[str, int | None]
) -> Charge | None:
    parts = {key: value or 0 for key, value in given.items()}
    total = sum(parts.values())
    if total != amount:
        named = "out_of_band_amount" if total < amount else next(k for k in _POST_PAYMENT if parts[k])
        raise invalid(
            f"The sum of refund_amount, credit_amount and out_of_band_amount "
            f"({format_amount(total, invoice.currency)}) must equal the credit note's total "
            f"({format_amount(amount, invoice.currency)}) on a paid invoice.",
            param=named,
        )
    refund_amount = parts["refund_amount"]
    if refund_amount == 0:
        return None
    charge = paid_charge(store, invoice)
    if charge is None:
        raise invalid(
            f"Invoice {invoice.id} was not paid by card through Stripe, so there is no charge to refund: "
            "use credit_amount or out_of_band_amount.",
            param="refund_amount",
        )
    left = charge.amount - charge.amount_refunded
    if refund_amount > left:
        raise invalid(
            f"refund_amount ({format_amount(refund_amount, charge.currency)}) is greater than the unrefunded "
            f"amount on the invoice's charge ({format_amount(left, charge.currency)}).",
            param="refund_amount",
            code="amount_too_large",
        )
    return charge


def _credit_customer(store: Store, customer_id: str, amount: int) -> None:
    customer = store.customers.must(customer_id)
    previous = {"balance": customer.balance}
    customer.balance -= amount
    store.emit("customer.updated", render_customer(store, customer), previous)


def _invoice_changed(store: Store, invoice: Invoice, before: Json) -> None:
    after = invoices.render_invoice(store, invoice)
    previous = {key: value for key, value in before.items() if after[key] != value}
    if previous:
        store.emit("invoice.updated", after, previous)
    if previous.get("status") in _UNPAID and after["status"] == "paid":
        store.emit("invoice.paid", after)


def create_credit_note(call: Call) -> Json:
    store, params = call.store, call.params
    invoice = invoices.get_invoice(store, params.need_string("invoice"), "invoice")
    exclusive(params, "amount", "lines")
    amount = params.integer("amount", minimum=0)
    lines = [_line(store, invoice, line) for line in params.nested_list("lines")]
    given = {key: params.integer(key, minimum=0) for key in _POST_PAYMENT}
    reason = params.string("reason", choices=REASONS)
    memo = params.string("memo", max_length=5000)
    metadata = new_metadata(params)
    params.string("email_type", choices=("credit_note", "none"))
    for unsupported in ("refunds", "shipping_cost"):
        if params.has(unsupported):
            raise invalid(
                f"The local Stripe server does not model {unsupported} on credit notes.", param=unsupported
            )
    params.finish()
    if invoice.status not in (*_UNPAID, "paid"):
        raise invalid(
            f"You can only create a credit note for a finalized invoice (open, paid or uncollectible). "
            f"This invoice is {invoice.status}.",
            param="invoice",
        )
    if amount is None and not lines:
        raise ApiError(
            400,
            "Missing required param: amount. Give amount or lines.",
            param="amount",
            code="parameter_missing",
        )
    note_total = amount if amount is not None else sum(line.amount for line in lines)
    param = "amount" if amount is not None else "lines"
    if note_total <= 0:
        raise invalid("The credit note's total must be greater than 0.", param=param)
    left = creditable(store, invoice)
    if note_total > left:
        raise invalid(
            f"The credit note's total ({format_amount(note_total, invoice.currency)}) is more than can still "
            f"be credited on invoice {invoice.id} ({format_amount(left, invoice.currency)}).",
            param=param,
        )
    pre_payment = invoice.status in _UNPAID
    charge = None
    if pre_payment:
        for key in _POST_PAYMENT:
            if given[key] is not None:
                raise invalid(
                    f"{key} can only be set on a credit note for a paid invoice; this invoice is "
                    f"{invoice.status}, so the credit note lowers its amount due.",
                    param=key,
                )
    else:
        charge = _check_post_payment(store, invoice, note_total, given)
    before = invoices.render_invoice(store, invoice)
    number = len(store.credit_notes.where("invoice", invoice.id)) + 1
    note = CreditNote(
        id=new_id("cn_"),
        created=store.now(),
        invoice=invoice.id,
        customer=invoice.customer,
        currency=invoice.currency,
        number=f"{invoice.number}-CN-{number:02d}",
        amount=note_total,
        type="pre_payment" if pre_payment else "post_payment",
        pre_payment_amount=note_total if pre_payment else 0,
        post_payment_amount=0 if pre_payment else note_total,
        lines=lines,
        credit_amount=given["credit_amount"] or 0,
        out_of_band_amount=given["out_of_band_amount"],
        reason=reason,
        memo=memo,
        metadata=metadata,
    )
    if charge is not None:
        refund = refunds.refund_charge(
            store,
            charge,
            amount=given["refund_amount"],
            reason=reason if reason in ("duplicate", "fraudulent") else None,
            metadata={},
        )
        note.refunds.append(refund.id)
    store.credit_notes.add(note)
    store.emit("credit_note.created", render_credit_note(store, note))
    if note.credit_amount:
        _credit_customer(store, note.customer, note.credit_amount)
    if pre_payment and invoices.amount_due(store, invoice) - invoice.amount_paid <= 0:
        invoices.paid_by_credit_notes(store, invoice)
    _invoice_changed(store, invoice, before)
    return render_credit_note(store, note)


# The rest of the API -----------------------------------------------------------------------------


def get_credit_note(store: Store, note_id: str) -> CreditNote:
    note = store.credit_notes.get(note_id)
    if note is None:
        raise no_such("credit_note", note_id)
    return note


def retrieve_credit_note(call: Call) -> Json:
    call.params.finish()
    return render_credit_note(call.store, get_credit_note(call.store, call.ids["id"]))


def update_credit_note(call: Call) -> Json:
    """`memo` and `metadata`, as at Stripe."""
    store, params = call.store, call.params
    note = get_credit_note(store, call.ids["id"])
    before = render_credit_note(store, note)
    if params.has("memo"):
        note.memo = params.string("memo", max_length=5000)
    metadata = params.metadata()
    params.finish()
    if metadata is not None:
        note.metadata = merge_metadata(note.metadata, metadata)
    after = render_credit_note(store, note)
    previous = {key: value for key, value in before.items() if after[key] != value}
    if previous:
        store.emit("credit_note.updated", after, previous)
    return after


def list_credit_notes(call: Call) -> Json:
    equal = {"invoice": call.params.string("invoice"), "customer": call.params.string("customer")}
    return list_page(call, call.store.credit_notes, render_credit_note, url="/v1/credit_notes", equal=equal)


def list_lines(call: Call) -> Json:
    store, params = call.store, call.params
    note = get_credit_note(store, call.ids["id"])
    limit = params.integer("limit", minimum=1, maximum=100) or 10
    starting_after = params.string("starting_after")
    ending_before = params.string("ending_before")
    params.finish()
    lines = note.lines
    ids = [line.id for line in lines]
    for cursor, param in ((starting_after, "starting_after"), (ending_before, "ending_before")):
        if cursor is not None and cursor not in ids:
            raise no_such("credit_note_line_item", cursor, param=param)
    if starting_after is not None:
        lines = lines[ids.index(starting_after) + 1 :]
        page = lines[:limit]
    elif ending_before is not None:
        lines = lines[: ids.index(ending_before)]
        page = lines[-limit:]
    else:
        page = lines[:limit]
    return list_object(
        f"/v1/credit_notes/{note.id}/lines", [render_line(line) for line in page], len(lines) > limit
    )


def void_credit_note(call: Call) -> Json:
    store = call.store
    call.params.finish()
    note = get_credit_note(store, call.ids["id"])
    if note.status != "issued":
        raise invalid(f"This credit note is already {note.status}.")
    if note.refunds:
        raise invalid(
            "This credit note cannot be voided: it refunded a payment, and a refund cannot be undone."
        )
    invoice = store.invoices.must(note.invoice)
    if invoice.status not in _UNPAID:
        raise invalid(
            f"You can only void a credit note while its invoice is open. This invoice is {invoice.status}."
        )
    before = invoices.render_invoice(store, invoice)
    note.status = "void"
    note.voided_at = store.now()
    store.emit("credit_note.voided", render_credit_note(store, note))
    _invoice_changed(store, invoice, before)
    return render_credit_note(store, note)


# Rendering ---------------------------------------------------------------------------------------


def pdf_url(store: Store, note: CreditNote) -> str | None:
    url = invoices.hosted_url(store, store.invoices.must(note.invoice))
    return f"{url}/credit_notes/{note.id}/pdf" if url else None


def render_line(line: CreditNoteLine) -> Json:
    rendered: Json = {
        "id": line.id,
        "object": "credit_note_line_item",
        "amount": line.amount,
        "description": line.description,
        "discount_amount": 0,
        "discount_amounts": [],
        "livemode": False,
        "metadata": {},
        "pretax_credit_amounts": [],
        "quantity": line.quantity,
        "tax_rates": [],
        "taxes": [],
        "type": line.type,
        "unit_amount": line.unit_amount,
        "unit_amount_decimal": None if line.unit_amount is None else str(line.unit_amount),
    }
    if line.invoice_line_item is not None:  # as at Stripe: custom lines have no such key
        rendered["invoice_line_item"] = line.invoice_line_item
    return rendered


def render_credit_note(store: Store, note: CreditNote) -> Json:
    made = [store.refunds.must(refund_id) for refund_id in note.refunds]
    return {
        "id": note.id,
        "object": "credit_note",
        "amount": note.amount,
        "amount_shipping": 0,
        "created": note.created,
        "currency": note.currency,
        "customer": note.customer,
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": note.created,
        "invoice": note.invoice,
        "lines": list_object(
            f"/v1/credit_notes/{note.id}/lines",
            [render_line(line) for line in note.lines[:LINES_SHOWN]],
            len(note.lines) > LINES_SHOWN,
        ),
        "livemode": False,
        "memo": note.memo,
        "metadata": dict(note.metadata),
        "number": note.number,
        "out_of_band_amount": note.out_of_band_amount,
        "pdf": pdf_url(store, note),
        "post_payment_amount": note.post_payment_amount,
        "pre_payment_amount": note.pre_payment_amount,
        "pretax_credit_amounts": [],
        "reason": note.reason,
        "refunds": [
            {
                "amount_refunded": refund.amount,
                "payment_record_refund": None,
                "refund": refund.id,
                "type": "refund",
            }
            for refund in made
        ],
        "shipping_cost": None,
        "status": note.status,
        "subtotal": note.amount,
        "subtotal_excluding_tax": note.amount,
        "total": note.amount,
        "total_excluding_tax": note.amount,
        "total_taxes": [],
        "type": note.type,
        "voided_at": note.voided_at,
    }


ROUTES = [
    route("GET", "/v1/credit_notes", list_credit_notes),
    route("POST", "/v1/credit_notes", create_credit_note),
    route("GET", "/v1/credit_notes/{id}", retrieve_credit_note),
    route("POST", "/v1/credit_notes/{id}", update_credit_note),
    route("GET", "/v1/credit_notes/{id}/lines", list_lines),
    route("POST", "/v1/credit_notes/{id}/void", void_credit_note),
]
