"""/api/v1/: public catalog reads, staff writes, one error shape, offline docs."""

import pytest
from rest_framework.test import APIClient

from catalog.models import Microcredential, Offering
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory


def api(world, user=None, tenant=None):
    client = APIClient(HTTP_HOST=(tenant or world.a).domains.get(is_primary=True).host)
    if user is not None:
        client.force_login(user)
    return client


def test_public_list_has_the_same_filters_and_a_stable_order(world):
    OfferingFactory.create(
        microcredential__unit=world.a_unit1, microcredential__title="Python", price_minor=0
    )
    OfferingFactory.create(microcredential__unit=world.a_unit2, microcredential__title="Python for managers")
    OfferingFactory.create(microcredential__unit=world.b_unit1, microcredential__title="Python elsewhere")

    everything = api(world).get("/api/v1/catalog/offerings/").json()
    free = api(world).get("/api/v1/catalog/offerings/?q=python&price=free").json()

    assert everything["count"] == 2
    assert free["count"] == 1
    first = free["results"][0]
    assert first["title"] == "Python"
    assert (first["price_minor"], first["currency"], first["price_display"]) == (0, "USD", "Free")
    assert first["unit"] == {"slug": "continuing-ed", "name": "Alpha Continuing Ed", "colour": "#123456"}
    assert first["availability"] == {"state": "open", "text": "20 seats left"}
    assert free["fuzzy"] is False


def test_public_list_pages_never_repeat_an_offering(world):
    OfferingFactory.create_batch(7, microcredential__unit=world.a_unit1)  # all start at the same moment

    client = api(world)
    seen = []
    url = "/api/v1/catalog/offerings/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert len(seen) == len(set(seen)) == 7


def test_bad_filters_get_the_error_shape(world):
    response = api(world).get("/api/v1/catalog/offerings/?month=2031-13&mode=boat")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"month", "mode"}


def test_public_detail_has_policy_and_stack(world):
    RefundPolicyFactory.create(unit=world.a_unit1, tiers=[(14, 100)], cancellation_fee_minor=2500)
    part = MicrocredentialFactory.create(unit=world.a_unit1, title="SQL")
    python = MicrocredentialFactory.create(unit=world.a_unit1, title="Python", parts=[part])
    offering = OfferingFactory.create(microcredential=python)

    body = api(world).get(f"/api/v1/catalog/offerings/{offering.pk}/").json()

    assert body["parts"] == [{"id": part.pk, "title": "SQL"}]
    assert body["refund_policy"]["tiers"] == [{"days_before_start": 14, "refund_percent": 100}]
    assert (
        body["refund_policy"]["in_words"][0]
        == "A full refund if you cancel more than 14 days before the start."
    )
    assert body["outcomes"] == ["Do one thing", "Do another thing"]


