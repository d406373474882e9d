"""The Moodle and Canvas clients against the local doubles (lms_local), each a real HTTP server on
a free port: what provisioning relies on — find-or-create, idempotent enrolment, unenrolment,
completions — and that every failure is an LmsError that says what is wrong and whether a retry
can help."""

from __future__ import annotations

import pytest

from access.lms.base import LmsError, LmsUser
from access.lms.canvas import CanvasClient
from access.lms.moodle import MoodleClient
from lms_local.server import LocalLms
from tests.access.conftest import TOKEN

ADA = LmsUser(email="ada@learners.test", first_name="Ada", last_name="Lovelace", subject="sub-ada-1")


def moodle_client(server: LocalLms, token: str = TOKEN, timeout: float = 5.0) -> MoodleClient:
    return MoodleClient(base_url=server.url, token=token, timeout=timeout)


def canvas_client(server: LocalLms, token: str = TOKEN, timeout: float = 5.0, **options) -> CanvasClient:
    return CanvasClient(
        base_url=server.url, token=token, authentication_provider_id="101", timeout=timeout, **options
    )


def created_users(server: LocalLms) -> int:
    return len(server.control.state()["users"])


# Moodle


def test_moodle_check_names_the_site(moodle):
    assert "Moodle 4.3" in moodle_client(moodle).check()


def test_moodle_user_is_found_or_created_once(moodle):
    client = moodle_client(moodle)
    first = client.user_ensure(ADA)
    assert client.user_ensure(ADA) == first
    assert created_users(moodle) == 1
    user = moodle.control.state()["users"][0]
    assert (user["email"], user["auth"], user["idnumber"]) == (ADA.email, "oauth2", ADA.subject)


def test_moodle_enrol_is_idempotent_unenrol_removes_and_completions_read_back(moodle):
    course = moodle.control.add_course(name="Data Literacy", shortname="DL-101")
    client = moodle_client(moodle)
    user_id = client.user_ensure(ADA)
    assert client.enrol(remote_user_id=user_id, course_ref="DL-101") == ""
    client.enrol(remote_user_id=user_id, course_ref=str(course["id"]))
    assert len(moodle.control.state()["enrolments"]) == 1

    moodle.control.set_result(
        course_id=course["id"], user_id=int(user_id), completed=True, score=87.5, completed_at=1_780_000_000
    )
    [done] = client.completions(course_ref="DL-101")
    assert (done.remote_user_id, done.completed, done.result) == (user_id, True, "87.50")
    assert done.completed_on is not None
    assert done.completed_on.year == 2026

    client.unenrol(remote_user_id=user_id, course_ref="DL-101", remote_enrollment_id="")
    client.unenrol(remote_user_id=user_id, course_ref="DL-101", remote_enrollment_id="")  # already out: fine
    assert moodle.control.state()["enrolments"] == []
    # The shortname was resolved: its id, kept; a client that never resolved it names it.
    assert client.course_url(course_ref="DL-101") == f"{moodle.url}/course/view.php?id={course['id']}"
    assert (
        moodle_client(moodle).course_url(course_ref="DL-101") == f"{moodle.url}/course/view.php?name=DL-101"
    )


def test_moodle_wrong_token_is_a_clear_permanent_error(moodle):
    with pytest.raises(LmsError) as caught:
        moodle_client(moodle, token="wrong").check()
    assert not caught.value.retryable
    assert "does not know this web-service token" in caught.value.message
    assert "invalidtoken" in caught.value.message


def test_moodle_unknown_course_is_permanent(moodle):
    client = moodle_client(moodle)
    user_id = client.user_ensure(ADA)
    with pytest.raises(LmsError) as caught:
        client.enrol(remote_user_id=user_id, course_ref="NOPE-1")
    assert not caught.value.retryable
    assert "no course with the shortname “NOPE-1”" in caught.value.message


def test_moodle_server_errors_rate_limits_and_timeouts_are_retryable(moodle):
    client = moodle_client(moodle, timeout=0.5)
    moodle.control.fail(status=500)
    with pytest.raises(LmsError) as caught:
        client.check()
    assert (caught.value.retryable, caught.value.status) == (True, 500)
    moodle.control.fail(status=429)
    with pytest.raises(LmsError) as caught:
        client.check()
    assert caught.value.retryable
    moodle.control.fail(status=None, delay_ms=1500)
    with pytest.raises(LmsError) as caught:
        client.check()
    assert caught.value.retryable
    assert "did not answer within 0.5 seconds" in caught.value.message


def test_moodle_wrong_address_is_permanent(moodle):
    with pytest.raises(LmsError) as caught:
        MoodleClient(base_url=moodle.url + "/not-moodle", token=TOKEN).check()
    assert not caught.value.retryable
    assert "No Moodle web services" in caught.value.message


# Canvas


def test_canvas_check_names_the_account(canvas):
    assert "account “Local Canvas”" in canvas_client(canvas).check()


