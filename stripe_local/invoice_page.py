"""The hosted invoice page at an invoice's `hosted_invoice_url` (`/i/<token>`), and its PDF
(`/i/<token>/pdf`): test-mode stand-ins for Stripe's.

The page shows the invoice (number, dates, lines, amount due, status) and, while it is open or
uncollectible, a card form like the checkout page's (same fields, errors, focus and sizes); a
successful payment redirects (303) back to the page, which then says it is paid. The PDF is a
real one-page PDF (Helvetica, no images) with the same facts. Both list the invoice's issued
credit notes above the amount remaining; a credit note's own PDF is at
`/i/<token>/credit_notes/<id>/pdf`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape

from stripe_local import cards
from stripe_local.checkout_page import FormState, _document, _input, _test_cards_table
from stripe_local.models import CreditNote, Invoice
from stripe_local.money import format_amount
from stripe_local.resources import invoices
from stripe_local.routes import tick
from stripe_local.store import Store

STATUS_WORDS = {
    "open": "Due",
    "paid": "Paid",
    "void": "Void",
    "uncollectible": "Due (marked uncollectible)",
}


@dataclass
class Document:
    status: int
    body: bytes
    content_type: str
    location: str | None = None


def _date(timestamp: int | None) -> str:
    if timestamp is None:
        return "—"
    return time.strftime("%d %B %Y", time.gmtime(timestamp)).lstrip("0")


def _facts(store: Store, invoice: Invoice) -> list[tuple[str, str]]:
    facts = [
        ("Invoice number", invoice.number or ""),
        ("Date of issue", _date(invoice.finalized_at)),
        ("Date due", _date(invoice.due_date)),
        ("Billed to", ", ".join(part for part in (invoice.customer_name, invoice.customer_email) if part)),
        ("Status", STATUS_WORDS.get(invoice.status, invoice.status)),
    ]
    if invoice.paid_at is not None:
        facts.append(("Paid on", _date(invoice.paid_at)))
    return facts


def _remaining(store: Store, invoice: Invoice) -> int:
    return 0 if invoice.status == "paid" else invoices.amount_due(store, invoice) - invoice.amount_paid


def _credits(store: Store, invoice: Invoice) -> list[CreditNote]:
    return [n for n in store.credit_notes.where("invoice", invoice.id) if n.status == "issued"]


def _summary(store: Store, invoice: Invoice) -> str:
    items = "".join(
        f"<li><span>{escape(item.description or 'Invoice item')}"
        f"{f' × {item.quantity}' if item.quantity > 1 else ''}</span>"
        f'<span class="amount">{format_amount(item.amount, item.currency)}</span></li>'
        for item in invoices.items_of(store, invoice)
    )
    facts = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in _facts(store, invoice)
    )
    total = format_amount(invoices.total(store, invoice), invoice.currency)
    remaining = format_amount(_remaining(store, invoice), invoice.currency)
    return (
        '<section class="card" aria-labelledby="invoice-title">'
        f'<h2 id="invoice-title">Invoice {escape(invoice.number or "")}</h2>'
        f'<dl class="facts">{facts}</dl>'
        f'<ul class="items">{items}</ul>'
        f'<p class="total"><span>Total</span><span class="amount">{total}</span></p>'
        + "".join(
            f'<p class="total"><span>Credit note {escape(note.number)}</span>'
            f'<span class="amount">−{format_amount(note.amount, note.currency)}</span></p>'
            for note in _credits(store, invoice)
        )
        + f'<p class="total"><span>Amount remaining</span><span class="amount">{remaining}</span></p>'
        f'<p><a class="back" href="/i/{escape(invoice.hosted_token)}/pdf">Download invoice (PDF)</a></p>'
        "</section>"
    )


EXTRA_STYLE = (
    "<style>dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1rem}"
    "dl.facts dt{font-weight:600}dl.facts dd{margin:0}</style>"
)


def render(store: Store, invoice: Invoice, state: FormState) -> bytes:
    remaining = format_amount(_remaining(store, invoice), invoice.currency)
    alert = ""
    if state.alert:
        alert = (
            '<div class="alert" role="alert"><h2>Payment not completed</h2>'
            f"<p>{escape(state.alert)}</p></div>"
        )
    if invoice.status in ("open", "uncollectible"):
        heading = f"Pay {remaining}"
        action = f"/i/{escape(invoice.hosted_token)}"
        body = (
            f'<form method="post" action="{action}" novalidate class="card" aria-labelledby="card-title">'
            '<h2 id="card-title">Pay by card</h2>'
            "<fieldset><legend>Card information</legend>"
            + _input(
                "number",
                "Card number",
                state,
                autocomplete="cc-number",
                inputmode="numeric",
                hint="16 digits, as on the card",
            )
            + '<div class="row"><div>'
            + _input(
                "expiry", "Expiry date", state, autocomplete="cc-exp", inputmode="numeric", hint="MM / YY"
            )
            + "</div><div>"
            + _input(
                "cvc",
                "Security code",
                state,
                autocomplete="cc-csc",
                inputmode="numeric",
                hint="3 or 4 digits",
            )
            + "</div></div></fieldset>"
            + _input("name", "Name on card", state, autocomplete="cc-name")
            + f'<button type="submit">Pay {remaining}</button></form>'
            + _test_cards_table()
        )
    elif invoice.status == "paid":
        heading = "Invoice paid"
        body = '<div class="done" role="status"><p>This invoice has been paid. Thank you.</p></div>'
    else:
        heading = "This invoice is void"
        body = '<div class="card"><p>This invoice was voided: nothing is due.</p></div>'
    title = f"{heading} — invoice {invoice.number} (test mode)"
    page = _document(title, f"<h1>{escape(heading)}</h1>{alert}{_summary(store, invoice)}{body}")
    return page.replace(b"</head>", EXTRA_STYLE.encode() + b"</head>", 1)


def _not_found() -> Document:
    body = _document(
        "Invoice not found",
        '<h1>Invoice not found</h1><div class="card"><p>There is no invoice at this address.</p></div>',
    )
    return Document(404, body, "text/html; charset=utf-8")


def handle(store: Store, method: str, path: str, form: dict[str, str]) -> Document:
    """`path` is what follows `/i/`: `<token>` (the page) or `<token>/pdf`."""
    token, _, rest = path.strip("/").partition("/")
    with store.lock:
        tick(store)
        invoice = invoices.by_token(store, token)
        note = _credit_note_at(store, invoice, rest)
        if invoice is None or (rest not in ("", "pdf") and note is None) or method not in ("GET", "POST"):
            return _not_found()
        if rest != "" and method != "GET":
            return Document(405, b"Only GET.", "text/plain; charset=utf-8")
        if note is not None:
            return Document(200, render_credit_note_pdf(store, invoice, note), "application/pdf")
        if rest == "pdf":
            return Document(200, render_pdf(store, invoice), "application/pdf")
        if method == "GET" or invoice.status not in ("open", "uncollectible"):
            return Document(200, render(store, invoice, FormState()), "text/html; charset=utf-8")
        return _pay(store, invoice, form)


def _pay(store: Store, invoice: Invoice, form: dict[str, str]) -> Document:
    state = FormState(values=dict(form))
    html = "text/html; charset=utf-8"
    try:
        card = cards.read_card(store, form.get("number", ""), form.get("expiry", ""), form.get("cvc", ""))
    except cards.CardInputError as problem:
        state.errors[problem.field] = problem.message
        return Document(400, render(store, invoice, state), html)
    name = form.get("name", "").strip() or None
    charge = invoices.pay_with_card(
        store,
        invoice,
        cards.lookup(card.number),
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        name=name,
    )
    if charge.paid:
        return Document(303, b"", html, location=f"/i/{invoice.hosted_token}")
    state.alert = charge.failure_message or "Your card was declined."
    state.errors["number"] = "Try another card."
    return Document(402, render(store, invoice, state), html)


# The PDF -----------------------------------------------------------------------------------------


def _pdf_text(value: str) -> str:
    """A PDF string literal's contents: Latin-1 (others become ?), with \\, ( and ) escaped."""
    latin = value.replace("—", "-").replace("×", "x").encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _credit_note_at(store: Store, invoice: Invoice | None, rest: str) -> CreditNote | None:
    """The credit note of `invoice` whose PDF is at `credit_notes/<id>/pdf`."""
    parts = rest.split("/")
    if invoice is None or len(parts) != 3 or parts[0] != "credit_notes" or parts[2] != "pdf":
        return None
    note = store.credit_notes.get(parts[1])
    return note if note is not None and note.invoice == invoice.id else None


