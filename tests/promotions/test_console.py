"""The console's promotion codes: unit admins make codes for their units, tenant admins also
tenant-wide ones; batches of single-use codes download as CSV; a code can be withdrawn; bad input
is said beside its field and saves nothing; staff waive a held seat's fee from the roster."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail

from enrollment import services as enrollment_services
from promotions.models import CodeBatch, PromotionCode
from tests.catalog.factories import OfferingFactory
from tests.conftest import World
from tests.payments.conftest import eager

pytestmark = pytest.mark.django_db


def _code_form(world: World, **fields: str) -> dict[str, str]:
    return {
        "code": "SPRING25",
        "unit": str(world.a_unit1.pk),
        "kind": "percent",
        "percent_off": "25",
        **fields,
    }


def test_a_unit_admin_makes_a_code_for_their_unit_and_sees_it_listed(world: World) -> None:
    client = world.client_for(world.a_unit1_admin, world.a)
    assert client.get("/console/promotions/new/").status_code == 200
    response = client.post(
        "/console/promotions/new/",
        _code_form(
            world, code="spring 25", valid_from="2027-01-01", valid_until="2027-01-31", max_uses="100"
        ),
    )
    assert response.status_code == 302
    code = PromotionCode.objects.get()
    assert (code.code, code.percent_off, code.max_uses, code.unit) == ("SPRING25", 25, 100, world.a_unit1)
    # The last day counts whole, in the tenant's time zone.
    assert code.valid_until is not None
    assert code.valid_from is not None
    assert (code.valid_until - code.valid_from).days == 31
    page = client.get("/console/promotions/").content.decode()
    assert "SPRING25" in page
    assert "25% off" in page
    assert "0 / 100" in page


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"percent_off": "0"}, "greater than or equal to 1"),
        ({"percent_off": "150"}, "less than or equal to 100"),
        ({"kind": "amount", "percent_off": "", "amount_off": "abc"}, "Enter an amount"),
        ({"kind": "amount", "percent_off": "", "amount_off": "10.999"}, "decimal places"),
        ({"code": "a!"}, "3 to 40 letters"),
        ({"valid_from": "2027-02-01", "valid_until": "2027-01-01"}, "cannot be before the first"),
        ({"valid_from": "not a date"}, "Enter a valid date"),
        ({"kind": "percent", "percent_off": "50", "waives_fee": "on"}, "A fee waiver takes 100% off"),
        ({"unit": ""}, "This field is required"),
        ({"unit": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_said_beside_the_field_and_saves_nothing(
    world: World, fields: dict[str, str], field_error: str
) -> None:
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post("/console/promotions/new/", _code_form(world, **fields))
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not PromotionCode.objects.exists()


def test_a_code_is_unique_per_tenant_whatever_its_case(world: World) -> None:
    client = world.client_for(world.a_unit1_admin, world.a)
    assert client.post("/console/promotions/new/", _code_form(world)).status_code == 302
    again = client.post("/console/promotions/new/", _code_form(world, code="Spring25"))
    assert again.status_code == 400
    assert "exists already" in again.content.decode()


def test_only_tenant_admins_make_tenant_wide_codes_and_units_stay_apart(world: World) -> None:
    unit_admin = world.client_for(world.a_unit1_admin, world.a)
    other_unit = unit_admin.post("/console/promotions/new/", _code_form(world, unit=str(world.a_unit2.pk)))
    assert other_unit.status_code == 400  # not one of their units: not a choice
    assert not PromotionCode.objects.exists()
    PromotionCode.objects.create(
        tenant=world.a, unit=world.a_unit2, code="BIZ10", kind="percent", percent_off=10
    )
    assert "BIZ10" not in unit_admin.get("/console/promotions/").content.decode()
    code = PromotionCode.objects.get()
    assert unit_admin.post(f"/console/promotions/{code.pk}/withdraw/").status_code == 404
    # Finance and another tenant's staff see no promotions page.
    assert world.client_for(world.a_finance_all, world.a).get("/console/promotions/").status_code in (
        302,
        404,
    )
    assert world.client_for(world.b_admin, world.b).get("/console/promotions/").status_code in (200, 302)


def test_a_batch_of_single_use_codes_downloads_as_csv(world: World) -> None:
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        "/console/promotions/batches/new/",
        {
            "name": "Open day flyers",
            "size": "500",
            "code_prefix": "open-",
            "unit": str(world.a_unit1.pk),
            "kind": "amount",
            "amount_off": "50",
        },
    )
    assert response.status_code == 302
    batch = CodeBatch.objects.get()
    assert batch.codes.count() == 500
    assert set(batch.codes.values_list("max_uses", "max_uses_per_learner", "amount_off_minor")) == {
        (1, 1, 5000)
    }
    download = client.get(f"/console/promotions/batches/{batch.pk}/codes.csv")
    text = b"".join(download.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Code", "Discount", "Valid from", "Valid until"]
    assert len(rows) == 501
    assert len({r[0] for r in rows[1:]}) == 500
    assert all(r[0].startswith("OPEN-") and r[1] == "$50.00 off" for r in rows[1:])
    assert "Open day flyers" in client.get("/console/promotions/").content.decode()


def test_a_withdrawn_code_no_longer_applies(world: World) -> None:
    client = world.client_for(world.a_unit1_admin, world.a)
    client.post("/console/promotions/new/", _code_form(world))
    code = PromotionCode.objects.get()
    assert client.post(f"/console/promotions/{code.pk}/withdraw/").status_code == 302
    code.refresh_from_db()
    assert not code.is_active
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, price_minor=10000, currency="USD")
    held = enrollment_services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    )
    learner = world.client_for(world.learner, world.a)
    answer = learner.post(
        "/orders/checkout/", {"enrollment": [held.enrollment.pk], "code": "SPRING25", "action": "apply"}
    )
    assert answer.status_code == 400
    assert "has been withdrawn" in answer.content.decode()


def test_staff_waive_a_held_seat_from_the_roster(world: World, django_capture_on_commit_callbacks) -> None:
    offering = OfferingFactory.create(
        microcredential__unit=world.a_unit1, price_minor=90000, currency="USD", capacity=3
    )
    held = enrollment_services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    roster = client.get(f"/console/offerings/{offering.pk}/roster/").content.decode()
    assert "Waive the fee…" in roster
    form = client.post(f"/console/enrollments/{held.enrollment.pk}/waive/")
    assert form.status_code == 200
    assert "Why the fee is waived" in form.content.decode()
    empty = client.post(f"/console/enrollments/{held.enrollment.pk}/waive/", {"reason": "   "})
    assert empty.status_code == 400
    assert "Say why the fee is waived" in empty.content.decode()
    with eager(), django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/console/enrollments/{held.enrollment.pk}/waive/", {"reason": "Bursary 2027"})
    assert done.status_code == 302
    held.enrollment.refresh_from_db()
    assert held.enrollment.status == "confirmed"
    roster = client.get(f"/console/offerings/{offering.pk}/roster/").content.decode()
    assert "Fee waived: Bursary 2027" in roster
    assert any("Bursary 2027" in m.body for m in mail.outbox if m.to == [world.learner.email])
    other = world.client_for(world.b_admin, world.b)
    assert other.post(f"/console/enrollments/{held.enrollment.pk}/waive/", {"reason": "x"}).status_code == 404