def test_canvas_user_is_found_or_created_once_with_the_oidc_login(canvas):
    client = canvas_client(canvas)
    first = client.user_ensure(ADA)
    assert client.user_ensure(ADA) == first
    assert created_users(canvas) == 1
    user = canvas.control.state()["users"][0]
    assert (user["username"], user["authentication_provider_id"], user["email"]) == (
        ADA.subject,
        "101",
        ADA.email,
    )


def test_canvas_enrol_is_idempotent_conclude_and_completions(canvas):
    course = canvas.control.add_course(name="Data Literacy", shortname="DL-101", idnumber="DL-101")
    client = canvas_client(canvas, pass_score=60)
    user_id = client.user_ensure(ADA)
    first = client.enrol(remote_user_id=user_id, course_ref="sis_course_id:DL-101")
    assert client.enrol(remote_user_id=user_id, course_ref=str(course["id"])) == first
    assert len(canvas.control.state()["enrolments"]) == 1

    canvas.control.set_result(course_id=course["id"], user_id=int(user_id), score=91.0, grade="A-")
    [still] = client.completions(course_ref="DL-101")
    assert (still.completed, still.result) == (False, "A-")  # graded but not concluded yet
    canvas.control.set_result(course_id=course["id"], user_id=int(user_id), conclude=True)
    [done] = client.completions(course_ref="DL-101")
    assert (done.remote_user_id, done.completed, done.result) == (user_id, True, "A-")
    assert done.completed_on is not None
    assert client.course_url(course_ref="sis_course_id:DL-101") == f"{canvas.url}/courses/{course['id']}"


def test_canvas_unenrol_deletes_and_is_idempotent(canvas):
    canvas.control.add_course(name="Data Literacy", shortname="DL-101", idnumber="DL-101")
    client = canvas_client(canvas, unenrol_task="delete")
    user_id = client.user_ensure(ADA)
    enrollment_id = client.enrol(remote_user_id=user_id, course_ref="DL-101")
    client.unenrol(remote_user_id=user_id, course_ref="DL-101", remote_enrollment_id=enrollment_id)
    client.unenrol(remote_user_id=user_id, course_ref="DL-101", remote_enrollment_id=enrollment_id)
    assert [e["state"] for e in canvas.control.state()["enrolments"]] == ["deleted"]
    assert client.completions(course_ref="DL-101") == []


def test_canvas_section_enrolment(canvas):
    course = canvas.control.add_course(
        name="Data Literacy", shortname="DL-101", sections=[{"name": "Spring", "sis_section_id": "DL-101-S"}]
    )
    section = course["sections"][1]
    client = canvas_client(canvas)
    user_id = client.user_ensure(ADA)
    client.enrol(remote_user_id=user_id, course_ref=f"{course['id']}/sections/sis_section_id:DL-101-S")
    assert canvas.control.state()["enrolments"][0]["section_id"] == section["id"]


def test_canvas_completions_follow_the_pages(canvas):
    course = canvas.control.add_course(name="Big", shortname="BIG")
    client = canvas_client(canvas)
    for n in range(105):
        learner = LmsUser(email=f"l{n}@learners.test", first_name="L", last_name=str(n), subject=f"sub-{n}")
        client.enrol(remote_user_id=client.user_ensure(learner), course_ref=str(course["id"]))
    assert len(client.completions(course_ref=str(course["id"]))) == 105
    # Canvas gives at most 100 a page: the Link header's next page was followed.
    assert canvas.control.state()["requests"][f"GET /api/v1/courses/{course['id']}/enrollments"] == 2


def test_a_browser_arrives_at_the_course_as_the_learner(moodle, canvas):
    import urllib.request

    moodle.control.add_course(name="Data Literacy", shortname="DL-101")
    canvas.control.add_course(name="Data Literacy", shortname="DL-101", idnumber="DL-101")
    for client in (moodle_client(moodle), canvas_client(canvas)):
        user_id = client.user_ensure(ADA)
        client.enrol(remote_user_id=user_id, course_ref="DL-101")
        url = client.course_url(course_ref="DL-101")
        joiner = "&" if "?" in url else "?"
        with urllib.request.urlopen(f"{url}{joiner}user={ADA.email}") as page:
            assert "Welcome, Ada Lovelace." in page.read().decode()
        with urllib.request.urlopen(url) as page:  # not signed in: the LMS's sign-in page
            assert page.url.startswith(url.split("/course")[0].split("/courses")[0] + "/login/index.php")


def test_canvas_wrong_token_is_a_clear_permanent_error(canvas):
    with pytest.raises(LmsError) as caught:
        canvas_client(canvas, token="wrong").check()
    assert (caught.value.retryable, caught.value.status) == (False, 401)
    assert "Canvas refused the access token (Canvas said: “Invalid access token.”)" in caught.value.message


