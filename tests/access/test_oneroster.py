"""OneRoster 1.2: an LMS reads the roster with a client-credentials token, within its tenant,
its scopes and its unit; paging, filter, sort and fields as the REST binding says; the binding's
error payload for bad parameters; the bulk CSV zip."""

from __future__ import annotations

import base64
import csv
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from django.utils import timezone

from access.oneroster.clients import oneroster_client_create
from access.oneroster.export import HEADERS
from access.oneroster.scopes import ROSTER_CORE_READONLY, ROSTER_READONLY
from access.services.claims import subject_for
from access.services.relying_parties import Registered, relying_party_disable
from catalog.models import Offering
from enrollment import services
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from tests.catalog.factories import OfferingFactory
from tests.factories import UserFactory

BASE = "/ims/oneroster/rostering/v1p2"
BOTH = [ROSTER_CORE_READONLY, ROSTER_READONLY]


def _offering(unit: Any, title: str, **fields: Any) -> Offering:
    defaults = {
        "microcredential__unit": unit,
        "microcredential__title": title,
        "capacity": 5,
        "price_minor": 0,
        "starts_at": timezone.now() + timedelta(days=10),
        "ends_at": timezone.now() + timedelta(days=40),
        "enrollment_closes_at": timezone.now() + timedelta(days=9),
    }
    return OfferingFactory.create(**{**defaults, **fields})


def _enrol(world: Any, offering: Offering, learner: User) -> Enrollment:
    return services.enrollment_create(
        tenant=world.a, learner=learner, offering_id=offering.pk, actor=world.a_admin, by_staff=True
    ).enrollment


