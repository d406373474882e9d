"""Invoicing: invoice items, invoices (`collection_method=send_invoice`) and their payments.

An invoice is made `draft`; its lines are its invoice items (those created with `invoice=`, and
with `pending_invoice_items_behavior=include` the customer's pending ones). Finalizing it
(`/finalize`, or an hour after creation when `auto_advance`) makes it `open`: it gets its number
(`PREFIX-0001`), `due_date` (finalized + `days_until_due` days, or the `due_date` given),
`hosted_invoice_url` and `invoice_pdf`; an invoice of 0 is `paid` at once. An open invoice is
paid on its hosted page with a test card (see `invoice_page.py`), by `/pay` with a `pm_card_*`
test payment method, or marked paid with `/pay paid_out_of_band=true`; it can be sent (`/send`),
voided (`/void`) or marked uncollectible (`/mark_uncollectible`; then still payable or
voidable). When its `due_date` passes on the server's clock while it is open,
`invoice.overdue` is sent. Its issued pre-payment credit notes (see `credit_notes.py`) come off
its `amount_due`.
"""

from __future__ import annotations

import secrets
import time

from stripe_local.api import Call, Json, list_object, list_page, route
from stripe_local.cards import TEST_PAYMENT_METHODS, KnownCard, lookup
from stripe_local.errors import ApiError, invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import Charge, ChargeTerms, Invoice, InvoiceItem, InvoicePayment, PaymentIntent
from stripe_local.params import Params, exclusive, merge_metadata, new_metadata
from stripe_local.resources import charges, intents
from stripe_local.resources.customers import get_customer
from stripe_local.store import Store

DAY = 86_400
AUTO_FINALIZE_AFTER = 3_600  # Stripe finalizes an auto_advance draft about an hour after creation
MAX_DAYS_UNTIL_DUE = 1_825
LINES_SHOWN = 10  # an invoice's `lines` holds the first 10; `GET …/lines` pages through all

NOT_EDITABLE = "invoice_not_editable"


# Invoice items -----------------------------------------------------------------------------------


def _draft_invoice_for_item(store: Store, invoice_id: str, customer_id: str) -> Invoice:
    invoice = store.invoices.get(invoice_id)
    if invoice is None:
        raise no_such("invoice", invoice_id, param="invoice")
    if invoice.customer != customer_id:
        raise invalid(
            f"The invoice {invoice_id} belongs to another customer than {customer_id}.", param="invoice"
        )
    if invoice.status != "draft":
        raise invalid(
            f"You can only add invoice items to draft invoices. This invoice is {invoice.status}.",
            param="invoice",
            code=NOT_EDITABLE,
        )
    return invoice


