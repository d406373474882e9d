"""The finance console: who sees what, the tie-out by unit, filters, CSVs, journal exports."""

from __future__ import annotations

import csv
import io

import pytest

from finance.models import JournalExport
from finance.services.imports import stripe_import
from finance.services.payout_posting import payouts_post
from finance.services.reconcile import reconcile
from ledger.models import LedgerTransaction, TransactionKind
from ledger.services import ChargeLine, ledger_reverse
from tests.finance.activity import at, charge, refund

pytestmark = pytest.mark.django_db(transaction=True)
DAY = 86_400


@pytest.fixture
def paid_out(world, sdk, control):
    """Unit 1 and unit 2 sold; a partial refund; one payout, imported and reconciled."""
    u1, u2 = world.a_unit1, world.a_unit2
    c1 = charge(world.a, sdk, [ChargeLine(u1.pk, 12_000, "line:1")])
    charge(world.a, sdk, [ChargeLine(u2.pk, 8_000, "line:2"), ChargeLine(u1.pk, 2_000, "line:3")])
    refund(world.a, sdk, c1, u1, 2_000)
    control.advance_clock(2 * DAY + 1)
    payout_id = control.trigger_payout("usd")["id"]
    control.advance_clock(DAY + 1)
    stripe_import(tenant=world.a, client=sdk, trigger="test")
    payouts_post(tenant=world.a)
    reconcile(tenant=world.a)
    return payout_id


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_finance_sees_the_payout_tied_out_by_unit(world, paid_out):
    client = world.client_for(world.a_finance_all, world.a)
    listing = client.get("/console/finance/")
    assert listing.status_code == 200
    assert paid_out in listing.content.decode()
    assert "Ties out" in listing.content.decode()
    detail = client.get(f"/console/finance/payouts/{paid_out}/").content.decode()
    assert "Ties out: the units" in detail
    # Unit 1: 12,000 + 2,000 gross, 2,000 refunded; unit 2: 8,000 gross.
    assert "Alpha Continuing Ed" in detail
    assert "Alpha Business School" in detail
    for figure in ("$140.00", "$80.00", "$20.00"):
        assert figure in detail