def test_another_tenant_s_offering_is_404_with_the_error_shape(world):
    offering = OfferingFactory.create(microcredential__unit=world.b_unit1)

    response = api(world).get(f"/api/v1/catalog/offerings/{offering.pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def offering_payload(microcredential_id, **overrides):
    data = {
        "microcredential": microcredential_id,
        "starts_at": "2031-03-04T18:00:00-06:00",
        "ends_at": "2031-04-08T21:00:00-05:00",
        "enrollment_opens_at": "2031-01-05T09:00:00-06:00",
        "enrollment_closes_at": "2031-03-01T23:59:00-06:00",
        "delivery_mode": "online",
        "capacity": 25,
        "price_minor": 45000,
        "currency": "usd",
    }
    data.update(overrides)
    return data


def test_unit_admin_creates_and_publishes_through_the_api(world):
    RefundPolicyFactory.create(unit=world.a_unit1)
    client = api(world, world.a_unit1_admin)

    created = client.post(
        "/api/v1/staff/microcredentials/",
        {"unit": "continuing-ed", "title": "SQL", "summary": "Ask a database.", "outcomes": "Join tables"},
        format="json",
    )
    mc_id = created.json()["id"]
    assert created.status_code == 201
    assert client.post(f"/api/v1/staff/microcredentials/{mc_id}/publish/").json()["status"] == "published"
    offering = client.post(
        "/api/v1/staff/offerings/",
        offering_payload(mc_id),
        format="json",
    )
    assert offering.status_code == 201, offering.json()
    offering_id = offering.json()["id"]
    assert offering.json()["currency"] == "USD"
    published = client.post(f"/api/v1/staff/offerings/{offering_id}/publish/")

    assert published.json()["status"] == "published"
    public = api(world).get("/api/v1/catalog/offerings/").json()
    assert [row["title"] for row in public["results"]] == ["SQL"]
    assert public["results"][0]["price_display"] == "$450.00"


def test_staff_validation_uses_the_error_shape_and_changes_nothing(world):
    mc = MicrocredentialFactory.create(unit=world.a_unit1)
    client = api(world, world.a_unit1_admin)

    response = client.post(
        "/api/v1/staff/offerings/",
        offering_payload(mc.pk, ends_at="2031-03-01T10:00:00-06:00", delivery_mode="in_person"),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "ends_at": ["The end must be after the start."],
        "enrollment_closes_at": ["Enrollment must close by the time the offering ends."],
        "location": ["Say where learners meet: campus, building, room."],
    }
    assert not Offering.objects.exists()


def test_capacity_below_seats_taken_is_a_409_with_the_reason(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=20, seats_taken=12)

    response = api(world, world.a_unit1_admin).patch(
        f"/api/v1/staff/offerings/{offering.pk}/", {"capacity": 5}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "capacity_below_seats_taken",
        "message": "12 seats are already taken; capacity cannot go below 12.",
        "fields": {"capacity": ["12 seats are already taken; capacity cannot go below 12."]},
    }
    offering.refresh_from_db()
    assert offering.capacity == 20


@pytest.mark.parametrize(
    ("method", "path_of"),
    [
        ("get", lambda o: f"/api/v1/staff/offerings/{o.pk}/"),
        ("patch", lambda o: f"/api/v1/staff/offerings/{o.pk}/"),
        ("post", lambda o: f"/api/v1/staff/offerings/{o.pk}/publish/"),
        ("post", lambda o: f"/api/v1/staff/offerings/{o.pk}/copy/"),
        ("get", lambda o: f"/api/v1/staff/microcredentials/{o.microcredential_id}/"),
        ("post", lambda o: f"/api/v1/staff/microcredentials/{o.microcredential_id}/archive/"),
    ],
)
def test_unit_b_is_404_for_unit_a_s_admin_over_the_api(world, method, path_of):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit2, status="draft")

    response = getattr(api(world, world.a_unit1_admin), method)(
        path_of(offering), {"capacity": 1}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    offering.refresh_from_db()
    assert (offering.status, offering.capacity, Offering.objects.count()) == ("draft", 20, 1)


def test_staff_lists_hold_only_the_person_s_units(world):
    OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Mine")
    OfferingFactory.create(microcredential__unit=world.a_unit2, microcredential__title="Theirs")

    rows = api(world, world.a_unit1_admin).get("/api/v1/staff/microcredentials/").json()["results"]

    assert [row["title"] for row in rows] == ["Mine"]


def test_staff_endpoints_refuse_the_anonymous_and_hide_from_learners(world):
    assert api(world).get("/api/v1/staff/offerings/").json()["error"]["code"] == "not_authenticated"
    assert api(world, world.learner).get("/api/v1/staff/offerings/").status_code == 404
    assert api(world, world.a_finance_all).get("/api/v1/staff/offerings/").status_code == 404


def test_schema_and_docs_are_served_without_a_cdn(world):
    client = api(world)

    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/v1/docs/").content.decode()

    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/api/v1/catalog/offerings/" in schema.json()["paths"]
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    assert (
        client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    )


def test_a_unit_admins_api_token_writes_their_units_catalog(world):
    from tests.tenants.test_tokens import create_token

    token, _ = create_token(world, world.a_unit1_admin, "unit_admin")
    client = api(world)

    created = client.post(
        "/api/v1/staff/microcredentials/",
        {"unit": "continuing-ed", "title": "SQL", "summary": "Ask a database.", "outcomes": "Join tables"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    elsewhere = client.post(
        "/api/v1/staff/microcredentials/",
        {"unit": "business", "title": "Audit", "summary": "Count.", "outcomes": "Ledgers"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert created.status_code == 201, created.json()
    assert elsewhere.status_code in (400, 404)
    assert [m.title for m in Microcredential.objects.filter(unit__tenant=world.a)] == ["SQL"]


def test_a_finance_token_cannot_write_the_catalog_even_if_its_owner_is_also_a_unit_admin(world):
    from tenants.models import StaffMembership, StaffRole
    from tests.tenants.test_tokens import create_token

    both = world.a_finance_all
    StaffMembership.objects.create(tenant=world.a, user=both, role=StaffRole.UNIT_ADMIN).units.add(
        world.a_unit1
    )
    token, _ = create_token(world, both, "finance")

    response = api(world).post(
        "/api/v1/staff/microcredentials/",
        {"unit": "continuing-ed", "title": "Sneaky", "summary": "Should not exist.", "outcomes": "None"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 404
    assert not Microcredential.objects.filter(title="Sneaky").exists()


@pytest.mark.parametrize("wanted", ["²", "abc", str(2**63)])
def test_staff_offerings_filter_by_a_microcredential_that_is_not_an_id_is_a_400(world, wanted):
    response = api(world, world.a_admin).get("/api/v1/staff/offerings/", {"microcredential": wanted})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["microcredential"]
