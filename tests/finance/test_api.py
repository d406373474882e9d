"""The finance API: the same people see the same things as in the console, by token or session."""

from __future__ import annotations

import pytest
from django.test import Client

from tenants.models import StaffRole
from tenants.selectors import staff_access
from tenants.services import api_token_create
from tests.finance.test_pages import paid_out  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def token_client(world, user, role) -> Client:
    _row, token = api_token_create(
        tenant=world.a, access=staff_access(tenant=world.a, user=user), user=user, role=role, name="books"
    )
    return Client(HTTP_HOST="alpha.test", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_payouts_by_token_with_the_tie_out_by_unit(world, paid_out):  # noqa: F811
    api = token_client(world, world.a_finance_all, StaffRole.FINANCE)
    listing = api.get("/api/v1/finance/payouts/").json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert (row["id"], row["reconciled"], row["problems"], row["currency"]) == (paid_out, "tied", 0, "USD")
    detail = api.get(f"/api/v1/finance/payouts/{paid_out}/").json()
    assert detail["ties_out"] is True
    assert sum(u["net"] for u in detail["units"]) == detail["amount"] == detail["ledger_total"]
    assert {u["unit"] for u in detail["units"]} == {"continuing-ed", "business"}
    assert api.get("/api/v1/finance/payouts/?tie=not_tied").json()["count"] == 0
    bad = api.get("/api/v1/finance/payouts/?start=soon")
    assert bad.status_code == 400
    assert "start" in bad.json()["error"]["fields"]


def test_statements_problems_and_journal_exports(world, paid_out):  # noqa: F811
    api = token_client(world, world.a_finance_all, StaffRole.FINANCE)
    statements = {s["unit"]: s for s in api.get("/api/v1/finance/statements/").json()}
    assert statements["continuing-ed"]["gross"] == 14_000
    assert statements["continuing-ed"]["refunds"] == 2_000
    assert api.get("/api/v1/finance/problems/").json()["count"] == 0
    made = api.post("/api/v1/finance/journal-exports/", {"period_end": "2099-01-01", "currency": "usd"})
    assert made.status_code == 201
    body = made.json()
    assert body["debit_total"] == body["credit_total"] > 0
    lines = api.get(f"/api/v1/finance/journal-exports/{body['id']}/lines/?page_size=100").json()
    assert lines["count"] == body["line_count"]
    again = api.post("/api/v1/finance/journal-exports/", {"period_end": "2099-01-01", "currency": "USD"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "nothing_to_export"


def test_scope_holds_in_the_api(world, paid_out):  # noqa: F811
    unit2 = token_client(world, world.a_finance_unit2, StaffRole.FINANCE)
    detail = unit2.get(f"/api/v1/finance/payouts/{paid_out}/").json()
    assert [u["unit"] for u in detail["units"]] == ["business"]
    assert detail["other_units_hidden"] is True
    assert unit2.get("/api/v1/finance/journal-exports/").status_code == 404
    admin = token_client(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)
    assert admin.get("/api/v1/finance/payouts/").status_code == 404
    assert [s["unit"] for s in admin.get("/api/v1/finance/statements/").json()] == ["continuing-ed"]
    learner = Client(HTTP_HOST="alpha.test")
    learner.force_login(world.learner)
    assert learner.get("/api/v1/finance/payouts/").status_code == 404
    other = Client(HTTP_HOST="beta.test")
    other.force_login(world.b_admin)
    assert other.get(f"/api/v1/finance/payouts/{paid_out}/").status_code == 404


def test_a_payout_with_a_problem_does_not_tie_out_on_the_page_or_the_api(world, paid_out):  # noqa: F811
    from finance.models import Payout

    Payout.objects.filter(tenant=world.a, stripe_id=paid_out).update(problem_count=1)
    api = token_client(world, world.a_finance_all, StaffRole.FINANCE)
    assert api.get(f"/api/v1/finance/payouts/{paid_out}/").json()["ties_out"] is False
    page = world.client_for(world.a_finance_all, world.a).get(f"/console/finance/payouts/{paid_out}/")
    assert "Does not tie out" in page.content.decode()
