"""The console's catalog: who reaches what (everything else is a 404), and forms that keep what
was typed and say what is wrong beside the field."""

import re

import pytest

from catalog.models import CatalogEvent, Microcredential, Offering, RefundPolicy
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory


@pytest.fixture
def b_side(world):
    """A microcredential, an offering and a policy of unit 2 (business) of tenant A."""
    policy = RefundPolicyFactory.create(unit=world.a_unit2, name="Business policy")
    offering = OfferingFactory.create(
        microcredential__unit=world.a_unit2, microcredential__title="Business course", status="draft"
    )
    return offering.microcredential, offering, policy


def pages_for(mc, offering, policy):
    return [
        f"/console/catalog/{mc.pk}/",
        f"/console/catalog/{mc.pk}/edit/",
        f"/console/catalog/{mc.pk}/offerings/new/",
        f"/console/offerings/{offering.pk}/",
        f"/console/offerings/{offering.pk}/edit/",
        f"/console/refund-policies/{policy.pk}/",
    ]


def actions_for(mc, offering):
    return [
        (f"/console/catalog/{mc.pk}/status/", {"action": "publish"}),
        (f"/console/offerings/{offering.pk}/status/", {"action": "publish"}),
        (f"/console/offerings/{offering.pk}/copy/", {}),
        (f"/console/offerings/{offering.pk}/edit/", {"capacity": "1"}),
    ]


def test_unit_admin_of_a_gets_404_for_everything_of_unit_b_and_nothing_changes(world, b_side):
    mc, offering, policy = b_side
    client = world.client_for(world.a_unit1_admin, world.a)

    for path in pages_for(mc, offering, policy):
        assert client.get(path).status_code == 404, path
    for path, data in actions_for(mc, offering):
        assert client.post(path, data).status_code == 404, path

    offering.refresh_from_db()
    mc.refresh_from_db()
    assert (offering.status, offering.capacity, mc.status) == ("draft", 20, "published")
    assert Offering.objects.filter(microcredential__unit=world.a_unit2).count() == 1
    assert not CatalogEvent.objects.exists()


def test_unit_admin_lists_only_their_units(world, b_side):
    MicrocredentialFactory.create(unit=world.a_unit1, title="CE course")
    client = world.client_for(world.a_unit1_admin, world.a)

    listing = client.get("/console/catalog/").content.decode()
    policies = client.get("/console/refund-policies/").content.decode()
    form = client.get("/console/catalog/new/").content.decode()

    assert "CE course" in listing
    assert "Business course" not in listing
    assert "Business policy" not in policies
    assert "Alpha Business School" not in form  # not offered as a unit to create in


def test_tenant_admin_sees_and_runs_every_unit(world, b_side):
    mc, offering, policy = b_side
    client = world.client_for(world.a_admin, world.a)

    for path in pages_for(mc, offering, policy):
        assert client.get(path).status_code == 200, path
    assert "Business course" in client.get("/console/catalog/").content.decode()