def token_for(client: Client, host: str, registered: Registered, scope: str | None = None) -> str:
    app = registered.relying_party.application
    basic = base64.b64encode(f"{app.client_id}:{registered.client_secret}".encode()).decode()
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = client.post("/oidc/token/", data, HTTP_HOST=host, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


@dataclass
class Roster:
    client: Client
    token: str  # the whole institution, both scopes
    ada: User
    bob: User
    data: Offering  # unit 1
    sales: Offering  # unit 2
    ada_seat: Enrollment
    bob_data_seat: Enrollment
    bob_sales_seat: Enrollment

    def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        return self.client.get(
            BASE + path, params, HTTP_HOST="alpha.test", HTTP_AUTHORIZATION=f"Bearer {token or self.token}"
        )


@pytest.fixture
def roster(world) -> Roster:
    ada = UserFactory.create(email="ada@learners.test", full_name="Ada King Lovelace")
    bob = UserFactory.create(email="bob@learners.test", full_name="Bob Moses")
    data = _offering(world.a_unit1, "Data literacy", lms_course_ref="DATA-101", cohort_label="Spring")
    sales = _offering(world.a_unit2, "Sales")
    ada_seat = _enrol(world, data, ada)
    bob_data_seat = _enrol(world, data, bob)
    bob_sales_seat = _enrol(world, sales, bob)
    full = oneroster_client_create(tenant=world.a, name="Brightspace", unit=None, scopes=BOTH)
    client = Client()
    return Roster(
        client=client,
        token=token_for(client, "alpha.test", full),
        ada=ada,
        bob=bob,
        data=data,
        sales=sales,
        ada_seat=ada_seat,
        bob_data_seat=bob_data_seat,
        bob_sales_seat=bob_sales_seat,
    )


def _ids(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["sourcedId"] for r in response.json()[key]]


def _minor(response: Any) -> str:
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    assert body["imsx_description"]
    return str(body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


# -- The flow, with a real OAuth 2 client against the live server ----------------------------


def test_client_credentials_flow_with_authlib(provider):
    registered = oneroster_client_create(tenant=provider.tenant, name="SIS", unit=None, scopes=BOTH)
    app = registered.relying_party.application
    session = OAuth2Session(app.client_id, registered.client_secret, scope=" ".join(BOTH))
    token = session.fetch_token(f"{provider.url}/oidc/token/", grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(BOTH)

    users = session.get(f"{provider.url}{BASE}/users", timeout=10)
    assert users.status_code == 200
    assert users.headers["X-Total-Count"] == "1"
    (user,) = users.json()["users"]
    assert user["sourcedId"] == subject_for(tenant=provider.tenant, learner=provider.learner)
    assert (user["givenName"], user["familyName"], user["email"]) == (
        "Ada King",
        "Lovelace",
        "ada@learners.test",
    )
    assert user["roles"] == [
        {
            "roleType": "primary",
            "role": "student",
            "org": {
                "href": f"{provider.url}{BASE}/orgs/unit-{provider.unit.pk}",
                "sourcedId": f"unit-{provider.unit.pk}",
                "type": "org",
            },
        }
    ]
    enrollments = session.get(f"{provider.url}{BASE}/enrollments", timeout=10).json()["enrollments"]
    assert [(e["status"], e["role"], e["user"]["sourcedId"]) for e in enrollments] == [
        ("active", "student", user["sourcedId"])
    ]
    klass = session.get(enrollments[0]["class"]["href"], timeout=10).json()["class"]
    assert (klass["title"], klass["classCode"]) == ("Wound care", "NURS-101")

    # Tenant B's token endpoint does not know tenant A's client; A's token is nothing at B.
    other = OAuth2Session(app.client_id, registered.client_secret)
    with pytest.raises(Exception, match="invalid_client"):
        other.fetch_token(f"{provider.other_url}/oidc/token/", grant_type="client_credentials")
    at_b = requests.get(
        f"{provider.other_url}{BASE}/users",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert at_b.status_code == 401
    assert _minor(at_b) == "unauthorisedrequest"


# -- Refusals --------------------------------------------------------------------------------


def test_no_token_wrong_token_or_scope_is_refused(world, roster):
    anonymous = roster.client.get(BASE + "/users", HTTP_HOST="alpha.test")
    assert anonymous.status_code == 401
    assert _minor(anonymous) == "unauthorisedrequest"
    assert roster.get("/users", token="not-a-token").status_code == 401

    core = oneroster_client_create(tenant=world.a, name="Core only", unit=None, scopes=[ROSTER_CORE_READONLY])
    core_token = token_for(roster.client, "alpha.test", core)
    assert roster.get("/users", token=core_token).status_code == 200
    refused = roster.get("/enrollments", token=core_token)
    assert refused.status_code == 403
    assert _minor(refused) == "forbidden"
    assert roster.get(f"/classes/offering-{roster.data.pk}/enrollments", token=core_token).status_code == 403

    # A core client asking for the full scope gets nothing it was not granted.
    asked = roster.client.post(
        "/oidc/token/",
        {"grant_type": "client_credentials", "scope": ROSTER_READONLY},
        HTTP_HOST="alpha.test",
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(
            f"{core.relying_party.application.client_id}:{core.client_secret}".encode()
        ).decode(),
    )
    assert asked.status_code == 400
    assert asked.json()["error"] == "invalid_scope"


def test_other_tenant_client_cannot_read_and_disabling_ends_the_token(world, roster):
    beta = oneroster_client_create(tenant=world.b, name="Beta SIS", unit=None, scopes=BOTH)
    beta_token = token_for(roster.client, "beta.test", beta)
    assert roster.client.get(
        BASE + "/users", HTTP_HOST="beta.test", HTTP_AUTHORIZATION=f"Bearer {beta_token}"
    ).json() == {"users": []}
    crossed = roster.get("/users", token=beta_token)
    assert crossed.status_code == 401
    assert roster.get(f"/classes/offering-{roster.data.pk}", token=beta_token).status_code == 401

    # Beta's client at alpha's token endpoint is an unknown client.
    app = beta.relying_party.application
    basic = base64.b64encode(f"{app.client_id}:{beta.client_secret}".encode()).decode()
    response = roster.client.post(
        "/oidc/token/",
        {"grant_type": "client_credentials"},
        HTTP_HOST="alpha.test",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 401

    relying_party_disable(tenant=world.b, pk=beta.relying_party.pk)
    assert (
        roster.client.get(
            BASE + "/users", HTTP_HOST="beta.test", HTTP_AUTHORIZATION=f"Bearer {beta_token}"
        ).status_code
        == 401
    )


def test_a_sign_in_clients_token_reads_no_roster(world, roster):
    """A learner's access token from the sign-in flow is not a roster reader's."""
    from oauth2_provider.models import AccessToken

    from access.services.relying_parties import relying_party_create

    lms = relying_party_create(
        tenant=world.a,
        name="Moodle",
        unit=None,
        redirect_uris="https://lms.example.test/cb",
        claims=[],
        first_party=True,
    )
    AccessToken.objects.create(
        user=roster.ada,
        application=lms.relying_party.application,
        token="learner-token-abc",
        expires=timezone.now() + timedelta(hours=1),
        scope=f"openid {ROSTER_READONLY}",
    )
    response = roster.get("/users", token="learner-token-abc")
    assert response.status_code == 403


def test_a_units_client_reads_only_that_unit(world, roster):
    unit1 = oneroster_client_create(tenant=world.a, name="CE Moodle", unit=world.a_unit1, scopes=BOTH)
    token = token_for(roster.client, "alpha.test", unit1)
    assert _ids(roster.get("/classes", token=token), "classes") == [f"offering-{roster.data.pk}"]
    assert _ids(roster.get("/orgs", token=token), "orgs") == [
        f"tenant-{world.a.pk}",
        f"unit-{world.a_unit1.pk}",
    ]
    assert set(_ids(roster.get("/enrollments", token=token), "enrollments")) == {
        f"enrollment-{roster.ada_seat.pk}",
        f"enrollment-{roster.bob_data_seat.pk}",
    }
    bob = subject_for(tenant=world.a, learner=roster.bob)
    (bob_record,) = [u for u in roster.get("/users", token=token).json()["users"] if u["sourcedId"] == bob]
    assert [r["org"]["sourcedId"] for r in bob_record["roles"]] == [f"unit-{world.a_unit1.pk}"]
    hidden = roster.get(f"/classes/offering-{roster.sales.pk}", token=token)
    assert hidden.status_code == 404
    assert _minor(hidden) == "unknownobject"
    assert roster.get(f"/enrollments/enrollment-{roster.bob_sales_seat.pk}", token=token).status_code == 404
    assert roster.get(f"/classes/offering-{roster.sales.pk}/students", token=token).status_code == 404


# -- What the roster says --------------------------------------------------------------------


def test_collections_and_single_objects_in_the_bindings_shape(world, roster):
    orgs = roster.get("/orgs").json()["orgs"]
    assert [(o["sourcedId"], o["type"]) for o in orgs] == [
        (f"tenant-{world.a.pk}", "district"),
        (f"unit-{world.a_unit1.pk}", "school"),
        (f"unit-{world.a_unit2.pk}", "school"),
    ]
    assert orgs[1]["parent"]["sourcedId"] == f"tenant-{world.a.pk}"
    assert _ids(roster.get("/schools"), "orgs") == [f"unit-{world.a_unit1.pk}", f"unit-{world.a_unit2.pk}"]

    klass = roster.get(f"/classes/offering-{roster.data.pk}").json()["class"]
    assert klass["title"] == "Data literacy – Spring"
    assert klass["classCode"] == "DATA-101"
    assert klass["classType"] == "scheduled"
    assert klass["course"]["sourcedId"] == f"microcredential-{roster.data.microcredential_id}"
    assert klass["school"] == {
        "href": f"http://alpha.test{BASE}/orgs/unit-{world.a_unit1.pk}",
        "sourcedId": f"unit-{world.a_unit1.pk}",
        "type": "org",
    }
    (term,) = klass["terms"]
    session = roster.get(f"/academicSessions/{term['sourcedId']}").json()["academicSession"]
    start = roster.data.starts_at.astimezone(roster.data.tz).date().isoformat()
    assert (session["type"], session["startDate"]) == ("term", start)
    assert roster.get(f"/terms/{term['sourcedId']}").status_code == 200
    course = roster.get(f"/courses/microcredential-{roster.data.microcredential_id}").json()["course"]
    assert (course["title"], course["status"]) == ("Data literacy", "active")

    seat = roster.get(f"/enrollments/enrollment-{roster.ada_seat.pk}").json()["enrollment"]
    assert seat["status"] == "active"
    assert (seat["role"], seat["primary"], seat["beginDate"]) == ("student", "false", start)
    assert seat["dateLastModified"].endswith("Z")
    ada = subject_for(tenant=world.a, learner=roster.ada)
    assert seat["user"]["sourcedId"] == ada
    user = roster.get(f"/users/{ada}").json()["user"]
    assert (user["username"], user["enabledUser"], user["status"]) == ("ada@learners.test", "true", "active")
    assert user["userIds"] == [{"type": "oidc_sub", "identifier": ada}]
    assert roster.get(f"/students/{ada}").status_code == 200

    students = roster.get(f"/classes/offering-{roster.data.pk}/students").json()["users"]
    assert {u["email"] for u in students} == {"ada@learners.test", "bob@learners.test"}
    in_class = _ids(roster.get(f"/classes/offering-{roster.sales.pk}/enrollments"), "enrollments")
    assert in_class == [f"enrollment-{roster.bob_sales_seat.pk}"]
    via_school = roster.get(
        f"/schools/unit-{world.a_unit2.pk}/classes/offering-{roster.sales.pk}/enrollments"
    )
    assert _ids(via_school, "enrollments") == in_class
    assert (
        roster.get(
            f"/schools/unit-{world.a_unit1.pk}/classes/offering-{roster.sales.pk}/enrollments"
        ).status_code
        == 404
    )
    assert roster.get(f"/classes/offering-{roster.data.pk}/teachers").json() == {"users": []}
    assert roster.get("/users/0123456789012345678901234567890123456789").status_code == 404


def test_a_cancelled_seat_becomes_tobedeleted_and_a_left_waitlist_place_never_shows(world, roster):
    # The LMS's last sync saw everything up to the newest change.
    latest = roster.get("/enrollments", sort="dateLastModified", orderBy="desc", limit=1)
    before = latest.json()["enrollments"][0]["dateLastModified"]
    assert _ids(roster.get("/enrollments", filter=f"dateLastModified>'{before}'"), "enrollments") == []
    services.enrollment_cancel(tenant=world.a, learner=roster.ada, enrollment_id=roster.ada_seat.pk)

    seat = roster.get(f"/enrollments/enrollment-{roster.ada_seat.pk}").json()["enrollment"]
    assert seat["status"] == "tobedeleted"
    assert seat["dateLastModified"] > before
    changed = roster.get("/enrollments", filter=f"dateLastModified>'{before}'")
    assert _ids(changed, "enrollments") == [f"enrollment-{roster.ada_seat.pk}"]
    ada = subject_for(tenant=world.a, learner=roster.ada)
    assert roster.get(f"/users/{ada}").json()["user"]["status"] == "tobedeleted"
    students = roster.get(f"/classes/offering-{roster.data.pk}/students").json()["users"]
    assert [u["email"] for u in students] == ["bob@learners.test"]

    full = _offering(world.a_unit1, "Tiny", capacity=1)
    _enrol(world, full, roster.bob)
    waiting = _enrol(world, full, roster.ada)
    assert waiting.status == EnrollmentStatus.WAITLISTED
    services.enrollment_cancel(tenant=world.a, learner=roster.ada, enrollment_id=waiting.pk)
    ids = _ids(roster.get(f"/classes/offering-{full.pk}/enrollments"), "enrollments")
    assert ids == [f"enrollment-{Enrollment.objects.get(offering=full, learner=roster.bob).pk}"]
    assert roster.get(f"/enrollments/enrollment-{waiting.pk}").status_code == 404


# -- Paging, filter, sort, fields ------------------------------------------------------------


def test_paging_with_total_count_and_link_header(world, roster):
    first = roster.get("/enrollments", limit=2)
    assert first["X-Total-Count"] == "3"
    assert len(first.json()["enrollments"]) == 2
    links = first["Link"]
    assert 'rel="next"' in links
    assert 'rel="last"' in links
    assert 'rel="prev"' not in links
    assert "offset=2" in links.split('rel="last"')[0].rsplit("<", 1)[1]
    rest = roster.get("/enrollments", limit=2, offset=2)
    assert len(rest.json()["enrollments"]) == 1
    assert 'rel="next"' not in rest["Link"]
    assert 'rel="prev"' in rest["Link"]
    every = _ids(first, "enrollments") + _ids(rest, "enrollments")
    assert sorted(every) == sorted(_ids(roster.get("/enrollments"), "enrollments"))
    assert roster.get("/classes", limit=1, offset=1)["X-Total-Count"] == "2"
    assert roster.get("/enrollments", offset=50).json() == {"enrollments": []}


def test_filter_sort_and_fields(world, roster):
    ada = subject_for(tenant=world.a, learner=roster.ada)
    assert _ids(roster.get("/users", filter=f"sourcedId='{ada}'"), "users") == [ada]
    assert _ids(roster.get("/users", filter="email='bob@learners.test'"), "users") == [
        subject_for(tenant=world.a, learner=roster.bob)
    ]
    assert _ids(roster.get("/users", filter="email~'LEARNERS' AND status='active'"), "users") != []
    assert _ids(roster.get("/enrollments", filter="status='tobedeleted'"), "enrollments") == []
    assert (
        len(_ids(roster.get("/enrollments", filter="role='student' OR status='tobedeleted'"), "enrollments"))
        == 3
    )
    assert _ids(roster.get("/classes", filter="classCode='DATA-101'"), "classes") == [
        f"offering-{roster.data.pk}"
    ]
    assert _ids(roster.get("/orgs", filter="type='district'"), "orgs") == [f"tenant-{world.a.pk}"]
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(roster.get("/enrollments", filter=f"dateLastModified>'{future}'"), "enrollments") == []
    assert _ids(roster.get("/classes", filter=f"dateLastModified>'{future}'"), "classes") == []
    assert _ids(roster.get("/users", filter=f"dateLastModified>'{future}'"), "users") == []
    assert len(_ids(roster.get("/users", filter="role='student'"), "users")) == 2
    assert _ids(roster.get("/users", filter="role='teacher'"), "users") == []
    assert (
        len(
            _ids(
                roster.get("/users", filter=f"dateLastModified<'{future}'", sort="dateLastModified"), "users"
            )
        )
        == 2
    )

    Enrollment.objects.filter(pk=roster.bob_sales_seat.pk).update(
        updated_at=timezone.now() + timedelta(minutes=5)
    )
    newest = _ids(roster.get("/enrollments", sort="dateLastModified", orderBy="desc"), "enrollments")
    assert newest[0] == f"enrollment-{roster.bob_sales_seat.pk}"
    oldest = _ids(roster.get("/enrollments", sort="dateLastModified"), "enrollments")
    assert oldest[-1] == f"enrollment-{roster.bob_sales_seat.pk}"
    titles = [c["title"] for c in roster.get("/classes", sort="title", orderBy="desc").json()["classes"]]
    assert titles == ["Sales", "Data literacy – Spring"]

    slim = roster.get("/enrollments", fields="sourcedId,status").json()["enrollments"]
    assert all(set(e) == {"sourcedId", "status"} for e in slim)
    one = roster.get(f"/classes/offering-{roster.data.pk}", fields="title").json()
    assert one == {"class": {"title": "Data literacy – Spring"}}


@pytest.mark.parametrize(
    ("path", "params", "minor"),
    [
        ("/users", {"filter": "status=active"}, "invalid_filter_field"),
        ("/users", {"filter": "nonsense='x'"}, "invalid_filter_field"),
        (
            "/enrollments",
            {"filter": "status='active' AND role='student' OR primary='false'"},
            "invalid_filter_field",
        ),
        ("/enrollments", {"filter": "dateLastModified>'yesterday'"}, "invalid_filter_field"),
        ("/classes", {"filter": "dateLastModified>'not a date'"}, "invalid_filter_field"),
        ("/classes", {"filter": "course='x'"}, "invalid_filter_field"),
        ("/enrollments", {"filter": "user='x'"}, "invalid_filter_field"),
        ("/users", {"filter": "sourcedId>'a'"}, "invalid_filter_field"),
        ("/users", {"fields": "sourcedId,shoeSize"}, "invalid_selection_field"),
        ("/classes", {"fields": "nope"}, "invalid_selection_field"),
        ("/users", {"sort": "shoeSize"}, "invaliddata"),
        ("/users", {"limit": "0"}, "invaliddata"),
        ("/users", {"limit": "ten"}, "invaliddata"),
        ("/orgs", {"offset": "-1"}, "invaliddata"),
        ("/orgs", {"orderBy": "sideways"}, "invaliddata"),
    ],
)
def test_bad_parameters_get_the_bindings_error_with_400(roster, path, params, minor):
    response = roster.get(path, **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert _minor(response) == minor


def test_junk_parameters_never_give_a_500(world, roster):
    rng = random.Random(16)  # noqa: S311 - junk input, not secrets
    alphabet = "ab=!<>~' ANDOR%\x00\\/éé,dateLastModified"
    for _ in range(80):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        path = rng.choice(
            ["/users", "/enrollments", "/classes", "/orgs", f"/users/{junk}", f"/classes/{junk}/students"]
        )
        param = rng.choice(["filter", "sort", "fields", "limit", "offset", "orderBy"])
        response = roster.get(path, **{param: junk})
        assert response.status_code in (200, 400, 404), (path, param, junk, response.content)
    assert roster.get("/nothing").status_code == 404
    posted = roster.client.post(
        BASE + "/users", HTTP_HOST="alpha.test", HTTP_AUTHORIZATION=f"Bearer {roster.token}"
    )
    assert posted.status_code == 405


# -- The bulk CSV zip ------------------------------------------------------------------------


def _zip(content: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
        }


def test_bulk_zip_has_the_bindings_files_and_headers(world, roster):
    services.enrollment_cancel(tenant=world.a, learner=roster.ada, enrollment_id=roster.ada_seat.pk)
    admin = world.client_for(world.a_admin, world.a)
    response = admin.get("/console/oneroster/export.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    files = _zip(response.content)
    assert set(files) == {
        "manifest.csv",
        "orgs.csv",
        "academicSessions.csv",
        "courses.csv",
        "classes.csv",
        "users.csv",
        "roles.csv",
        "enrollments.csv",
    }
    for name, rows in files.items():
        if name != "manifest.csv":
            assert tuple(rows[0]) == HEADERS[name.removesuffix(".csv")], name
    manifest = dict(files["manifest.csv"][1:])
    assert files["manifest.csv"][0] == ["propertyName", "value"]
    assert (manifest["manifest.version"], manifest["oneroster.version"]) == ("1.0", "1.2")
    assert manifest["file.users"] == manifest["file.enrollments"] == "bulk"
    assert manifest["file.demographics"] == "absent"

    enrollments = [dict(zip(HEADERS["enrollments"], r, strict=True)) for r in files["enrollments.csv"][1:]]
    # Bulk: active rows only, status and dateLastModified blank; Ada's cancelled seat is gone.
    assert {e["sourcedId"] for e in enrollments} == {
        f"enrollment-{roster.bob_data_seat.pk}",
        f"enrollment-{roster.bob_sales_seat.pk}",
    }
    assert all(e["status"] == "" and e["dateLastModified"] == "" for e in enrollments)
    bob = subject_for(tenant=world.a, learner=roster.bob)
    users = [dict(zip(HEADERS["users"], r, strict=True)) for r in files["users.csv"][1:]]
    assert [(u["sourcedId"], u["givenName"], u["familyName"], u["userIds"]) for u in users] == [
        (bob, "Bob", "Moses", f"{{oidc_sub:{bob}}}")
    ]
    roles = [dict(zip(HEADERS["roles"], r, strict=True)) for r in files["roles.csv"][1:]]
    assert sorted((r["roleType"], r["orgSourcedId"]) for r in roles) == [
        ("primary", f"unit-{world.a_unit1.pk}"),
        ("secondary", f"unit-{world.a_unit2.pk}"),
    ]
    classes = [dict(zip(HEADERS["classes"], r, strict=True)) for r in files["classes.csv"][1:]]
    assert {c["termSourcedIds"] for c in classes} == {f"term-{roster.data.pk}", f"term-{roster.sales.pk}"}


def test_a_unit_admin_exports_their_unit_only_and_clients_download_with_the_full_scope(world, roster):
    unit_admin = world.client_for(world.a_unit1_admin, world.a)
    files = _zip(unit_admin.get("/console/oneroster/export.zip").content)
    assert [r[0] for r in files["classes.csv"][1:]] == [f"offering-{roster.data.pk}"]
    assert [r[0] for r in files["orgs.csv"][1:]] == [f"tenant-{world.a.pk}", f"unit-{world.a_unit1.pk}"]
    assert (
        world.client_for(world.a_finance_all, world.a).get("/console/oneroster/export.zip").status_code == 404
    )
    assert world.client_for(world.learner, world.a).get("/console/oneroster/export.zip").status_code == 404

    by_token = roster.client.get(
        "/ims/oneroster/csv/v1p2/bulk.zip",
        HTTP_HOST="alpha.test",
        HTTP_AUTHORIZATION=f"Bearer {roster.token}",
    )
    assert by_token.status_code == 200
    assert len(_zip(by_token.content)["enrollments.csv"]) == 4
    core = oneroster_client_create(tenant=world.a, name="Core", unit=None, scopes=[ROSTER_CORE_READONLY])
    core_token = token_for(roster.client, "alpha.test", core)
    refused = roster.client.get(
        "/ims/oneroster/csv/v1p2/bulk.zip", HTTP_HOST="alpha.test", HTTP_AUTHORIZATION=f"Bearer {core_token}"
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/users", {"filter": "email='a\x00b'"}),
        ("/enrollments", {"filter": "sourcedId='enrollment-\x00'"}),
        ("/classes", {"filter": "title='\x00'"}),
        ("/users", {"offset": "99999999999999999999999"}),
        ("/enrollments", {"limit": "99999999999999999999999", "offset": "9223372036854775808"}),
    ],
)
def test_extreme_values_are_a_400_or_an_answer(roster, path, params):
    response = roster.get(path, **params)
    assert response.status_code in (200, 400), response.content
    # A NUL in the query string is refused before the view (core's request guard, an HTML 400).
    if response.status_code == 400 and response["Content-Type"] == "application/json":
        assert _minor(response) in ("invaliddata", "invalid_filter_field")