def test_finance_of_unit_2_sees_only_unit_2s_items(world, paid_out):
    client = world.client_for(world.a_finance_unit2, world.a)
    detail = client.get(f"/console/finance/payouts/{paid_out}/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Alpha Business School" in page
    assert "Alpha Continuing Ed" not in page
    assert "outside your access" in page
    items = rows_of(client.get(f"/console/finance/payouts/{paid_out}/items.csv"))
    assert {row[1] for row in items[1:]} == {"business"}
    statements = rows_of(client.get("/console/finance/statements.csv"))
    assert [row[0] for row in statements[1:]] == ["business"]
    assert client.get("/console/finance/journals/").status_code == 404  # tenant-wide finance only


def test_unit_admin_sees_only_their_units_statement(world, paid_out):
    client = world.client_for(world.a_unit1_admin, world.a)
    assert client.get("/console/finance/").status_code == 404
    assert client.get(f"/console/finance/payouts/{paid_out}/").status_code == 404
    assert client.get("/console/finance/problems/").status_code == 404
    page = client.get("/console/finance/statements/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alpha Continuing Ed" in text
    assert "Alpha Business School" not in text
    assert "<svg" in text
    assert "Net per unit per month" in text
    rows = rows_of(client.get("/console/finance/statements.csv"))
    assert rows[0][:3] == ["unit", "unit_name", "gl_code"]
    # gross 14,000 − refunds 2,000 − its fee share.
    assert (rows[1][0], rows[1][5], rows[1][6]) == ("continuing-ed", "140.00", "20.00")
    assert rows[1][-1] == "USD"


def test_a_tenant_admin_without_the_finance_role_reads_statements_not_payouts(world, paid_out):
    client = world.client_for(world.a_admin, world.a)
    assert client.get("/console/finance/").status_code == 404
    assert client.get(f"/console/finance/payouts/{paid_out}/").status_code == 404
    assert client.get("/console/finance/problems/").status_code == 404
    page = client.get("/console/finance/statements/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alpha Continuing Ed" in text
    assert "Alpha Business School" in text
    nav = client.get("/console/").content.decode()
    assert "/console/finance/statements/" in nav
    assert 'href="/console/finance/"' not in nav


@pytest.mark.parametrize("who", ["learner", "b_admin", "anonymous"])
def test_everyone_else_gets_a_404_or_signs_in(world, paid_out, who):
    user = None if who == "anonymous" else getattr(world, who)
    client = world.client_for(user, world.a)
    for path in (
        "/console/finance/",
        f"/console/finance/payouts/{paid_out}/",
        "/console/finance/statements/",
    ):
        answer = client.get(path)
        assert answer.status_code == (302 if who == "anonymous" else 404), path


def test_another_tenants_payout_is_a_404(world, paid_out):
    client = world.client_for(world.b_admin, world.b)
    assert client.get(f"/console/finance/payouts/{paid_out}/").status_code == 404


def test_csv_cells_never_run_as_formulas(world, paid_out):
    world.a_unit2.name = '=HYPERLINK("http://evil.test","x")'
    world.a_unit2.save()
    rows = rows_of(world.client_for(world.a_finance_all, world.a).get("/console/finance/statements.csv"))
    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.test","x")' in names
    assert all(not n.startswith("=") for n in names)


def test_filters_narrow_the_lists(world, paid_out):
    client = world.client_for(world.a_finance_all, world.a)
    assert paid_out not in client.get("/console/finance/?status=failed").content.decode()
    assert paid_out in client.get("/console/finance/?status=paid&tie=tied").content.decode()
    bad = client.get("/console/finance/?start=2030-01-02&end=2030-01-01")
    assert "The end comes before the start." in bad.content.decode()


def test_journal_export_balances_and_continues_where_it_left(world, paid_out, control):
    client = world.client_for(world.a_finance_all, world.a)
    answer = client.post("/console/finance/journals/", {"period_end": "2099-12-31", "currency": "USD"})
    assert answer.status_code == 302
    first = JournalExport.objects.get(tenant=world.a)
    lines = rows_of(client.get(f"/console/finance/journals/{first.pk}.csv"))
    header, body = lines[0], lines[1:]
    assert header[:4] == ["journal_id", "entry_id", "date_utc", "transaction"]
    debit = sum(float(r[8] or 0) for r in body)
    credit = sum(float(r[9] or 0) for r in body)
    assert round(debit, 2) == round(credit, 2) == first.debit_total / 100
    assert {r[7] for r in body if r[6] == "continuing-ed"} == {world.a_unit1.gl_code}
    assert any(r[4] == paid_out and r[5] == "bank" for r in body)
    # Nothing new: refused, nothing recorded.
    again = client.post("/console/finance/journals/", {"period_end": "2099-12-31", "currency": "USD"})
    assert again.status_code == 409
    assert JournalExport.objects.filter(tenant=world.a).count() == 1
    # A correction later lands in the next export; the first export's lines do not change.
    refund_txn = LedgerTransaction.objects.get(tenant=world.a, kind=TransactionKind.REFUND)
    ledger_reverse(
        transaction=refund_txn,
        source_ref=f"{refund_txn.source_ref}:fix",
        memo="typo",
        occurred_at=at(control.now()),
    )
    client.post("/console/finance/journals/", {"period_end": "2099-12-31", "currency": "USD"})
    second = JournalExport.objects.filter(tenant=world.a).order_by("-pk").first()
    assert second is not None
    assert (second.pk != first.pk, second.line_count) == (True, 2)
    assert rows_of(client.get(f"/console/finance/journals/{first.pk}.csv")) == lines


@pytest.mark.parametrize(
    "url",
    [
        "/console/finance/payouts.csv?start=2030-01-02&end=2030-01-01",
        "/console/finance/payouts.csv?start=not-a-date",
        "/console/finance/problems.csv?kind=nonsense",
        "/console/finance/statements.csv?end=31/31/2030",
    ],
)
def test_a_csv_with_filters_that_do_not_validate_is_a_400_naming_them(world, paid_out, url):
    answer = world.client_for(world.a_finance_all, world.a).get(url)
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("text/plain")
    body = answer.content.decode()
    assert body.startswith("Some filters are not valid:")
    assert paid_out not in body


def test_a_csv_names_the_filter_that_is_wrong(world, paid_out):
    client = world.client_for(world.a_finance_all, world.a)
    assert "start: Enter a valid date." in client.get("/console/finance/payouts.csv?start=x").content.decode()
    assert (
        "The end comes before the start."
        in client.get("/console/finance/problems.csv?start=2030-01-02&end=2030-01-01").content.decode()
    )
    assert client.get("/console/finance/payouts.csv").status_code == 200
    assert client.get("/console/finance/payouts.csv?status=paid").status_code == 200