def test_canvas_unknown_course_and_account_are_permanent(canvas):
    client = canvas_client(canvas)
    user_id = client.user_ensure(ADA)
    with pytest.raises(LmsError) as caught:
        client.enrol(remote_user_id=user_id, course_ref="sis_course_id:NOPE")
    assert not caught.value.retryable
    assert "no course with the SIS id “NOPE”" in caught.value.message
    with pytest.raises(LmsError) as caught:
        canvas_client(canvas, account_id="99").check()
    assert not caught.value.retryable
    assert "no account “99”" in caught.value.message


def test_canvas_server_errors_throttling_and_timeouts_are_retryable(canvas):
    client = canvas_client(canvas, timeout=0.5)
    canvas.control.fail(status=503)
    with pytest.raises(LmsError) as caught:
        client.check()
    assert (caught.value.retryable, caught.value.status) == (True, 503)
    canvas.control.fail(rate_limit=True)
    with pytest.raises(LmsError) as caught:
        client.check()
    assert caught.value.retryable
    assert "throttling" in caught.value.message
    canvas.control.fail(status=None, delay_ms=1500)
    with pytest.raises(LmsError) as caught:
        client.check()
    assert caught.value.retryable
    assert "did not answer within 0.5 seconds" in caught.value.message


def test_a_canvas_address_with_the_api_path_in_it_is_a_clear_permanent_error():
    with pytest.raises(LmsError) as caught:
        CanvasClient(base_url="https://canvas.example/api/v1/x", token=TOKEN)
    assert not caught.value.retryable
    assert "without /api/v1" in caught.value.message


# Calls per learner (the double counts every web-service call it answers)


def moodle_calls(server: LocalLms) -> dict[str, int]:
    return dict(server.control.state()["requests"])


def test_moodle_new_learner_costs_create_and_enrol_only(moodle):
    course = moodle.control.add_course(name="Data Literacy", shortname="DL-101")
    client = moodle_client(moodle)
    user_id = client.user_ensure(ADA)
    client.enrol(remote_user_id=user_id, course_ref=str(course["id"]))
    assert moodle_calls(moodle) == {"core_user_create_users": 1, "enrol_manual_enrol_users": 1}
    assert len(moodle.control.state()["enrolments"]) == 1


def test_moodle_user_who_exists_already_costs_one_look_up(moodle):
    made = moodle_client(moodle).user_ensure(ADA)  # there already (an earlier sign-in, another job)
    before = moodle_calls(moodle)
    assert moodle_client(moodle).user_ensure(ADA) == made
    after = moodle_calls(moodle)
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "core_user_create_users": 1,
        "core_user_get_users_by_field": 1,
    }
    assert created_users(moodle) == 1


def test_moodle_shortname_is_looked_up_once_across_clients_and_again_when_the_course_is_gone(moodle):
    from access.lms.base import MemoryCourseIds

    moodle.control.add_course(name="Data Literacy", shortname="DL-101", id=500)
    shared = MemoryCourseIds()  # what the factory's cache is to every job's client
    for email in ("ada@learners.test", "bo@learners.test", "cy@learners.test"):
        client = MoodleClient(base_url=moodle.url, token=TOKEN, timeout=5.0, course_ids=shared)
        user = LmsUser(email=email, first_name="A", last_name="B", subject=f"sub-{email}")
        client.enrol(remote_user_id=client.user_ensure(user), course_ref="DL-101")
    calls = moodle_calls(moodle)
    assert calls["core_course_get_courses_by_field"] == 1
    assert calls["enrol_manual_enrol_users"] == 3
    assert shared.get("DL-101") == 500

    # The course is made anew under the same shortname (another id): the kept id is no course,
    # so it is forgotten, looked up again, and the learner lands in the new course.
    moodle.control.reset()
    moodle.control.add_course(name="Data Literacy", shortname="DL-101", id=600)
    client = MoodleClient(base_url=moodle.url, token=TOKEN, timeout=5.0, course_ids=shared)
    user_id = client.user_ensure(ADA)
    client.enrol(remote_user_id=user_id, course_ref="DL-101")
    assert [e["course_id"] for e in moodle.control.state()["enrolments"]] == [600]
    assert shared.get("DL-101") == 600


def test_moodle_unknown_course_id_is_permanent_without_a_look_up(moodle):
    client = moodle_client(moodle)
    user_id = client.user_ensure(ADA)
    with pytest.raises(LmsError) as caught:
        client.enrol(remote_user_id=user_id, course_ref="4242")
    assert not caught.value.retryable
    assert "no course with the id “4242”" in caught.value.message
    assert "core_course_get_courses_by_field" not in moodle_calls(moodle)


def test_canvas_known_learner_costs_one_call(canvas):
    canvas.control.add_course(name="Data Literacy", shortname="DL-101", idnumber="DL-101")
    client = canvas_client(canvas)
    user_id = client.user_ensure(ADA)
    before = sum(canvas.control.state()["requests"].values())
    canvas_client(canvas).enrol(remote_user_id=user_id, course_ref="DL-101")  # a later job's client
    after = canvas.control.state()["requests"]
    assert sum(after.values()) - before == 1
    assert after["POST /api/v1/courses/sis_course_id:DL-101/enrollments"] == 1
