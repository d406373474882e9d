import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from tenants.brand import contrast_ratio, text_colour_on
from tenants.models import SettlementKind, Unit


def png_bytes(colour: str = "#ff0000", size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png() -> SimpleUploadedFile:
    return SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")


def unit_form(**overrides):
    data = {
        "name": "College of Nursing",
        "slug": "nursing",
        "tagline": "Clinical skills",
        "primary_colour": "#0f6b5c",
        "contact_email": "nursing@alpha.test",
        "gl_code": "NUR-4300",
        "settlement_kind": "internal_ledger",
        "stripe_account_id": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_tenant_admin_creates_a_unit_with_logo_and_colour(world):
    client = world.client_for(world.a_admin, world.a)

    response = client.post("/console/units/new/", {**unit_form(), "logo": png()})

    assert response.status_code == 302
    assert response["Location"] == "/console/units/nursing/"
    unit = Unit.objects.get(tenant=world.a, slug="nursing")
    assert (unit.name, unit.primary_colour, unit.gl_code) == ("College of Nursing", "#0f6b5c", "NUR-4300")
    assert str(unit.logo.name).startswith(f"tenants/{world.a.pk}/units/nursing/")
    public = client.get("/u/nursing/").content.decode()
    assert "--brand: #0f6b5c" in public
    assert unit.logo.url in public


def test_stripe_connected_unit_keeps_its_account_id(world):
    client = world.client_for(world.a_admin, world.a)

    client.post(
        "/console/units/new/",
        unit_form(settlement_kind="stripe_connect", stripe_account_id="acct_1Nv0FGQ9RKHgCVdK"),
    )

    unit = Unit.objects.get(tenant=world.a, slug="nursing")
    assert unit.settlement_kind == SettlementKind.STRIPE_CONNECT
    assert unit.stripe_account_id == "acct_1Nv0FGQ9RKHgCVdK"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"primary_colour": "red"}, "primary_colour", "Enter a colour as # and six hex digits"),
        ({"slug": "Nursing School"}, "slug", "lowercase letters"),
        ({"slug": "business"}, "slug", "Another unit of this institution already uses this slug."),
        ({"settlement_kind": "stripe_connect"}, "stripe_account_id", "needs its account id"),
        ({"stripe_account_id": "acct_1Nv0FGQ9RKHgCVdK"}, "stripe_account_id", "Leave this empty"),
        (
            {"stripe_account_id": "1234", "settlement_kind": "stripe_connect"},
            "stripe_account_id",
            "looks like acct_",
        ),
        ({"gl_code": ""}, "gl_code", "This field is required."),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_lost(world, overrides, field, message):
    client = world.client_for(world.a_admin, world.a)
    data = unit_form(**overrides)

    response = client.post("/console/units/new/", data)

    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    assert message in body
    assert 'aria-invalid="true"' in body
    assert 'value="College of Nursing"' in body  # what was typed is still there
    assert 'value="Clinical skills"' in body
    assert not Unit.objects.filter(tenant=world.a, name="College of Nursing").exists()


def test_same_slug_is_fine_in_another_tenant(world):
    client = world.client_for(world.b_admin, world.b)

    response = client.post("/console/units/new/", unit_form(slug="continuing-ed"))

    assert response.status_code == 302
    assert Unit.objects.filter(slug="continuing-ed").count() == 2


def test_a_file_that_is_not_an_image_is_refused(world):
    client = world.client_for(world.a_admin, world.a)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")

    response = client.post("/console/units/new/", {**unit_form(), "logo": fake})

    assert response.status_code == 200
    assert 'id="id_logo_error"' in response.content.decode()
    assert not Unit.objects.filter(slug="nursing").exists()


def test_a_logo_over_one_megabyte_is_refused(world):
    client = world.client_for(world.a_admin, world.a)
    # A valid PNG followed by a megabyte of padding: still an image, but too large.
    padded = SimpleUploadedFile("logo.png", png_bytes() + b"\0" * (1024 * 1024), content_type="image/png")

    response = client.post("/console/units/new/", {**unit_form(), "logo": padded})

    assert "larger than 1 MB" in response.content.decode()
    assert not Unit.objects.filter(slug="nursing").exists()


def test_tenant_admin_edits_a_unit_colour_and_removes_its_logo(world):
    client = world.client_for(world.a_admin, world.a)
    client.post(
        "/console/units/continuing-ed/", {**unit_form(slug="continuing-ed", name="CE"), "logo": png()}
    )
    world.a_unit1.refresh_from_db()
    assert world.a_unit1.logo

    client.post(
        "/console/units/continuing-ed/",
        unit_form(slug="continuing-ed", name="CE", primary_colour="#ffcc00", remove_logo="on"),
    )

    world.a_unit1.refresh_from_db()
    assert world.a_unit1.primary_colour == "#ffcc00"
    assert not world.a_unit1.logo
    # A light brand gets dark text on it.
    assert "--on-brand: #000000" in client.get("/u/continuing-ed/").content.decode()


def test_database_refuses_an_inconsistent_settlement_destination(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            tenant=world.a, slug="x", name="X", gl_code="X", settlement_kind=SettlementKind.STRIPE_CONNECT
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            tenant=world.a, slug="y", name="Y", gl_code="Y", stripe_account_id="acct_12345678"
        )


@pytest.mark.parametrize(
    "colour",
    [
        "#000000",
        "#ffffff",
        "#777777",
        "#1f4e79",
        "#ffcc00",
        "#ff0000",
        "#00ff00",
        "#0000ff",
        "#808080",
        "#7a1f3d",
    ],
)
def test_text_on_any_brand_colour_keeps_wcag_aa_contrast(colour):
    assert contrast_ratio(colour, text_colour_on(colour)) >= 4.5