@pytest.mark.parametrize("who", ["a_finance_all", "a_finance_unit2", "learner", "b_admin"])
def test_finance_learners_and_other_tenants_get_404(world, b_side, who):
    mc, offering, policy = b_side
    client = world.client_for(getattr(world, who), world.a)

    for path in ["/console/catalog/", "/console/refund-policies/", *pages_for(mc, offering, policy)]:
        assert client.get(path).status_code == 404, (who, path)


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = world.client_for(None, world.a).get("/console/catalog/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_catalog_link_shows_to_those_who_run_units(world):
    assert (
        'href="/console/catalog/"'
        in world.client_for(world.a_unit1_admin, world.a).get("/console/").content.decode()
    )
    assert (
        'href="/console/catalog/"'
        not in world.client_for(world.a_finance_all, world.a).get("/console/").content.decode()
    )


def microcredential_form(**overrides):
    data = {
        "unit": "",
        "title": "Python for Data Analysis",
        "summary": "Clean and chart data with pandas.",
        "description": "",
        "outcomes": "Load data\nChart it",
        "skills": "Python, pandas",
        "credit_value": "3",
        "credit_type": "ceu",
        "level": "introductory",
    }
    data.update(overrides)
    return data


def offering_form(**overrides):
    data = {
        "cohort_label": "Spring evening",
        "time_zone": "America/Chicago",
        "starts_at": "2031-03-04T18:00",
        "ends_at": "2031-04-08T21:00",
        "enrollment_opens_at": "2031-01-05T09:00",
        "enrollment_closes_at": "2031-03-01T23:59",
        "schedule": "Tuesdays, 6–9 pm",
        "delivery_mode": "online",
        "location": "",
        "capacity": "20",
        "price": "1250.00",
        "currency": "USD",
        "seat_hold_minutes": "30",
        "waitlist_enabled": "on",
        "refund_policy": "",
        "lms_course_ref": "CANVAS-1234",
    }
    data.update(overrides)
    return data


def test_unit_admin_creates_publishes_and_learners_see_it(world, client):
    RefundPolicyFactory.create(unit=world.a_unit1, name="Standard")
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post("/console/catalog/new/", microcredential_form(unit=world.a_unit1.pk))
    mc = Microcredential.objects.get(tenant=world.a, title="Python for Data Analysis")
    assert response["Location"] == f"/console/catalog/{mc.pk}/"
    assert mc.status == "draft"
    admin.post(f"/console/catalog/{mc.pk}/status/", {"action": "publish"})

    response = admin.post(f"/console/catalog/{mc.pk}/offerings/new/", offering_form())
    offering = Offering.objects.get(microcredential=mc)
    assert response["Location"] == f"/console/offerings/{offering.pk}/"
    assert (offering.price_minor, offering.currency, offering.capacity) == (125000, "USD", 20)
    assert offering.starts_at.isoformat() == "2031-03-05T00:00:00+00:00"  # 18:00 in Chicago (CST)
    assert offering.enrollment_closes_at.isoformat() == "2031-03-02T05:59:00+00:00"
    assert "Python for Data Analysis" not in client.get("/", HTTP_HOST="alpha.test").content.decode()

    followed = admin.post(f"/console/offerings/{offering.pk}/status/", {"action": "publish"}, follow=True)

    assert "Published: learners can see it in the catalog." in followed.content.decode()
    public = client.get("/", HTTP_HOST="alpha.test").content.decode()
    assert "Python for Data Analysis" in public
    assert '<dd class="price">$1,250.00</dd>' in public


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": "2031-03-01T10:00"}, "ends_at", "The end must be after the start."),
        (
            {"enrollment_closes_at": "2031-01-01T09:00"},
            "enrollment_closes_at",
            "Enrollment must close after it opens.",
        ),
        ({"delivery_mode": "in_person"}, "location", "Say where learners meet"),
        ({"price": "12000.50", "currency": "JPY"}, "price", "JPY has no minor unit: enter a whole amount."),
        ({"currency": "XYZ"}, "currency", "Enter an ISO 4217 currency code"),
        ({"capacity": "0"}, "capacity", "Ensure this value is greater than or equal to 1."),
        ({"starts_at": "2031-03-09T02:30"}, "starts_at", "02:30 does not exist in America/Chicago"),
        ({"seat_hold_minutes": "10"}, "seat_hold_minutes", "A paid seat is held at least 30 minutes"),
    ],
)
def test_offering_errors_show_beside_the_field_and_nothing_typed_is_lost(world, overrides, field, message):
    mc = MicrocredentialFactory.create(unit=world.a_unit1)
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(f"/console/catalog/{mc.pk}/offerings/new/", offering_form(**overrides))

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in body
    assert message in body
    assert "nothing you typed has been lost" in body
    assert 'value="Spring evening"' in body
    assert 'value="CANVAS-1234"' in body
    assert 'value="2031-04-08T21:00"' in body or field == "ends_at"
    assert not Offering.objects.filter(microcredential=mc).exists()


def test_lowering_capacity_below_seats_taken_says_why_beside_capacity(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=20, seats_taken=12)
    admin = world.client_for(world.a_unit1_admin, world.a)
    edit = admin.get(f"/console/offerings/{offering.pk}/edit/").content.decode()
    data = dict(
        re.findall(r'<input type="(?:text|number|datetime-local)" name="(\w+)" value="([^"]*)"', edit)
    )
    data.update(
        {
            "delivery_mode": "online",
            "time_zone": offering.time_zone,
            "waitlist_enabled": "on",
            "capacity": "11",
        }
    )

    response = admin.post(f"/console/offerings/{offering.pk}/edit/", data)

    body = response.content.decode()
    assert 'id="id_capacity_error"' in body
    assert "12 seats are already taken; capacity cannot go below 12." in body
    assert 'value="11"' in body
    offering.refresh_from_db()
    assert offering.capacity == 20

    data["capacity"] = "30"
    assert admin.post(f"/console/offerings/{offering.pk}/edit/", data).status_code == 302
    offering.refresh_from_db()
    assert offering.capacity == 30


def test_copy_as_next_cohort_opens_the_copy_to_check(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1)
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(f"/console/offerings/{offering.pk}/copy/")

    copy = Offering.objects.exclude(pk=offering.pk).get()
    assert response["Location"] == f"/console/offerings/{copy.pk}/edit/"
    assert copy.starts_at - offering.starts_at == offering.ends_at - offering.starts_at  # six weeks on
    assert copy.status == "draft"


def test_microcredential_errors_keep_what_was_typed(world):
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(
        "/console/catalog/new/", microcredential_form(unit=world.a_unit1.pk, title="", credit_value="-1")
    )

    body = response.content.decode()
    assert 'id="id_title_error"' in body
    assert 'id="id_credit_value_error"' in body
    assert "Clean and chart data with pandas." in body
    assert not Microcredential.objects.exists()


