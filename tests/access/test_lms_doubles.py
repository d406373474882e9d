"""The local doubles answer in the shapes the LMSs' documentation gives: Moodle's errors with
HTTP 200, Canvas's with 4xx and `{"errors": [...]}`, pagination in `Link` headers; and their
control API refuses bad input with a 400."""

from __future__ import annotations

import pytest
import requests

from lms_local.client import ControlError
from tests.access.conftest import TOKEN


def moodle_call(server, function, token=TOKEN, **params):
    data = {"wstoken": token, "wsfunction": function, "moodlewsrestformat": "json", **params}
    return requests.post(f"{server.url}/webservice/rest/server.php", data=data, timeout=5)


def test_moodle_errors_come_with_http_200(moodle):
    answer = moodle_call(moodle, "core_webservice_get_site_info", token="nope")
    assert answer.status_code == 200
    assert answer.json() == {
        "exception": "moodle_exception",
        "errorcode": "invalidtoken",
        "message": "Invalid token - token not found",
    }
    assert moodle_call(moodle, "no_such_function").json()["errorcode"] == "invalidrecord"
    missing = moodle_call(moodle, "core_user_create_users", **{"users[0][username]": "ada"}).json()
    assert (missing["exception"], missing["errorcode"]) == ("invalid_parameter_exception", "invalidparameter")
    upper = moodle_call(
        moodle,
        "core_user_create_users",
        **{
            "users[0][username]": "Ada",
            "users[0][email]": "a@x.test",
            "users[0][firstname]": "A",
            "users[0][lastname]": "L",
            "users[0][auth]": "oauth2",
        },
    ).json()
    assert "lower case" in upper["message"]
    course = moodle.control.add_course(name="C", shortname="C1", completion_enabled=False)
    no_user = moodle_call(
        moodle, "core_completion_get_course_completion_status", courseid=course["id"], userid=1
    )
    assert no_user.json()["errorcode"] == "invalidrecord"


def test_canvas_errors_and_pagination(canvas):
    unauthenticated = requests.get(f"{canvas.url}/api/v1/users/self", timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["errors"] == [{"message": "user authorization required"}]
    wrong = requests.get(f"{canvas.url}/api/v1/users/self", headers={"Authorization": "Bearer x"}, timeout=5)
    assert (wrong.status_code, wrong.json()) == (401, {"errors": [{"message": "Invalid access token."}]})
    assert "WWW-Authenticate" in wrong.headers
    auth = {"Authorization": f"Bearer {TOKEN}"}
    missing = requests.get(f"{canvas.url}/api/v1/courses/sis_course_id:NOPE", headers=auth, timeout=5)
    assert (missing.status_code, missing.json()) == (
        404,
        {"errors": [{"message": "The specified resource does not exist."}]},
    )
    for n in range(3):
        requests.post(
            f"{canvas.url}/api/v1/accounts/1/users",
            data={"user[name]": f"L {n}", "pseudonym[unique_id]": f"l{n}@x.test"},
            headers=auth,
            timeout=5,
        )
    taken = requests.post(
        f"{canvas.url}/api/v1/accounts/1/users",
        data={"user[name]": "L", "pseudonym[unique_id]": "l0@x.test"},
        headers=auth,
        timeout=5,
    )
    assert taken.status_code == 400
    assert taken.json()["errors"]["pseudonym"]["unique_id"][0]["type"] == "taken"
    page = requests.get(f"{canvas.url}/api/v1/accounts/1/users?per_page=2", headers=auth, timeout=5)
    assert len(page.json()) == 2
    assert 'rel="next"' in page.headers["Link"]
    last = requests.get(page.links["next"]["url"], headers=auth, timeout=5)
    assert len(last.json()) == 1
    assert 'rel="next"' not in last.headers["Link"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("courses", {"name": "C"}),
        ("courses", {"name": "C", "shortname": "S", "id": "x"}),
        ("results", {"course_id": 1, "user_id": 2}),
        ("faults", {"status": 200}),
        ("faults", {"status": None}),
    ],
)
def test_the_control_api_refuses_bad_input(moodle, path, body):
    with pytest.raises(ControlError) as caught:
        moodle.control.call("POST", path, body)
    assert caught.value.status == 400