def render_credit_note_pdf(store: Store, invoice: Invoice, note: CreditNote) -> bytes:
    lines: list[tuple[int, str]] = [
        (18, f"Credit note {note.number}"),
        (10, "Test mode - no real money"),
        (11, f"Invoice: {invoice.number or ''}"),
        (11, f"Date of issue: {_date(note.created)}"),
        (11, f"Status: {'Void' if note.status == 'void' else 'Issued'}"),
        (11, f"Reason: {note.reason or '-'}"),
        (11, ""),
    ]
    for line in note.lines:
        quantity = f" x {line.quantity}" if line.quantity > 1 else ""
        lines.append(
            (11, f"{line.description or 'Credit'}{quantity}    {format_amount(line.amount, note.currency)}")
        )
    lines.append((12, f"Total credited: {format_amount(note.amount, note.currency)}"))
    if note.memo:
        lines.append((11, f"Memo: {note.memo}"))
    return _pdf(lines)


def render_pdf(store: Store, invoice: Invoice) -> bytes:
    lines: list[tuple[int, str]] = [
        (18, f"Invoice {invoice.number or ''}"),
        (10, "Test mode - no real money"),
    ]
    lines += [(11, f"{name}: {value}") for name, value in _facts(store, invoice)]
    lines.append((11, ""))
    for item in invoices.items_of(store, invoice):
        quantity = f" x {item.quantity}" if item.quantity > 1 else ""
        amount = format_amount(item.amount, item.currency)
        lines.append((11, f"{item.description or 'Invoice item'}{quantity}    {amount}"))
    lines.append((11, ""))
    lines.append((12, f"Total: {format_amount(invoices.total(store, invoice), invoice.currency)}"))
    for note in _credits(store, invoice):
        lines.append((11, f"Credit note {note.number}    -{format_amount(note.amount, note.currency)}"))
    lines.append((12, f"Amount remaining: {format_amount(_remaining(store, invoice), invoice.currency)}"))
    return _pdf(lines)


def _pdf(lines: list[tuple[int, str]]) -> bytes:
    """A one-page PDF 1.4 of these (font size, text) lines, top to bottom."""
    commands = ["BT", "/F1 11 Tf", "50 790 Td"]
    for size, text in lines:
        commands += [f"/F1 {size} Tf", f"0 -{size + 8} Td", f"({_pdf_text(text)}) Tj"]
    commands.append("ET")
    stream = "\n".join(commands).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