def test_unit_admin_cannot_create_in_another_unit_by_posting_its_id(world):
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post("/console/catalog/new/", microcredential_form(unit=world.a_unit2.pk))

    assert 'id="id_unit_error"' in response.content.decode()
    assert not Microcredential.objects.exists()


def test_refund_policy_form_shows_the_rules_in_plain_words(world):
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(
        "/console/refund-policies/new/",
        {
            "unit": world.a_unit1.pk,
            "name": "Standard",
            "fee": "25",
            "currency": "USD",
            "frees_seat": "on",
            "is_unit_default": "on",
            "tier_1_days": "14",
            "tier_1_percent": "100",
            "tier_2_days": "3",
            "tier_2_percent": "50",
        },
        follow=True,
    )

    body = response.content.decode()
    policy = RefundPolicy.objects.get(unit=world.a_unit1)
    assert (policy.cancellation_fee_minor, policy.is_unit_default) == (2500, True)
    assert [(t.days_before_start, t.refund_percent) for t in policy.tiers.all()] == [(14, 100), (3, 50)]
    assert "50% back if you cancel later, but more than 3 days before the start." in body
    assert "A cancellation fee of $25.00 is kept from any refund." in body


def test_refund_policy_tier_errors_show_beside_the_tiers(world):
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(
        "/console/refund-policies/new/",
        {
            "unit": world.a_unit1.pk,
            "name": "Odd",
            "currency": "USD",
            "tier_1_days": "14",
            "tier_1_percent": "50",
            "tier_2_days": "3",
            "tier_2_percent": "100",
        },
    )

    body = response.content.decode()
    assert 'id="id_tier_1_days_error"' in body
    assert "Cancelling later cannot refund more than cancelling earlier." in body
    assert 'value="Odd"' in body
    assert not RefundPolicy.objects.exists()


def test_credit_values_read_naturally(world):
    from decimal import Decimal

    MicrocredentialFactory.create(
        unit=world.a_unit1, credit_value=Decimal("10.00"), credit_type="credit_hours"
    )
    MicrocredentialFactory.create(unit=world.a_unit1, credit_value=Decimal("2.50"), credit_type="ects")
    MicrocredentialFactory.create(unit=world.a_unit1, credit_value=Decimal("0"))

    body = world.client_for(world.a_unit1_admin, world.a).get("/console/catalog/").content.decode()

    assert "<td>10 credit hours</td>" in body
    assert "<td>2.5 ECTS credits</td>" in body
    assert "<td>—</td>" in body


def test_a_refused_status_change_is_explained_and_changes_nothing(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1)  # already published
    admin = world.client_for(world.a_admin, world.a)

    followed = admin.post(f"/console/offerings/{offering.pk}/status/", {"action": "publish"}, follow=True)

    assert "Only a draft can be published; this one is published." in followed.content.decode()
    offering.refresh_from_db()
    assert offering.status == "published"


@pytest.mark.parametrize("kind", ["catalog", "offerings"])
def test_an_unknown_status_action_is_404_and_changes_nothing(world, kind):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1)
    pk = offering.microcredential_id if kind == "catalog" else offering.pk
    admin = world.client_for(world.a_admin, world.a)

    response = admin.post(f"/console/{kind}/{pk}/status/", {"action": "delete"})

    assert response.status_code == 404
    offering.refresh_from_db()
    assert (offering.status, offering.microcredential.status) == ("published", "published")


def test_every_offering_mistake_shows_at_once_not_in_rounds(world):
    mc = MicrocredentialFactory.create(unit=world.a_unit1)
    admin = world.client_for(world.a_unit1_admin, world.a)
    wrong = offering_form(
        capacity="0",
        currency="XYZ",
        price="-5",
        ends_at="2031-03-01T10:00",
        delivery_mode="in_person",
        location="",
    )

    body = admin.post(f"/console/catalog/{mc.pk}/offerings/new/", wrong).content.decode()

    for field in ("capacity", "currency", "price", "ends_at", "location"):
        assert f'id="id_{field}_error"' in body, field
    assert "Enter an amount of zero or more." in body
    assert "The end must be after the start." in body
    assert "Say where learners meet" in body
    assert not Offering.objects.filter(microcredential=mc).exists()


@pytest.mark.parametrize(
    ("price", "currency", "message"),
    [
        ("92233720368547758.08", "EUR", "A price can be at most €999,999.99."),
        ("1000000", "USD", "A price can be at most $999,999.99."),
        ("1e309", "JPY", "A price can be at most ¥99,999,999."),
    ],
)
def test_an_over_large_price_says_the_limit_in_money(world, price, currency, message):
    mc = MicrocredentialFactory.create(unit=world.a_unit1)
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(
        f"/console/catalog/{mc.pk}/offerings/new/", offering_form(price=price, currency=currency)
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_price_error"' in body
    assert message in body
    assert "9223372036854775807" not in body
    assert not Offering.objects.filter(microcredential=mc).exists()
