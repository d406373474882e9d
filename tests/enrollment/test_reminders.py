"""Reminders: a held seat or an offer about to expire, a course starting in 3 days; each sent
once, never after the learner acted, never to a learner who turned them off."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse
from django.utils import timezone

from access.models import LmsConnection, LmsKind, Provision, ProvisionState
from enrollment import services, tasks
from enrollment.models import Enrollment, EnrollmentMessage, EnrollmentStatus, MessageKind
from enrollment.services import messages, reminders
from learners.models import ReminderOptOut
from learners.registry import MergeContext
from learners.services.reminders import move_reminder_opt_out, reminders_set
from microcred.settings import CELERY_BEAT_SCHEDULE
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus
K = MessageKind
LINK = re.compile(r"http://alpha\.test(/\S+)")


def links(body: str) -> list[str]:
    return LINK.findall(body)


def link_to(body: object, prefix: str) -> str:
    found = [path for path in links(str(body)) if path.startswith(prefix)]
    assert found, body
    return found[0]


def sweep(capture, now: datetime) -> dict[str, int]:
    with capture(execute=True):
        return reminders.reminders_due(now=now)


def held(world, *, minutes: int = 60, learner=None) -> tuple[Enrollment, datetime]:
    offering = make_offering(
        world, price_minor=5000, seat_hold_minutes=minutes, microcredential__title="Welding I"
    )
    start = timezone.now()
    done = services.enrollment_create(
        tenant=world.a, learner=learner or world.learner, offering_id=offering.pk, now=start
    )
    assert done.enrollment.status == S.HELD
    return done.enrollment, start


def offered(world, *, price_minor: int = 0) -> tuple[Enrollment, datetime]:
    offering = make_offering(world, capacity=1, price_minor=price_minor, microcredential__title="Welding I")
    holder = UserFactory.create()
    first = services.enrollment_create(tenant=world.a, learner=holder, offering_id=offering.pk)
    waiting = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    start = timezone.now()
    services.enrollment_cancel(tenant=world.a, learner=holder, enrollment_id=first.enrollment.pk, now=start)
    enrollment = Enrollment.objects.get(pk=waiting.enrollment.pk)
    assert enrollment.status == S.OFFERED
    assert enrollment.offer_expires_at is not None
    return enrollment, enrollment.offer_expires_at


def confirmed(world, *, starts_at: datetime, time_zone: str = "America/Chicago") -> Enrollment:
    offering = make_offering(
        world,
        microcredential__title="Welding I",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(weeks=6),
        enrollment_closes_at=starts_at - timedelta(days=1),
        time_zone=time_zone,
    )
    done = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    assert done.enrollment.status == S.CONFIRMED
    return done.enrollment


def reminders_of(enrollment: Enrollment) -> list[str]:
    return list(
        EnrollmentMessage.objects.filter(enrollment=enrollment, kind__in=[k.value for k in reminders_kinds()])
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def reminders_kinds() -> tuple[K, ...]:
    return (K.HOLD_REMINDER, K.OFFER_REMINDER, K.START_REMINDER)


def test_beat_runs_the_reminder_sweep_every_five_minutes():
    entry = CELERY_BEAT_SCHEDULE["enrollment-remind-due"]
    assert (entry["task"], entry["schedule"]) == ("enrollment.remind_due", 300.0)
    assert tasks.reminders_remind_due.name == "enrollment.remind_due"


# --- When -----------------------------------------------------------------------------------


def test_the_lead_is_a_quarter_of_the_length_capped_and_none_for_short_ones():
    assert reminders.HOLD_RULE.lead(timedelta(minutes=30)) == timedelta(minutes=7, seconds=30)
    assert reminders.HOLD_RULE.lead(timedelta(hours=24)) == timedelta(minutes=30)
    assert reminders.HOLD_RULE.lead(timedelta(minutes=19)) is None
    assert reminders.OFFER_RULE.lead(timedelta(hours=48)) == timedelta(hours=12)
    assert reminders.OFFER_RULE.lead(timedelta(hours=8)) == timedelta(hours=2)
    assert reminders.OFFER_RULE.lead(timedelta(hours=3)) is None


def test_the_course_reminder_is_due_at_nine_in_the_offerings_time_zone_three_days_before(world):
    chicago = ZoneInfo("America/Chicago")
    starts = datetime(2031, 3, 20, 8, 0, tzinfo=chicago)
    enrollment = confirmed(world, starts_at=starts)
    assert reminders.start_reminder_at(enrollment) == datetime(2031, 3, 17, 9, 0, tzinfo=chicago)
    # In Tokyo the same instant is another day and hour.
    tokyo = confirmed_other_tz(world, starts)
    assert reminders.start_reminder_at(tokyo) == datetime(2031, 3, 17, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def confirmed_other_tz(world, starts: datetime) -> Enrollment:
    offering = make_offering(
        world,
        starts_at=starts,
        ends_at=starts + timedelta(weeks=6),
        enrollment_closes_at=starts - timedelta(days=1),
        time_zone="Asia/Tokyo",
    )
    learner = UserFactory.create()
    return services.enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk).enrollment


# --- Once -----------------------------------------------------------------------------------


def test_a_hold_reminder_is_sent_once_under_repeated_sweeps_with_a_working_pay_link(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    enrollment, start = held(world, minutes=60)  # a quarter: 15 minutes before it expires
    mail.outbox.clear()

    assert sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=40))["hold_reminder"] == 0
    assert mail.outbox == []
    for minutes in (46, 50, 55):
        sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=minutes))

    [sent] = mail.outbox
    assert sent.to == [world.learner.email]
    assert sent.subject == "[Alpha Continuing Ed] Your held seat expires soon: Welding I"
    assert sent.from_email == "Alpha Continuing Ed <no-reply@microcred.localhost>"
    assert reminders_of(enrollment) == [K.HOLD_REMINDER]
    pay = link_to(sent.body, "/orders/checkout/held/")
    assert pay == reverse("order-checkout-held", args=[enrollment.pk])
    [(html, mimetype)] = sent.alternatives  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert f'href="http://alpha.test{pay}"' in str(html)
    assert "Alpha Continuing Ed" in str(html)
    off = link_to(sent.body, "/reminders/off/")
    assert sent.extra_headers["List-Unsubscribe"] == f"<http://alpha.test{off}>"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = world.client_for(world.learner, world.a).get(pay)
    assert page.status_code == 200
    assert "Welding I" in page.content.decode()


def test_a_hold_too_short_is_never_reminded(world, eager_tasks, django_capture_on_commit_callbacks):
    enrollment, start = held(world, minutes=15)
    mail.outbox.clear()
    for minutes in range(0, 16):
        sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=minutes))
    assert reminders_of(enrollment) == []
    assert mail.outbox == []


def test_an_offer_reminder_is_sent_once_with_the_signed_accept_link_that_works(
    world, eager_tasks, django_capture_on_commit_callbacks, client
):
    enrollment, expires = offered(world)  # 48 h: reminded 12 h before
    mail.outbox.clear()

    assert sweep(django_capture_on_commit_callbacks, expires - timedelta(hours=13))["offer_reminder"] == 0
    for hours in (11, 10, 2):
        sweep(django_capture_on_commit_callbacks, expires - timedelta(hours=hours))

    [sent] = mail.outbox
    assert sent.subject == "[Alpha Continuing Ed] Your offered seat expires soon: Welding I"
    offer = link_to(sent.body, "/offers/")
    assert messages.offer_from_token(offer.split("/")[2]) == (world.a.pk, enrollment.pk)
    page = client.get(offer, HTTP_HOST="alpha.test")  # no sign-in needed
    assert page.status_code == 200
    assert "Accept the seat" in page.content.decode()
    client.post(offer, {"action": "accept"}, HTTP_HOST="alpha.test")
    enrollment.refresh_from_db()
    assert enrollment.status == S.CONFIRMED


def test_a_course_reminder_has_go_to_your_course_and_the_calendar_file(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    starts = (timezone.now() + timedelta(days=10)).astimezone(ZoneInfo("America/Chicago"))
    enrollment = confirmed(world, starts_at=starts)
    connection = LmsConnection.objects.create(
        tenant=world.a, unit=world.a_unit1, kind=LmsKind.MOODLE, base_url="https://lms.example.test"
    )
    Provision.objects.create(
        tenant=world.a,
        enrollment=enrollment,
        offering=enrollment.offering,
        connection=connection,
        course_ref="DATA-101",
        state=ProvisionState.PROVISIONED,
    )
    due = reminders.start_reminder_at(enrollment)
    mail.outbox.clear()

    assert sweep(django_capture_on_commit_callbacks, due - timedelta(minutes=1))["start_reminder"] == 0
    for minutes in (0, 5, 60 * 24):
        sweep(django_capture_on_commit_callbacks, due + timedelta(minutes=minutes))

    [sent] = mail.outbox
    assert sent.subject == "[Alpha Continuing Ed] Your course starts in 3 days: Welding I"
    assert (
        "Go to your course:\nhttp://alpha.test" + reverse("my-learning-course", args=[enrollment.pk])
        in sent.body
    )
    calendar = link_to(sent.body, reverse("my-learning-calendar", args=[enrollment.pk]))
    [(html, _mimetype)] = sent.alternatives  # type: ignore[attr-defined]
    assert ">Go to your course</a>" in str(html)
    response = world.client_for(world.learner, world.a).get(calendar)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"BEGIN:VEVENT" in response.content


def test_a_course_reminder_without_an_lms_still_has_the_calendar(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    enrollment = confirmed(world, starts_at=timezone.now() + timedelta(days=10))
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks, reminders.start_reminder_at(enrollment))
    [sent] = mail.outbox
    assert "Go to your course" not in sent.body
    assert "Add to calendar:" in sent.body


def test_the_celery_task_runs_the_sweep(world, eager_tasks, monkeypatch):
    seen: list[datetime | None] = []

    def due(now: datetime | None = None) -> dict[str, int]:
        seen.append(now)
        return {"x": 1}

    monkeypatch.setattr(reminders, "reminders_due", due)
    assert tasks.reminders_remind_due() == {"x": 1}
    assert seen == [None]


# --- Never after the learner acted ------------------------------------------------------------


def test_a_paid_hold_gets_no_reminder(world, eager_tasks, django_capture_on_commit_callbacks):
    enrollment, start = held(world)
    services.enrollment_confirm_paid(tenant=world.a, enrollment_id=enrollment.pk, details={})
    mail.outbox.clear()
    for minutes in (46, 50):
        sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=minutes))
    assert reminders_of(enrollment) == []
    assert mail.outbox == []


def test_a_cancelled_hold_gets_no_reminder(world, eager_tasks, django_capture_on_commit_callbacks):
    enrollment, start = held(world)
    services.enrollment_cancel(tenant=world.a, learner=world.learner, enrollment_id=enrollment.pk)
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=50))
    assert reminders_of(enrollment) == []
    assert mail.outbox == []


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_answered_offer_gets_no_reminder(world, eager_tasks, django_capture_on_commit_callbacks, answer):
    enrollment, expires = offered(world)
    respond = services.offer_accept if answer == "accept" else services.offer_decline
    respond(tenant=world.a, enrollment_id=enrollment.pk, learner=world.learner)
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks, expires - timedelta(hours=6))
    assert reminders_of(enrollment) == []
    assert mail.outbox == []


def test_a_cancelled_seat_gets_no_course_reminder(world, eager_tasks, django_capture_on_commit_callbacks):
    enrollment = confirmed(world, starts_at=timezone.now() + timedelta(days=10))
    services.enrollment_cancel(tenant=world.a, learner=world.learner, enrollment_id=enrollment.pk)
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks, reminders.start_reminder_at(enrollment))
    assert reminders_of(enrollment) == []
    assert mail.outbox == []


def test_a_learner_who_pays_after_the_reminder_was_queued_gets_no_mail(world):
    """Queued (the broker was down, say), then paid, then the worker comes: nothing is sent."""
    enrollment, start = held(world)
    assert reminders.reminders_due(now=start + timedelta(minutes=50))["hold_reminder"] == 1
    services.enrollment_confirm_paid(tenant=world.a, enrollment_id=enrollment.pk, details={})
    mail.outbox.clear()
    [message] = EnrollmentMessage.objects.filter(enrollment=enrollment, kind=K.HOLD_REMINDER)
    assert messages.message_send(message_id=message.pk) is True
    assert [m.subject for m in mail.outbox if "expires soon" in m.subject] == []
    assert reminders.reminders_due(now=start + timedelta(minutes=55))["hold_reminder"] == 0


def test_an_offer_accepted_into_a_hold_can_get_its_hold_reminder_once(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    """Each (enrollment, kind) once: the offer's reminder and then the hold's are two kinds."""
    enrollment, expires = offered(world, price_minor=5000)
    sweep(django_capture_on_commit_callbacks, expires - timedelta(hours=6))
    accepted = services.offer_accept(tenant=world.a, enrollment_id=enrollment.pk, learner=world.learner)
    assert accepted.status == S.HELD
    assert accepted.hold_expires_at is not None
    sweep(django_capture_on_commit_callbacks, accepted.hold_expires_at - timedelta(minutes=5))
    sweep(django_capture_on_commit_callbacks, accepted.hold_expires_at - timedelta(minutes=3))
    assert reminders_of(enrollment) == [K.OFFER_REMINDER, K.HOLD_REMINDER]


# --- Turned off -------------------------------------------------------------------------------


def test_a_learner_who_turned_reminders_off_gets_none_but_still_gets_confirmations(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    reminders_set(tenant=world.a, user=world.learner, enabled=False)
    hold, start = held(world)
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=50))
    assert reminders_of(hold) == []
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_confirm_paid(tenant=world.a, enrollment_id=hold.pk, details={})
    assert [m.subject for m in mail.outbox] == ["[Alpha Continuing Ed] You are enrolled: Welding I"]


def test_turned_off_at_one_tenant_is_still_on_at_another(world):
    reminders_set(tenant=world.b, user=world.learner, enabled=False)
    _hold, start = held(world)
    assert reminders.reminders_due(now=start + timedelta(minutes=50))["hold_reminder"] == 1


def test_turned_off_after_queueing_sends_nothing(world):
    hold, start = held(world)
    reminders.reminders_due(now=start + timedelta(minutes=50))
    reminders_set(tenant=world.a, user=world.learner, enabled=False)
    mail.outbox.clear()
    [message] = EnrollmentMessage.objects.filter(enrollment=hold, kind=K.HOLD_REMINDER)
    messages.message_send(message_id=message.pk)
    assert mail.outbox == []


def test_the_turn_off_link_works_without_signing_in(world, eager_tasks, django_capture_on_commit_callbacks):
    _hold, start = held(world)
    mail.outbox.clear()
    sweep(django_capture_on_commit_callbacks, start + timedelta(minutes=50))
    [sent] = mail.outbox
    off = link_to(sent.body, "/reminders/off/")
    anonymous = world.client_for(None, world.a)
    anonymous.handler.enforce_csrf_checks = True

    page = anonymous.get(off)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Turn off reminders" in body
    assert world.learner.email in body
    assert "Alpha Continuing Ed" in body  # the unit's brand
    assert not ReminderOptOut.objects.exists()  # a GET (a mail scanner's too) changes nothing

    done = anonymous.post(off)
    assert done.status_code == 200
    assert "Reminders are off" in done.content.decode()
    assert ReminderOptOut.objects.filter(tenant=world.a, user=world.learner).count() == 1
    assert anonymous.post(off).status_code == 200  # again: still off, once
    assert ReminderOptOut.objects.count() == 1
    assert "Reminders are off" in anonymous.get(off).content.decode()  # says so, no button


def test_a_turn_off_link_of_a_deleted_account_reaches_nothing(world):
    token = messages.reminders_off_token(tenant_id=world.a.pk, user_id=world.learner.pk)
    type(world.learner).objects.filter(pk=world.learner.pk).update(is_active=False)
    assert world.client_for(None, world.a).get(f"/reminders/off/{token}/").status_code == 404


def test_one_click_unsubscribe_posts_from_a_mail_client(world):
    token = messages.reminders_off_token(tenant_id=world.a.pk, user_id=world.learner.pk)
    client = world.client_for(None, world.a)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        f"/reminders/off/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert ReminderOptOut.objects.filter(tenant=world.a, user=world.learner).exists()


def test_a_tampered_or_foreign_turn_off_link_is_refused(world):
    token = messages.reminders_off_token(tenant_id=world.a.pk, user_id=world.learner.pk)
    anonymous = world.client_for(None, world.a)
    assert anonymous.get(f"/reminders/off/{token}x/").status_code == 404
    assert anonymous.post(f"/reminders/off/{token[:-2]}/").status_code == 404
    assert anonymous.get("/reminders/off/not-a-token/").status_code == 404
    # Another tenant's host: this tenant's link reaches nothing there.
    assert world.client_for(None, world.b).post(f"/reminders/off/{token}/").status_code == 404
    assert not ReminderOptOut.objects.exists()


def test_the_profile_checkbox_turns_reminders_off_and_on(world):
    client = world.client_for(world.learner, world.a)
    page = client.get(reverse("profile")).content.decode()
    assert "Send me reminders" in page
    assert 'aria-describedby="reminders-hint"' in page
    assert re.search(r'<input type="checkbox" name="reminders"[^>]* checked', page)

    assert client.post(reverse("profile-reminders"), {}).status_code == 302
    assert ReminderOptOut.objects.filter(tenant=world.a, user=world.learner).exists()
    page = client.get(reverse("profile")).content.decode()
    assert re.search(r'<input type="checkbox" name="reminders"[^>]*>', page)
    assert not re.search(r'<input type="checkbox" name="reminders"[^>]* checked', page)

    client.post(reverse("profile-reminders"), {"reminders": "on"})
    assert not ReminderOptOut.objects.exists()


def test_the_profile_checkbox_needs_sign_in(world):
    response = world.client_for(None, world.a).post(reverse("profile-reminders"), {})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not ReminderOptOut.objects.exists()


# --- Concurrent sweeps ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_queue_one_reminder(world, monkeypatch):
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)
    holds = [held(world, learner=UserFactory.create()) for _ in range(3)]
    now = max(start for _e, start in holds) + timedelta(minutes=50)
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(10)
            results.append(reminders.reminders_due(now=now))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r["hold_reminder"] for r in results) == 3
    for enrollment, _start in holds:
        assert reminders_of(enrollment) == [K.HOLD_REMINDER]


@pytest.mark.django_db(transaction=True)
def test_racing_queuers_of_one_reminder_write_one_row(world, monkeypatch):
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)
    enrollment, start = held(world)
    now = start + timedelta(minutes=50)
    workers = 6
    barrier = threading.Barrier(workers)
    queued: list[bool] = []

    def run() -> None:
        try:
            barrier.wait(10)
            queued.append(
                reminders.reminder_queue(
                    tenant_id=world.a.pk, enrollment_id=enrollment.pk, kind=K.HOLD_REMINDER, now=now
                )
            )
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(queued) == [False] * (workers - 1) + [True]
    assert EnrollmentMessage.objects.filter(enrollment=enrollment, kind=K.HOLD_REMINDER).count() == 1


def test_the_database_refuses_a_second_reminder_of_a_kind(world):
    """The backstop whatever the code does: one row per (enrollment, reminder kind); other
    messages may repeat (two confirmations after a correction, say)."""
    enrollment, _start = held(world)
    EnrollmentMessage.objects.create(tenant=world.a, enrollment=enrollment, kind=K.HOLD_REMINDER)
    EnrollmentMessage.objects.create(tenant=world.a, enrollment=enrollment, kind=K.OFFER_REMINDER)
    EnrollmentMessage.objects.create(tenant=world.a, enrollment=enrollment, kind=K.HELD)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentMessage.objects.create(tenant=world.a, enrollment=enrollment, kind=K.HOLD_REMINDER)
    assert (
        reminders.reminder_queue(
            tenant_id=world.a.pk,
            enrollment_id=enrollment.pk,
            kind=K.HOLD_REMINDER,
            now=_start + timedelta(minutes=50),
        )
        is False
    )


def test_merging_accounts_keeps_reminders_off_if_either_turned_them_off(world):
    source, target = UserFactory.create(), UserFactory.create()
    reminders_set(tenant=world.a, user=source, enabled=False)
    reminders_set(tenant=world.b, user=source, enabled=False)
    merge = MergeContext(tenant=world.a, source=source, target=target, actor=world.a_admin)
    assert move_reminder_opt_out(merge) == 1
    assert set(ReminderOptOut.objects.values_list("tenant__slug", "user__email")) == {
        ("alpha", target.email),
        ("beta", source.email),  # another tenant's choice is not part of this merge
    }
    assert move_reminder_opt_out(merge) == 0
