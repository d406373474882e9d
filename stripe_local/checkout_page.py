"""The hosted checkout page at a session's `url`: a test-mode stand-in for Stripe's.

Plain HTML, no script: labelled fields with the autocomplete tokens browsers and password
managers know, errors beside their fields (tied by `aria-describedby`) and announced, visible
focus, 44-pixel targets, one column from a 320-pixel phone up. A successful payment redirects
(303) to the session's `success_url`, with `{CHECKOUT_SESSION_ID}` filled in as Stripe does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from stripe_local import cards
from stripe_local.cards import TEST_CARDS
from stripe_local.models import CheckoutSession
from stripe_local.money import format_amount
from stripe_local.params import EMAIL
from stripe_local.resources import checkout
from stripe_local.resources.charges import TEST_IBANS
from stripe_local.routes import tick
from stripe_local.store import Store


@dataclass
class Page:
    status: int
    body: bytes = b""
    location: str | None = None


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    alert: str | None = None
    method: str = "card"  # the form that was sent


STYLE = """
*{box-sizing:border-box}
body{
  margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
  background:#f6f8fa}
main{max-width:32rem;margin:0 auto;padding:1rem}
.test{
  background:#fff3cd;color:#4d3a00;border:1px solid #c9a227;border-radius:.5rem;
  padding:.5rem .75rem;margin:0 0 1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin-bottom:1rem}
.card>h2:first-child{margin-top:0}
.amount{white-space:nowrap}
ul.items{list-style:none;margin:0;padding:0}
ul.items li{display:flex;justify-content:space-between;gap:1rem;padding:.25rem 0}
.total{
  display:flex;justify-content:space-between;font-weight:700;border-top:1px solid #d0d7de;
  padding-top:.5rem;margin-top:.5rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
fieldset{border:0;margin:0;padding:0}
legend{font-weight:700;padding:0;margin-top:.75rem}
input{
  display:block;width:100%;min-height:44px;padding:.5rem .75rem;font:inherit;
  border:1px solid #57606a;border-radius:.375rem;background:#fff;color:#1a1a1a}
input[aria-invalid=true]{border:2px solid #b00020}
.row{display:grid;grid-template-columns:1fr 1fr;gap:.75rem}
.hint{color:#4b5563;font-size:.875rem;margin:.25rem 0 0}
.field-error{color:#b00020;font-weight:600;margin:.25rem 0 0}
button{
  display:block;width:100%;min-height:44px;margin-top:1.25rem;padding:.75rem 1rem;font:inherit;
  font-weight:700;color:#fff;background:#0a2540;border:0;border-radius:.375rem;cursor:pointer}
button.secondary{background:#fff;color:#0a2540;border:2px solid #0a2540}
a{color:#0a58ca}
a.back{display:inline-block;min-height:44px;padding:.6rem 0}
:focus-visible{outline:3px solid #0a58ca;outline-offset:2px}
.alert{
  border:2px solid #b00020;background:#fdecee;color:#5c0011;border-radius:.5rem;padding:.75rem;
  margin-bottom:1rem}
.done{border:2px solid #1a7f37;background:#e6f4ea;border-radius:.5rem;padding:.75rem}
table{width:100%;border-collapse:collapse;font-size:.875rem}
th,td{text-align:left;padding:.25rem;border-bottom:1px solid #d0d7de}
summary{min-height:44px;padding:.6rem 0;cursor:pointer}
@media (max-width:359px){.row{grid-template-columns:1fr}}
"""


def _document(title: str, body: str) -> bytes:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f'<body><main id="main">'
        '<p class="test"><strong>Test mode.</strong> '
        "This is the local Stripe server: no real money moves.</p>"
        f"{body}</main></body></html>"
    ).encode()


def _success_location(session: CheckoutSession) -> str:
    return session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id)


def _summary(session: CheckoutSession) -> str:
    items = "".join(
        f"<li><span>{escape(item.description)}"
        f"{f' × {item.quantity}' if item.quantity > 1 else ''}</span>"
        f'<span class="amount">{format_amount(item.amount, session.currency)}</span></li>'
        for item in session.line_items
    )
    total = format_amount(session.amount_total, session.currency)
    return (
        '<section class="card" aria-labelledby="summary-title"><h2 id="summary-title">Order summary</h2>'
        f'<ul class="items">{items}</ul>'
        f'<p class="total"><span>Total due</span><span class="amount">{total}</span></p></section>'
    )


def _input(
    name: str, label: str, state: FormState, *, autocomplete: str, form: str = "card", **attributes: str
) -> str:
    """A labelled field of the card form or (`form="sepa_debit"`, ids prefixed `bank-`) the bank
    form; errors show in the form that was sent."""
    field_id = name if form == "card" else f"bank-{name}"
    value = state.values.get(name, "")
    error = state.errors.get(name) if state.method == form else None
    described = []
    hint = attributes.pop("hint", None)
    extra = "".join(f' {key.replace("_", "-")}="{escape(val)}"' for key, val in attributes.items())
    hint_html = ""
    if hint:
        hint_html = f'<p class="hint" id="{field_id}-hint">{escape(hint)}</p>'
        described.append(f"{field_id}-hint")
    error_html = ""
    if error:
        error_html = f'<p class="field-error" id="{field_id}-error">{escape(error)}</p>'
        described.append(f"{field_id}-error")
    aria = f' aria-describedby="{" ".join(described)}"' if described else ""
    invalid = ' aria-invalid="true" autofocus' if error else ""
    return (
        f'<label for="{field_id}">{escape(label)}</label>{hint_html}'
        f'<input id="{field_id}" name="{name}" autocomplete="{autocomplete}" value="{escape(value)}"'
        f"{extra}{aria}{invalid}>{error_html}"
    )


def _test_cards_table() -> str:
    rows = "".join(
        f"<tr><td>{' '.join(card.number[i : i + 4] for i in range(0, len(card.number), 4))}</td>"
        f"<td>{escape(card.summary)}</td></tr>"
        for card in TEST_CARDS.values()
    )
    return (
        "<details><summary>Test cards</summary>"
        "<p>Any future expiry date and any 3-digit CVC (4 digits for American Express).</p>"
        f'<table><thead><tr><th scope="col">Number</th><th scope="col">Outcome</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
    )


def render_form(session: CheckoutSession, state: FormState, known_email: str | None = None) -> bytes:
    """`known_email`: the session's `customer`'s e-mail, asked no more than `customer_email` is."""
    prefilled = session.customer_email or known_email
    total = format_amount(session.amount_total, session.currency)
    alert = ""
    if state.alert:
        alert = (
            '<div class="alert" role="alert"><h2>Payment not completed</h2>'
            f"<p>{escape(state.alert)}</p></div>"
        )
    email_field = ""
    if prefilled:
        email_field = f"<p>Receipt to <strong>{escape(prefilled)}</strong></p>"
    else:
        email_field = _input("email", "Email", state, autocomplete="email", type="email", required="required")
    action = f"/c/pay/{escape(session.id)}"
    card_form = (
        f'<form method="post" action="{action}" novalidate class="card" aria-labelledby="card-title">'
        '<h2 id="card-title">Pay by card</h2>'
        '<input type="hidden" name="method" value="card">'
        f"{email_field}"
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
        + _input("expiry", "Expiry date", state, autocomplete="cc-exp", inputmode="numeric", hint="MM / YY")
        + "</div><div>"
        + _input(
            "cvc", "Security code", state, autocomplete="cc-csc", inputmode="numeric", hint="3 or 4 digits"
        )
        + "</div></div></fieldset>"
        + _input("name", "Name on card", state, autocomplete="cc-name")
        + f'<button type="submit">Pay {total}</button></form>'
    )
    bank_form = ""
    if "sepa_debit" in session.payment_method_types:
        bank_form = (
            f'<form method="post" action="{action}" novalidate class="card" aria-labelledby="bank-title">'
            '<h2 id="bank-title">Or pay by SEPA Direct Debit</h2>'
            '<input type="hidden" name="method" value="sepa_debit">'
            + (
                ""
                if prefilled
                else _input("email", "Email", state, autocomplete="email", form="sepa_debit", type="email")
            )
            + _input(
                "iban",
                "IBAN",
                state,
                autocomplete="off",
                form="sepa_debit",
                hint="Test IBANs: " + ", ".join(TEST_IBANS),
            )
            + _input("account_holder", "Account holder", state, autocomplete="name", form="sepa_debit")
            + f'<button type="submit" class="secondary">Debit {total}</button></form>'
        )
    cancel = ""
    if session.cancel_url:
        cancel = f'<p><a class="back" href="{escape(session.cancel_url)}">Cancel and go back</a></p>'
    return _document(
        f"Pay {total} — test checkout",
        f"<h1>Pay {total}</h1>{alert}{_summary(session)}{card_form}{bank_form}{cancel}{_test_cards_table()}",
    )


def _message_page(title: str, message: str, link: tuple[str, str] | None, *, done: bool = False) -> bytes:
    link_html = f'<p><a class="back" href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    css = "done" if done else "card"
    return _document(
        title, f'<h1>{escape(title)}</h1><div class="{css}"><p>{escape(message)}</p></div>{link_html}'
    )


def _closed(session: CheckoutSession) -> Page:
    if session.status == "complete":
        return Page(
            200,
            _message_page(
                "Payment received",
                "This checkout session is complete.",
                (_success_location(session), "Continue"),
                done=True,
            ),
        )
    link = (session.cancel_url, "Go back") if session.cancel_url else None
    return Page(410, _message_page("This checkout has expired", "Start again from the shop to pay.", link))


def handle(store: Store, method: str, session_id: str, form: dict[str, str]) -> Page:
    with store.lock:
        tick(store)
        session = store.sessions.get(session_id)
        if session is None:
            return Page(
                404,
                _message_page("Checkout not found", "There is no checkout session at this address.", None),
            )
        if session.status != "open":
            return _closed(session)
        if method == "GET":
            return Page(200, render_form(session, FormState(), checkout.known_email(store, session)))
        return _pay(store, session, form)


def _pay(store: Store, session: CheckoutSession, form: dict[str, str]) -> Page:
    method = "sepa_debit" if form.get("method") == "sepa_debit" else "card"
    state = FormState(values={key: value for key, value in form.items() if key != "method"}, method=method)
    email = form.get("email", "").strip() or None
    known = checkout.known_email(store, session)
    if not (session.customer_email or known) and (email is None or not EMAIL.match(email)):
        state.errors["email"] = "Enter an email address like name@example.com."
        return Page(400, render_form(session, state, known))
    try:
        if method == "sepa_debit":
            name = form.get("account_holder", "").strip() or None
            checkout.pay_with_iban(store, session, form.get("iban", ""), name=name, email=email)
            return Page(303, location=_success_location(session))
        card = cards.read_card(store, form.get("number", ""), form.get("expiry", ""), form.get("cvc", ""))
        name = form.get("name", "").strip() or None
        charge = checkout.pay_with_card(store, session, card, name=name, email=email)
    except cards.CardInputError as problem:
        state.errors[problem.field] = problem.message
        return Page(400, render_form(session, state, known))
    if charge.paid:
        return Page(303, location=_success_location(session))
    state.alert = charge.failure_message or "Your card was declined."
    state.errors["number"] = "Try another card."
    return Page(402, render_form(session, state, known))
