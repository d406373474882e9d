"""Console → LMS: a unit admin connects their unit's LMS, the token is sealed and never shown
back, "Test connection" shows the LMS's answer or the error in words; bad input is a form error,
never a 500; another unit's or tenant's connection is a 404."""

from __future__ import annotations

import pytest

from access.lms.factory import token_of
from access.models import LmsConnection, LmsKind
from tests.access.conftest import TOKEN

pytestmark = pytest.mark.django_db


def form(server_url: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "moodle",
        "base_url": server_url,
        "token": TOKEN,
        "student_role_id": "5",
        "auth": "oauth2",
        "account_id": "",
        "authentication_provider_id": "",
        "unenrol_task": "conclude",
        "pass_score": "",
        "grace_days": "7",
        "max_concurrency": "4",
    }
    data.update(changes)
    return data


def test_a_unit_admin_connects_moodle_and_the_test_shows_its_answer(world, moodle):
    client = world.client_for(world.a_unit1_admin, world.a)
    listing = client.get("/console/lms/").content.decode()
    assert "Connect an LMS for Alpha Continuing Ed" in listing
    assert "Alpha Business School" not in listing
    assert "whole institution" not in listing

    response = client.post(f"/console/lms/new/?unit={world.a_unit1.pk}", form(moodle.url + "/"))
    connection = LmsConnection.objects.get(tenant=world.a, unit=world.a_unit1)
    assert response.status_code == 302
    assert connection.base_url == moodle.url
    assert connection.options == {"student_role_id": 5, "auth": "oauth2"}
    assert TOKEN not in connection.token_encrypted
    assert token_of(connection) == TOKEN

    page = client.get(f"/console/lms/{connection.pk}/").content.decode()
    assert "set (never shown again)" in page
    assert TOKEN not in page
    assert "not tested yet" in page

    page = client.post(f"/console/lms/{connection.pk}/test/", follow=True).content.decode()
    assert "The LMS answered: Local Moodle (lms_local) (Moodle 4.3" in page
    connection.refresh_from_db()
    assert connection.last_test_ok is True


def test_a_wrong_token_is_a_clear_message_on_the_page(world, moodle):
    client = world.client_for(world.a_unit1_admin, world.a)
    client.post(f"/console/lms/new/?unit={world.a_unit1.pk}", form(moodle.url, token="not-the-token"))
    connection = LmsConnection.objects.get(unit=world.a_unit1)
    page = client.post(f"/console/lms/{connection.pk}/test/", follow=True).content.decode()
    assert "The test failed: Moodle does not know this web-service token." in page
    assert "Last error" in page
    assert "The last test failed:" in client.get("/console/lms/").content.decode()
    connection.refresh_from_db()
    assert (connection.last_test_ok, connection.last_error_at is not None) == (False, True)

    # Typing the right token keeps the options, seals the new token and forgets the failed test.
    client.post(f"/console/lms/{connection.pk}/", form(moodle.url))
    connection.refresh_from_db()
    assert token_of(connection) == TOKEN
    assert connection.last_test_ok is None
    # An empty token field keeps the stored one.
    client.post(f"/console/lms/{connection.pk}/", form(moodle.url, token="", grace_days="3"))
    connection.refresh_from_db()
    assert (token_of(connection), connection.grace_days) == (TOKEN, 3)


def test_canvas_connection_with_a_wrong_account_says_so(world, canvas):
    client = world.client_for(world.a_admin, world.a)
    client.post(
        "/console/lms/new/",
        form(canvas.url + "/api/v1", kind="canvas", account_id="42", authentication_provider_id="101"),
    )
    connection = LmsConnection.objects.get(tenant=world.a, unit=None)
    assert connection.base_url == canvas.url
    assert connection.options == {
        "account_id": "42",
        "authentication_provider_id": "101",
        "unenrol_task": "conclude",
    }
    page = client.post(f"/console/lms/{connection.pk}/test/", follow=True).content.decode()
    assert "Canvas has no account “42”" in page

    client.post(f"/console/lms/{connection.pk}/", form(canvas.url, kind="canvas", account_id="1", token=""))
    page = client.post(f"/console/lms/{connection.pk}/test/", follow=True).content.decode()
    assert "The LMS answered: Canvas at" in page


def test_oneroster_has_nothing_to_push(world):
    client = world.client_for(world.a_admin, world.a)
    client.post("/console/lms/new/", form("", kind="oneroster", token=""))
    connection = LmsConnection.objects.get(tenant=world.a, kind=LmsKind.ONEROSTER)
    page = client.post(f"/console/lms/{connection.pk}/test/", follow=True).content.decode()
    assert "OneRoster LMSs read the roster; nothing to push." in page


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"base_url": ""}, "Enter the LMS address"),
        ({"base_url": "ftp://moodle.example"}, "The address starts with https://"),
        ({"base_url": "https://moodle example"}, "as the browser shows it"),
        ({"token": ""}, "Enter the LMS token."),
        ({"student_role_id": "-1"}, "Moodle&#x27;s role id is a whole number"),
        ({"kind": "canvas", "pass_score": "abc"}, "A pass score is a percentage"),
        ({"kind": "canvas", "account_id": "root"}, "account id is a number"),
        ({"grace_days": "999"}, "less than or equal to 365"),
        ({"max_concurrency": "0"}, "greater than or equal to 1"),
        ({"kind": "blackboard"}, "Select a valid choice"),
        ({"base_url": "x" * 600}, "at most 500 characters"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(world, changes, says):
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/lms/new/?unit={world.a_unit1.pk}", form("https://moodle.example", **changes)
    )
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not LmsConnection.objects.exists()


def test_other_units_and_tenants_connections_are_404(world, moodle):
    admin = world.client_for(world.a_admin, world.a)
    admin.post(f"/console/lms/new/?unit={world.a_unit2.pk}", form(moodle.url))
    theirs = LmsConnection.objects.get(unit=world.a_unit2)
    unit_admin = world.client_for(world.a_unit1_admin, world.a)
    assert unit_admin.get(f"/console/lms/{theirs.pk}/").status_code == 404
    assert unit_admin.post(f"/console/lms/{theirs.pk}/test/").status_code == 404
    assert unit_admin.get(f"/console/lms/new/?unit={world.a_unit2.pk}").status_code == 404
    assert unit_admin.get("/console/lms/new/").status_code == 404  # the institution's: tenant admins only
    other_tenant = world.client_for(world.b_admin, world.b)
    assert other_tenant.get(f"/console/lms/{theirs.pk}/").status_code == 404
    assert world.client_for(world.a_finance_all, world.a).get("/console/lms/").status_code == 404
    # A second connection for the same unit goes to the first one's page.
    assert admin.get(f"/console/lms/new/?unit={world.a_unit2.pk}")["Location"] == f"/console/lms/{theirs.pk}/"
