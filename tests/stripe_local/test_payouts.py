"""Payouts sweep what is available, arrive a day later, and the balance transactions they
swept are listed by payout, page after page."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_local.support import paid_charge

DAY = 86_400


def test_a_payout_sweeps_only_the_available_balance(server, sdk, control, receiver):
    old = paid_charge(server, sdk, 4900)
    control.advance_clock(DAY)
    new = paid_charge(server, sdk, 1000)
    control.advance_clock(DAY)  # the first charge is now two days old
    payout = control.trigger_payout("usd")
    assert (payout["amount"], payout["status"], payout["automatic"]) == (4728, "in_transit", True)
    assert payout["arrival_date"] == control.now() + DAY
    swept = sdk.v1.balance_transactions.list(params={"payout": payout["id"]}).data
    assert sorted((t.type, t.source) for t in swept) == [("charge", old.id), ("payout", payout["id"])]
    own = sdk.v1.balance_transactions.retrieve(payout["balance_transaction"])
    assert (own.type, own.amount, own.net) == ("payout", -4728, -4728)
    balance = sdk.v1.balance.retrieve()
    assert [(b.currency, b.amount) for b in balance.available] == [("usd", 0)]
    assert [(b.currency, b.amount) for b in balance.pending] == [("usd", 1000 - 59)]

    status, body = control.request("POST", "payouts", {"currency": "usd"})
    assert (status, body["error"]["code"]) == (400, "balance_insufficient")

    control.advance_clock(DAY)
    second = control.trigger_payout("usd")
    assert second["amount"] == 941
    swept = sdk.v1.balance_transactions.list(params={"payout": second["id"], "type": "charge"}).data
    assert [t.source for t in swept] == [new.id]


def test_a_payout_arrives_paid_and_is_reconciled(server, sdk, control, receiver):
    paid_charge(server, sdk, 4900, card="4000000000000077")
    payout = control.trigger_payout()
    assert sdk.v1.payouts.retrieve(payout["id"]).reconciliation_status == "in_progress"
    control.advance_clock(DAY)
    arrived = sdk.v1.payouts.retrieve(payout["id"])
    assert (arrived.status, arrived.reconciliation_status) == ("paid", "completed")
    assert control.wait_for_webhooks()
    payout_events = [
        (e["type"], e["data"]["object"]["status"])
        for e in receiver.events()
        if e["type"].startswith("payout.")
    ]
    assert payout_events == [
        ("payout.created", "in_transit"),
        ("payout.paid", "paid"),
        ("payout.updated", "paid"),
        ("payout.reconciliation_completed", "paid"),
    ]


def test_a_payout_can_be_made_to_fail(server, sdk, control):
    paid_charge(server, sdk, 4900, card="4000000000000077")
    payout = control.trigger_payout(fail_with="account_closed")
    control.advance_clock(DAY)
    failed = sdk.v1.payouts.retrieve(payout["id"])
    assert (failed.status, failed.failure_code) == ("failed", "account_closed")
    back = sdk.v1.balance_transactions.retrieve(failed.failure_balance_transaction)
    assert (back.type, back.amount) == ("payout_failure", 4728)
    assert [(b.currency, b.amount) for b in sdk.v1.balance.retrieve().available] == [("usd", 4728)]


def test_a_manual_payout_cannot_filter_balance_transactions(server, sdk):
    paid_charge(server, sdk, 4900, card="4000000000000077")
    payout = sdk.v1.payouts.create(params={"amount": 1000, "currency": "usd"})
    assert (payout.automatic, payout.reconciliation_status) == (False, "not_applicable")
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.balance_transactions.list(params={"payout": payout.id})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.payouts.create(params={"amount": 999_999, "currency": "usd"})
    assert raised.value.code == "balance_insufficient"


def test_listing_by_payout_pages_through_every_swept_transaction(sdk, control):
    control.seed_charges(250, amount=1000)
    payout = control.trigger_payout()
    assert payout["amount"] == 250 * 941
    pages = sdk.v1.balance_transactions.list(params={"payout": payout["id"], "limit": 100})
    assert pages.has_more is True
    seen = [t.id for t in pages.auto_paging_iter()]
    assert len(seen) == len(set(seen)) == 251
    assert control.requests_to("GET", "/v1/balance_transactions") == 3


def test_created_filters_and_backwards_pages(sdk, control):
    control.seed_charges(5, amount=1000)
    start = control.advance_clock(60)
    control.seed_charges(7, amount=2000)
    recent = sdk.v1.balance_transactions.list(params={"created": {"gte": start}, "limit": 3})
    ids = [t.id for t in recent.auto_paging_iter()]
    assert len(ids) == 7
    assert all(
        t.amount == 2000 for t in sdk.v1.balance_transactions.list(params={"created": {"gte": start}}).data
    )
    older = sdk.v1.balance_transactions.list(params={"created": {"lt": start}, "limit": 100}).data
    assert len(older) == 5
    before = sdk.v1.balance_transactions.list(params={"ending_before": ids[3], "limit": 2})
    assert [t.id for t in before.data] == ids[1:3]
    assert before.has_more is True


def test_a_page_deep_into_200_000_rows_examines_only_its_own_rows(server, sdk, control):
    """Listing is indexed: a page filtered by payout and created, at any depth, looks at no more
    rows than it returns (plus one to know whether more follow) — no scan."""
    seeded = control.seed_charges(200_000, amount=1000)
    payout = control.trigger_payout()
    oldest = sdk.v1.charges.retrieve(seeded["first"]).balance_transaction
    collection = server.store.balance_transactions
    base = {"payout": payout["id"], "limit": 100, "created": {"gte": control.now() - 60}}

    first = sdk.v1.balance_transactions.list(params=base)
    assert (len(first.data), first.has_more, collection.examined) == (100, True, 101)
    deep = sdk.v1.balance_transactions.list(params={**base, "ending_before": oldest})
    assert (len(deep.data), deep.has_more, collection.examined) == (100, True, 101)
    last = sdk.v1.balance_transactions.list(params={**base, "starting_after": deep.data[0].id})
    assert [len(last.data), last.has_more] == [100, False]
    assert last.data[-1].id == oldest
    assert collection.examined == 100