def _price(params: Params) -> tuple[int, int, str, str]:
    """(unit amount, quantity, currency, product id) from `amount`+`currency` or `price_data`."""
    exclusive(params, "amount", "price_data")
    if params.has("pricing"):
        raise invalid(
            "The local Stripe server has no Prices: give price_data or amount and currency.", param="pricing"
        )
    price = params.nested("price_data")
    if price is not None:
        currency = price.need_string("currency").lower()
        product = price.need_string("product")
        unit_amount = price.need_integer("unit_amount")
        price.string("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
        price.finish()
        quantity = params.integer("quantity", minimum=0)
        return unit_amount, 1 if quantity is None else quantity, currency, product
    amount = params.integer("amount")
    if amount is None:
        raise ApiError(
            400,
            "Missing required param: amount. Give amount and currency, or price_data.",
            param="amount",
            code="parameter_missing",
        )
    currency = params.need_string("currency").lower()
    quantity = params.integer("quantity", minimum=1)
    if quantity not in (None, 1):
        raise invalid(
            "With amount, the invoice item is one unit: give price_data[unit_amount] and quantity for "
            "several.",
            param="quantity",
        )
    return amount, 1, currency, new_id("prod_", 14)


def create_item(call: Call) -> Json:
    store, params = call.store, call.params
    customer = get_customer(store, params.need_string("customer"), "customer")
    unit_amount, quantity, currency, product = _price(params)
    invoice_id = params.string("invoice")
    invoice = _draft_invoice_for_item(store, invoice_id, customer.id) if invoice_id else None
    if invoice is not None and invoice.currency != currency:
        raise invalid(
            f"The invoice item's currency ({currency}) must be the invoice's ({invoice.currency}).",
            param="currency",
        )
    now = store.now()
    period = params.nested("period")
    start = end = now
    if period is not None:
        start, end = period.need_integer("start"), period.need_integer("end")
        period.finish()
        if end < start:
            raise invalid("The period's end must not be before its start.", param="period[end]")
    item = InvoiceItem(
        id=new_id("ii_"),
        created=now,
        customer=customer.id,
        currency=currency,
        unit_amount=unit_amount,
        quantity=quantity,
        description=params.string("description", max_length=500),
        metadata=new_metadata(params),
        price_id=new_id("price_"),
        product_id=product,
        line_id=new_id("il_"),
        period_start=start,
        period_end=end,
        discountable=params.boolean("discountable") is not False,
        invoice=invoice.id if invoice else None,
    )
    params.string("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
    params.finish()
    store.invoice_items.add(item)
    if customer.currency is None:
        customer.currency = currency
    if invoice is not None:
        invoice.items.append(item.id)
    store.emit("invoiceitem.created", render_item(store, item))
    return render_item(store, item)


def get_item(store: Store, item_id: str) -> InvoiceItem:
    item = store.invoice_items.get(item_id)
    if item is None or item.deleted:
        raise no_such("invoiceitem", item_id)
    return item


def retrieve_item(call: Call) -> Json:
    call.params.finish()
    return render_item(call.store, get_item(call.store, call.ids["id"]))


def delete_item(call: Call) -> Json:
    store = call.store
    call.params.finish()
    item = get_item(store, call.ids["id"])
    invoice = store.invoices.get(item.invoice) if item.invoice else None
    if invoice is not None and invoice.status != "draft":
        raise invalid(
            "This invoice item can no longer be deleted: it is on a finalized invoice.",
            code=NOT_EDITABLE,
        )
    item.deleted = True
    if invoice is not None:
        invoice.items.remove(item.id)
    store.emit("invoiceitem.deleted", {**render_item(store, item), "deleted": True})
    return {"id": item.id, "object": "invoiceitem", "deleted": True}


def list_items(call: Call) -> Json:
    params = call.params
    customer = params.string("customer")
    invoice = params.string("invoice")
    pending = params.boolean("pending")

    def visible(item: InvoiceItem) -> bool:
        if item.deleted:
            return False
        return pending is None or (item.invoice is None) == pending

    return list_page(
        call,
        call.store.invoice_items,
        render_item,
        url="/v1/invoiceitems",
        equal={"customer": customer, "invoice": invoice},
        predicate=visible,
    )


def _pricing(item: InvoiceItem) -> Json:
    return {
        "price_details": {"price": item.price_id, "product": item.product_id},
        "type": "price_details",
        "unit_amount_decimal": str(item.unit_amount),
    }


def render_item(store: Store, item: InvoiceItem) -> Json:
    return {
        "id": item.id,
        "object": "invoiceitem",
        "amount": item.amount,
        "currency": item.currency,
        "customer": item.customer,
        "customer_account": None,
        "date": item.created,
        "description": item.description,
        "discountable": item.discountable,
        "discounts": [],
        "invoice": item.invoice,
        "livemode": False,
        "metadata": dict(item.metadata),
        "net_amount": item.amount,
        "parent": None,
        "period": {"end": item.period_end, "start": item.period_start},
        "pricing": _pricing(item),
        "proration": False,
        "quantity": item.quantity,
        "quantity_decimal": str(item.quantity),
        "tax_rates": [],
        "test_clock": None,
    }


def render_line(store: Store, invoice: Invoice, item: InvoiceItem) -> Json:
    return {
        "id": item.line_id,
        "object": "line_item",
        "amount": item.amount,
        "currency": item.currency,
        "description": item.description,
        "discount_amounts": [],
        "discountable": item.discountable,
        "discounts": [],
        "invoice": invoice.id,
        "livemode": False,
        "metadata": dict(item.metadata),
        "parent": {
            "invoice_item_details": {
                "invoice_item": item.id,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": {"end": item.period_end, "start": item.period_start},
        "pretax_credit_amounts": [],
        "pricing": _pricing(item),
        "quantity": item.quantity,
        "quantity_decimal": str(item.quantity),
        "subscription": None,
        "subtotal": item.amount,
        "taxes": [],
    }


# Invoices: creating ------------------------------------------------------------------------------


def _due(params: Params) -> tuple[int | None, int | None]:
    exclusive(params, "days_until_due", "due_date")
    days = params.integer("days_until_due", minimum=0, maximum=MAX_DAYS_UNTIL_DUE)
    due_date = params.integer("due_date")
    return days, due_date


def create_invoice(call: Call) -> Json:
    store, params = call.store, call.params
    customer = get_customer(store, params.need_string("customer"), "customer")
    method = params.string("collection_method", choices=("charge_automatically", "send_invoice"))
    if method != "send_invoice":
        raise invalid(
            "The local Stripe server makes invoices with collection_method=send_invoice only (customers "
            "here have no saved payment methods to charge automatically).",
            param="collection_method",
        )
    days, due_date = _due(params)
    if days is None and due_date is None:
        raise ApiError(
            400,
            "Missing required param: days_until_due. Invoices with collection_method=send_invoice need "
            "days_until_due or due_date.",
            param="days_until_due",
            code="parameter_missing",
        )
    now = store.now()
    if due_date is not None and due_date <= now:
        raise invalid("The due_date must be in the future.", param="due_date")
    behavior = params.string("pending_invoice_items_behavior", choices=("exclude", "include")) or "exclude"
    pending = [
        item
        for item in store.invoice_items.where("customer", customer.id)
        if item.invoice is None and not item.deleted
    ]
    currency = params.string("currency")
    if currency is None:
        first = pending[0].currency if behavior == "include" and pending else None
        currency = first or customer.currency or "usd"
    currency = currency.lower()
    invoice = Invoice(
        id=new_id("in_"),
        created=now,
        customer=customer.id,
        currency=currency,
        collection_method=method,
        days_until_due=days,
        due_date=due_date,
        auto_advance=params.boolean("auto_advance") is True,
        description=params.string("description", max_length=1500),
        footer=params.string("footer", max_length=5000),
        metadata=new_metadata(params),
        hosted_token=secrets.token_urlsafe(24),
    )
    automatic_tax = params.nested("automatic_tax")
    if automatic_tax is not None:
        if automatic_tax.boolean("enabled"):
            raise invalid("The local Stripe server computes no tax.", param="automatic_tax[enabled]")
        automatic_tax.finish()
    params.finish()
    store.invoices.add(invoice)
    if behavior == "include":
        for item in pending:
            if item.currency == currency:
                item.invoice = invoice.id
                store.invoice_items.reindex(item, "invoice", None)
                invoice.items.append(item.id)
    if invoice.auto_advance:
        store.schedule(now + AUTO_FINALIZE_AFTER, "invoice_finalizes", invoice.id)
    store.emit("invoice.created", render_invoice(store, invoice))
    return render_invoice(store, invoice)


def update_invoice(call: Call) -> Json:
    """Metadata, description and footer at any time; the rest only while it is a draft."""
    store, params = call.store, call.params
    invoice = get_invoice(store, call.ids["id"])
    before = render_invoice(store, invoice)
    metadata = params.metadata()
    if params.has("description"):
        invoice.description = params.string("description", max_length=1500)
    if params.has("footer"):
        invoice.footer = params.string("footer", max_length=5000)
    draft_only = ("days_until_due", "due_date", "auto_advance")
    if any(params.has(key) for key in draft_only):
        if invoice.status != "draft":
            raise invalid("Finalized invoices can't be updated in this way.", code=NOT_EDITABLE)
        if params.has("days_until_due") or params.has("due_date"):
            invoice.days_until_due, invoice.due_date = _due(params)
        if params.has("auto_advance"):
            invoice.auto_advance = params.boolean("auto_advance") is True
            if invoice.auto_advance:  # `finalize_due` finalizes it then, if it is still a draft
                store.schedule(
                    max(invoice.created + AUTO_FINALIZE_AFTER, store.now()), "invoice_finalizes", invoice.id
                )
    params.finish()
    if metadata is not None:
        invoice.metadata = merge_metadata(invoice.metadata, metadata)
    after = render_invoice(store, invoice)
    previous = {key: value for key, value in before.items() if after[key] != value}
    if previous:
        store.emit("invoice.updated", after, previous)
    return after


# Invoices: moving through their states -----------------------------------------------------------


def _set_status(store: Store, invoice: Invoice, status: str) -> None:
    old = invoice.status
    invoice.status = status
    store.invoices.reindex(invoice, "status", old)


def items_of(store: Store, invoice: Invoice) -> list[InvoiceItem]:
    return [store.invoice_items.must(item_id) for item_id in invoice.items]


def total(store: Store, invoice: Invoice) -> int:
    return sum(item.amount for item in items_of(store, invoice))


def credit_notes_amounts(store: Store, invoice: Invoice) -> tuple[int, int]:
    """(pre-payment, post-payment) amounts of the invoice's issued credit notes."""
    notes = [note for note in store.credit_notes.where("invoice", invoice.id) if note.status == "issued"]
    return sum(n.pre_payment_amount for n in notes), sum(n.post_payment_amount for n in notes)


def amount_due(store: Store, invoice: Invoice) -> int:
    """The total less the pre-payment credit notes, never below 0."""
    return max(total(store, invoice) - credit_notes_amounts(store, invoice)[0], 0)


def finalize(store: Store, invoice: Invoice) -> None:
    customer = store.customers.must(invoice.customer)
    now = store.now()
    invoice.number = f"{customer.invoice_prefix}-{customer.next_invoice_sequence:04d}"
    customer.next_invoice_sequence += 1
    invoice.finalized_at = now
    if invoice.days_until_due is not None:
        invoice.due_date = now + invoice.days_until_due * DAY
    invoice.customer_email = customer.email
    invoice.customer_name = customer.name
    invoice.customer_phone = customer.phone
    _set_status(store, invoice, "open")
    store.emit("invoice.finalized", render_invoice(store, invoice))
    if amount_due(store, invoice) == 0:
        _paid(store, invoice)
        return
    if invoice.due_date is not None:
        store.schedule(max(invoice.due_date, now), "invoice_overdue", invoice.id)
    if invoice.auto_advance:
        send(store, invoice)


def send(store: Store, invoice: Invoice) -> None:
    """Stripe e-mails the customer the hosted invoice page; here `invoice.sent` says it did."""
    invoice.sent_count += 1
    store.emit("invoice.sent", render_invoice(store, invoice))


def _paid(store: Store, invoice: Invoice, *, out_of_band: bool = False) -> None:
    remaining = amount_due(store, invoice) - invoice.amount_paid
    invoice.amount_paid += remaining
    if out_of_band:
        invoice.amount_paid_off_stripe += remaining
    invoice.paid_at = store.now()
    _set_status(store, invoice, "paid")
    rendered = render_invoice(store, invoice)
    store.emit("invoice.paid", rendered)
    if not out_of_band:  # as at Stripe: marked paid out of band, no payment attempt succeeded
        store.emit("invoice.payment_succeeded", rendered)


def paid_by_credit_notes(store: Store, invoice: Invoice) -> None:
    """Pre-payment credit notes took the amount due to 0: `paid` (not out of band, no payment),
    `amount_paid` what was really paid; a payment intent still waiting for a card is canceled.
    The caller sends `invoice.updated` and `invoice.paid`."""
    invoice.paid_at = store.now()
    _set_status(store, invoice, "paid")
    if invoice.payment_intent is not None:
        intent = store.payment_intents.must(invoice.payment_intent)
        if intent.status == "requires_payment_method":
            intents.cancel(store, intent, None)


def _intent_for(store: Store, invoice: Invoice) -> str:
    """The payment intent of the invoice's card attempts: one per invoice, made at the first."""
    if invoice.payment_intent is not None:
        intent = store.payment_intents.must(invoice.payment_intent)
        if intent.status == "requires_payment_method":
            intent.amount = amount_due(store, invoice) - invoice.amount_paid  # credit notes lower it
            return intent.id
    intent = intents.new_payment_intent(
        store,
        amount=amount_due(store, invoice) - invoice.amount_paid,
        currency=invoice.currency,
        terms=ChargeTerms(description=f"Payment for Invoice {invoice.number}", metadata={}),
        payment_method_types=["card"],
    )
    invoice.payment_intent = intent.id
    return intent.id


def check_payable(invoice: Invoice) -> None:
    if invoice.status == "paid":
        raise invalid("Invoice is already paid")
    if invoice.status == "draft":
        raise invalid("This invoice is a draft: finalize it before paying it.")
    if invoice.status == "void":
        raise invalid("This invoice is void: it can no longer be paid.")


def pay_with_card(
    store: Store,
    invoice: Invoice,
    card: KnownCard,
    *,
    exp_month: int,
    exp_year: int,
    name: str | None = None,
    email: str | None = None,
) -> Charge:
    """One card attempt at the invoice's amount remaining: paid, or `invoice.payment_failed`."""
    check_payable(invoice)
    intent = store.payment_intents.must(_intent_for(store, invoice))
    charge = charges.attempt_card(
        store,
        intent,
        card,
        exp_month=exp_month,
        exp_year=exp_year,
        name=name,
        email=email or invoice.customer_email,
    )
    invoice.attempt_count += 1
    invoice.attempted = True
    if charge.paid:
        record_payment(store, invoice, intent)
    else:
        store.emit("invoice.payment_failed", render_invoice(store, invoice))
    return charge


def record_payment(store: Store, invoice: Invoice, intent: PaymentIntent) -> None:
    """The intent's succeeded payment pays the invoice: an invoice payment, `invoice.paid`,
    `invoice.payment_succeeded`, `invoice_payment.paid`."""
    payment = InvoicePayment(
        id=new_id("inpay_"),
        created=store.now(),
        invoice=invoice.id,
        currency=invoice.currency,
        amount_requested=intent.amount,
        amount_paid=intent.amount,
        payment_intent=intent.id,
        status="paid",
        paid_at=store.now(),
    )
    store.invoice_payments.add(payment)
    _paid(store, invoice)
    store.emit("invoice_payment.paid", render_payment(store, payment))


def void(store: Store, invoice: Invoice) -> None:
    invoice.voided_at = store.now()
    _set_status(store, invoice, "void")
    if invoice.payment_intent is not None:
        intent = store.payment_intents.must(invoice.payment_intent)
        if intent.status == "requires_payment_method":
            intents.cancel(store, intent, None)
    store.emit("invoice.voided", render_invoice(store, invoice))


def finalize_due(store: Store, invoice_id: str) -> None:
    """`auto_advance` drafts finalize about an hour after creation, as at Stripe."""
    invoice = store.invoices.get(invoice_id)
    if invoice is not None and invoice.status == "draft" and invoice.auto_advance:
        finalize(store, invoice)


def overdue_due(store: Store, invoice_id: str) -> None:
    invoice = store.invoices.get(invoice_id)
    if (
        invoice is not None
        and invoice.status == "open"
        and not invoice.overdue
        and invoice.due_date is not None
        and invoice.due_date <= store.now()
    ):
        invoice.overdue = True
        store.emit("invoice.overdue", render_invoice(store, invoice))


# Invoices: the API -------------------------------------------------------------------------------


def get_invoice(store: Store, invoice_id: str, param: str = "id") -> Invoice:
    invoice = store.invoices.get(invoice_id)
    if invoice is None or invoice.status == "deleted":
        raise no_such("invoice", invoice_id, param=param)
    return invoice


def by_token(store: Store, token: str) -> Invoice | None:
    """The finalized invoice whose hosted page (or PDF) is at this token."""
    for invoice in store.invoices.where("hosted_token", token):
        if invoice.finalized_at is not None:
            return invoice
    return None


def retrieve_invoice(call: Call) -> Json:
    call.params.finish()
    return render_invoice(call.store, get_invoice(call.store, call.ids["id"]))


def list_invoices(call: Call) -> Json:
    params = call.params
    equal = {
        "customer": params.string("customer"),
        "status": params.string("status", choices=("draft", "open", "paid", "uncollectible", "void")),
    }
    method = params.string("collection_method", choices=("charge_automatically", "send_invoice"))

    def matches(invoice: Invoice) -> bool:
        return invoice.status != "deleted" and (method is None or invoice.collection_method == method)

    return list_page(
        call, call.store.invoices, render_invoice, url="/v1/invoices", equal=equal, predicate=matches
    )


def list_lines(call: Call) -> Json:
    store, params = call.store, call.params
    invoice = get_invoice(store, call.ids["id"])
    limit = params.integer("limit", minimum=1, maximum=100) or 10
    starting_after = params.string("starting_after")
    ending_before = params.string("ending_before")
    params.finish()
    items = items_of(store, invoice)
    ids = [item.line_id for item in items]
    for cursor, param in ((starting_after, "starting_after"), (ending_before, "ending_before")):
        if cursor is not None and cursor not in ids:
            raise no_such("line_item", cursor, param=param)
    if starting_after is not None:
        items = items[ids.index(starting_after) + 1 :]
        page = items[:limit]
    elif ending_before is not None:
        items = items[: ids.index(ending_before)]
        page = items[-limit:]
    else:
        page = items[:limit]
    return list_object(
        f"/v1/invoices/{invoice.id}/lines",
        [render_line(store, invoice, item) for item in page],
        len(items) > limit,
    )


def finalize_invoice(call: Call) -> Json:
    store, params = call.store, call.params
    invoice = get_invoice(store, call.ids["id"])
    auto_advance = params.boolean("auto_advance")
    params.finish()
    if invoice.status != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            code=NOT_EDITABLE,
        )
    if auto_advance is not None:
        invoice.auto_advance = auto_advance
    finalize(store, invoice)
    return render_invoice(store, invoice)


def send_invoice(call: Call) -> Json:
    store = call.store
    call.params.finish()
    invoice = get_invoice(store, call.ids["id"])
    if invoice.collection_method != "send_invoice":
        raise invalid("You can only manually send an invoice if its collection method is 'send_invoice'.")
    if invoice.status in ("draft", "void"):
        raise invalid(
            f"This invoice is {invoice.status}: only finalized invoices that are not void can be sent."
        )
    send(store, invoice)
    return render_invoice(store, invoice)


def _test_card(payment_method: str) -> KnownCard:
    number = TEST_PAYMENT_METHODS.get(payment_method)
    if number is None:
        raise ApiError(
            400,
            f"No such PaymentMethod: '{payment_method}'. The local Stripe server knows the test payment "
            f"methods {', '.join(sorted(TEST_PAYMENT_METHODS))}.",
            param="payment_method",
            code="resource_missing",
        )
    return lookup(number)


def pay_invoice(call: Call) -> Json:
    store, params = call.store, call.params
    invoice = get_invoice(store, call.ids["id"])
    out_of_band = params.boolean("paid_out_of_band") is True
    payment_method = params.string("payment_method")
    params.boolean("forgive")
    params.boolean("off_session")
    for unsupported in ("source", "mandate"):
        if params.has(unsupported):
            raise invalid(
                f"The local Stripe server pays invoices with payment_method (a pm_card_* test method) or "
                f"paid_out_of_band, not {unsupported}.",
                param=unsupported,
            )
    params.finish()
    check_payable(invoice)
    if out_of_band:
        if payment_method is not None:
            raise invalid(
                "You cannot pass payment_method when paying an invoice out of band.", param="payment_method"
            )
        _paid(store, invoice, out_of_band=True)
        return render_invoice(store, invoice)
    if payment_method is None:
        raise invalid(
            "This customer has no attached payment source or default payment method. Please consider "
            "adding a default payment method."
        )
    card = _test_card(payment_method)
    year = time.gmtime(store.now()).tm_year + 3
    charge = pay_with_card(store, invoice, card, exp_month=12, exp_year=year)
    if not charge.paid:
        raise ApiError(
            402,
            charge.failure_message or "Your card was declined.",
            type="card_error",
            code=charge.failure_code,
            decline_code=charge.decline_code,
            extra={"charge": charge.id, "payment_intent": invoice.payment_intent},
        )
    return render_invoice(store, invoice)


def void_invoice(call: Call) -> Json:
    store = call.store
    call.params.finish()
    invoice = get_invoice(store, call.ids["id"])
    if invoice.status not in ("open", "uncollectible"):
        raise invalid(
            f"You can only void invoices that are open or uncollectible. This invoice is {invoice.status}."
        )
    void(store, invoice)
    return render_invoice(store, invoice)


def mark_uncollectible(call: Call) -> Json:
    store = call.store
    call.params.finish()
    invoice = get_invoice(store, call.ids["id"])
    if invoice.status != "open":
        raise invalid(f"You can only mark open invoices as uncollectible. This invoice is {invoice.status}.")
    invoice.marked_uncollectible_at = store.now()
    _set_status(store, invoice, "uncollectible")
    store.emit("invoice.marked_uncollectible", render_invoice(store, invoice))
    return render_invoice(store, invoice)


def delete_invoice(call: Call) -> Json:
    store = call.store
    call.params.finish()
    invoice = get_invoice(store, call.ids["id"])
    if invoice.status != "draft":
        raise invalid("You can only delete draft invoices. Void a finalized invoice instead.")
    for item in items_of(store, invoice):
        item.deleted = True
    _set_status(store, invoice, "deleted")
    store.emit("invoice.deleted", render_invoice(store, invoice))
    return {"id": invoice.id, "object": "invoice", "deleted": True}


# Invoice payments --------------------------------------------------------------------------------


def render_payment(store: Store, payment: InvoicePayment) -> Json:
    return {
        "id": payment.id,
        "object": "invoice_payment",
        "amount_paid": payment.amount_paid,
        "amount_requested": payment.amount_requested,
        "created": payment.created,
        "currency": payment.currency,
        "invoice": payment.invoice,
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": payment.payment_intent, "type": "payment_intent"},
        "status": payment.status,
        "status_transitions": {"canceled_at": None, "paid_at": payment.paid_at},
    }


def retrieve_payment(call: Call) -> Json:
    call.params.finish()
    payment = call.store.invoice_payments.get(call.ids["id"])
    if payment is None:
        raise no_such("invoice_payment", call.ids["id"])
    return render_payment(call.store, payment)


def list_payments(call: Call) -> Json:
    invoice = call.params.string("invoice")
    return list_page(
        call,
        call.store.invoice_payments,
        render_payment,
        url="/v1/invoice_payments",
        equal={"invoice": invoice},
    )


# Rendering ---------------------------------------------------------------------------------------


def hosted_url(store: Store, invoice: Invoice) -> str | None:
    if invoice.finalized_at is None:
        return None
    return f"{store.public_url}/i/{invoice.hosted_token}"


def render_invoice(store: Store, invoice: Invoice) -> Json:
    items = items_of(store, invoice)
    subtotal = sum(item.amount for item in items)
    due = amount_due(store, invoice)
    pre_credit, post_credit = credit_notes_amounts(store, invoice)
    finalized = invoice.finalized_at is not None
    customer = store.customers.must(invoice.customer)
    email = invoice.customer_email if finalized else customer.email
    name = invoice.customer_name if finalized else customer.name
    phone = invoice.customer_phone if finalized else customer.phone
    url = hosted_url(store, invoice)
    automatically_finalizes_at = (
        invoice.created + AUTO_FINALIZE_AFTER if invoice.status == "draft" and invoice.auto_advance else None
    )
    return {
        "id": invoice.id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Microcred (local Stripe)",
        "account_tax_ids": None,
        "amount_due": due,
        "amount_overpaid": 0,
        "amount_paid": invoice.amount_paid,
        "amount_paid_off_stripe": invoice.amount_paid_off_stripe,
        "amount_remaining": 0 if invoice.status == "paid" else due - invoice.amount_paid,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": invoice.attempt_count,
        "attempted": invoice.attempted,
        "auto_advance": invoice.auto_advance and invoice.status in ("draft", "open"),
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": automatically_finalizes_at,
        "billing_reason": "manual",
        "collection_method": invoice.collection_method,
        "created": invoice.created,
        "currency": invoice.currency,
        "custom_fields": [dict(field) for field in invoice.custom_fields] if invoice.custom_fields else None,
        "customer": invoice.customer,
        "customer_account": None,
        "customer_address": customer.address,
        "customer_email": email,
        "customer_name": name,
        "customer_phone": phone,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": invoice.description,
        "discounts": [],
        "due_date": invoice.due_date,
        "effective_at": invoice.finalized_at,
        "ending_balance": 0 if finalized else None,
        "footer": invoice.footer,
        "from_invoice": None,
        "hosted_invoice_url": url,
        "invoice_pdf": f"{url}/pdf" if url else None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(
            f"/v1/invoices/{invoice.id}/lines",
            [render_line(store, invoice, item) for item in items[:LINES_SHOWN]],
            len(items) > LINES_SHOWN,
        ),
        "livemode": False,
        "metadata": dict(invoice.metadata),
        "next_payment_attempt": None,
        "number": invoice.number,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": invoice.created,
        "period_start": invoice.created,
        "post_payment_credit_notes_amount": post_credit,
        "pre_payment_credit_notes_amount": pre_credit,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": invoice.status if invoice.status != "deleted" else "draft",
        "status_transitions": {
            "finalized_at": invoice.finalized_at,
            "marked_uncollectible_at": invoice.marked_uncollectible_at,
            "paid_at": invoice.paid_at,
            "voided_at": invoice.voided_at,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "test_clock": None,
        "total": subtotal,
        "total_discount_amounts": [],
        "total_excluding_tax": subtotal,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": invoice.finalized_at,
    }


ROUTES = [
    route("GET", "/v1/invoiceitems", list_items),
    route("POST", "/v1/invoiceitems", create_item),
    route("GET", "/v1/invoiceitems/{id}", retrieve_item),
    route("DELETE", "/v1/invoiceitems/{id}", delete_item),
    route("GET", "/v1/invoices", list_invoices),
    route("POST", "/v1/invoices", create_invoice),
    route("GET", "/v1/invoices/{id}", retrieve_invoice),
    route("POST", "/v1/invoices/{id}", update_invoice),
    route("DELETE", "/v1/invoices/{id}", delete_invoice),
    route("GET", "/v1/invoices/{id}/lines", list_lines),
    route("POST", "/v1/invoices/{id}/finalize", finalize_invoice),
    route("POST", "/v1/invoices/{id}/send", send_invoice),
    route("POST", "/v1/invoices/{id}/pay", pay_invoice),
    route("POST", "/v1/invoices/{id}/void", void_invoice),
    route("POST", "/v1/invoices/{id}/mark_uncollectible", mark_uncollectible),
    route("GET", "/v1/invoice_payments", list_payments),
    route("GET", "/v1/invoice_payments/{id}", retrieve_payment),
]
