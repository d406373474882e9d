""" "Notify me": signing up, one e-mail when a seat is open to take, one-click unsubscribe."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from catalog import services as catalog_services
from demand import services
from demand.models import Interest
from tenants.selectors import staff_access
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory
from tests.demand.conftest import anonymous
from tests.factories import UserFactory


def found(pattern: str, text: object) -> re.Match[str]:
    match = re.search(pattern, str(text))
    assert match is not None, pattern
    return match


def full_without_waitlist(world, **fields):
    defaults = {
        "microcredential__unit": world.a_unit1,
        "microcredential__title": "Data Visualisation",
        "capacity": 2,
        "seats_taken": 2,
        "waitlist_enabled": False,
        "price_minor": 0,
    }
    return OfferingFactory.create(**{**defaults, **fields})


def test_the_page_of_a_full_run_without_a_waitlist_links_to_notify_me(world, no_page_cache):
    offering = full_without_waitlist(world)
    open_one = OfferingFactory.create(microcredential__unit=world.a_unit1)

    page = anonymous(world.a).get(f"/offerings/{offering.pk}/").content.decode()
    assert f'href="/offerings/{offering.pk}/notify/"' in page
    assert "Get one e-mail when a seat frees or another run opens." in page
    # An open run with seats offers enrolling, not "notify me".
    assert "/notify/" not in anonymous(world.a).get(f"/offerings/{open_one.pk}/").content.decode()


def test_a_run_not_open_yet_offers_notify_me(world, no_page_cache):
    soon = OfferingFactory.create(
        microcredential__unit=world.a_unit1, enrollment_opens_at=timezone.now() + timedelta(days=3)
    )
    page = anonymous(world.a).get(f"/offerings/{soon.pk}/").content.decode()
    assert "Get one e-mail when enrollment opens." in page


def test_an_anonymous_visitor_signs_up_with_an_address_then_again(world):
    offering = full_without_waitlist(world)
    client = anonymous(world.a, enforce_csrf_checks=True)
    form = client.get(f"/offerings/{offering.pk}/notify/")
    assert form.status_code == 200
    token = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    assert 'type="email"' in form.content.decode()

    done = client.post(
        f"/offerings/{offering.pk}/notify/", {"email": " Ada@Example.org ", "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 200
    assert "You are on the list: we will write once" in done.content.decode()
    interest = Interest.objects.get()
    assert (interest.email, interest.user, interest.microcredential_id, interest.tenant) == (
        "ada@example.org",
        None,
        offering.microcredential_id,
        world.a,
    )
    assert interest.notified_at is None

    again = client.post(
        f"/offerings/{offering.pk}/notify/", {"email": "ADA@example.ORG", "csrfmiddlewaretoken": token}
    )
    assert again.status_code == 200
    assert "You are already on the list" in again.content.decode()
    assert "/notify/unsubscribe/" not in again.content.decode()  # no way to take someone else off
    assert Interest.objects.count() == 1


def test_a_signed_in_learner_signs_up_with_one_button(world):
    offering = full_without_waitlist(world)
    learner = UserFactory.create(email="grace@example.org")
    client = anonymous(world.a)
    client.force_login(learner)

    page = client.get(f"/offerings/{offering.pk}/notify/").content.decode()
    assert 'name="email"' not in page
    assert "We will write to grace@example.org." in page
    assert client.post(f"/offerings/{offering.pk}/notify/").status_code == 200
    interest = Interest.objects.get()
    assert (interest.email, interest.user) == ("grace@example.org", learner)


def test_one_row_per_address_whatever_the_case_in_the_database(world):
    offering = full_without_waitlist(world)
    services.interest_signup(tenant=world.a, offering_id=offering.pk, email="x@example.org")
    with pytest.raises(Exception, match="demand_interest_one_per_email"):
        Interest.objects.create(
            tenant=world.a, microcredential=offering.microcredential, email="X@EXAMPLE.org"
        )


@pytest.mark.parametrize("email", ["", "not-an-address", "a@", "x" * 300 + "@example.org"])
def test_a_bad_address_is_a_400_with_the_reason_and_nothing_kept(world, email):
    offering = full_without_waitlist(world)
    answer = anonymous(world.a).post(f"/offerings/{offering.pk}/notify/", {"email": email})
    assert answer.status_code == 400
    assert "e-mail address" in answer.content.decode()
    assert email[:50] in answer.content.decode()  # what was typed is kept in the form
    assert Interest.objects.count() == 0


def test_unknown_draft_and_other_tenants_offerings_are_404(world):
    theirs = OfferingFactory.create(microcredential__unit=world.b_unit1)
    draft = OfferingFactory.create(microcredential__unit=world.a_unit1, status="draft")
    client = anonymous(world.a)
    for pk in (theirs.pk, draft.pk, 999999999):
        assert client.get(f"/offerings/{pk}/notify/").status_code == 404
        assert client.post(f"/offerings/{pk}/notify/", {"email": "a@example.org"}).status_code == 404
    assert Interest.objects.count() == 0


def test_the_honeypot_answers_as_if_it_worked_and_keeps_nothing(world):
    offering = full_without_waitlist(world)
    answer = anonymous(world.a).post(
        f"/offerings/{offering.pk}/notify/", {"email": "bot@example.org", "website": "http://spam"}
    )
    assert answer.status_code == 200
    assert "You are on the list" in answer.content.decode()
    assert Interest.objects.count() == 0


# --- The one e-mail ------------------------------------------------------------------------------


def test_publishing_a_run_mails_each_interested_person_once(world, run_sweep):
    RefundPolicyFactory.create(unit=world.a_unit1)
    closed = OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        microcredential__title="Machine Learning",
        enrollment_opens_at=timezone.now() - timedelta(days=30),
        enrollment_closes_at=timezone.now() - timedelta(days=1),
    )
    mc = closed.microcredential
    for address in ("ada@example.org", "grace@example.org"):
        services.interest_signup(tenant=world.a, offering_id=closed.pk, email=address)
    other = MicrocredentialFactory.create(unit=world.a_unit1)
    OfferingFactory.create(microcredential=other)  # open, but of another microcredential
    draft = OfferingFactory.create(microcredential=mc, status="draft", published_at=None)

    assert run_sweep() == 0
    assert mail.outbox == []

    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    catalog_services.offering_publish(
        tenant=world.a, access=access, actor=world.a_unit1_admin, offering_id=draft.pk
    )
    assert run_sweep() == 2
    assert run_sweep() == 0  # told already: nothing due

    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.org", "grace@example.org"]
    message = mail.outbox[0]
    assert message.subject == f"[{world.a_unit1.name}] A seat is open: Machine Learning"
    assert f"http://alpha.test/offerings/{draft.pk}/" in message.body
    unsubscribe = found(r"http://alpha\.test(/notify/unsubscribe/[^/\s]+/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<http://alpha.test{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Interest.objects.values_list("notified_offering", flat=True)) == {draft.pk}
    assert Interest.objects.filter(notified_at__isnull=True).count() == 0

    # Another run opening later: a person told already is not written to again...
    OfferingFactory.create(microcredential=mc)
    assert run_sweep() == 0
    assert len(mail.outbox) == 2
    # ...unless they sign up again.
    again = services.interest_signup(tenant=world.a, offering_id=closed.pk, email="ada@example.org")
    assert again.outcome == services.SignupOutcome.RENEWED
    assert run_sweep() == 1
    assert [m.to[0] for m in mail.outbox[2:]] == ["ada@example.org"]


def test_a_seat_freeing_in_a_full_run_mails_once(world, run_sweep):
    offering = full_without_waitlist(world)
    services.interest_signup(tenant=world.a, offering_id=offering.pk, email="ada@example.org")
    assert run_sweep() == 0

    catalog_services.offering_seats_release(tenant=world.a, offering_id=offering.pk)
    run_sweep()
    run_sweep()

    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert f"/offerings/{offering.pk}/" in mail.outbox[0].body


def test_a_run_not_open_yet_mails_when_enrollment_opens(world, run_sweep):
    soon = OfferingFactory.create(
        microcredential__unit=world.a_unit1, enrollment_opens_at=timezone.now() + timedelta(hours=2)
    )
    services.interest_signup(tenant=world.a, offering_id=soon.pk, email="ada@example.org")
    assert run_sweep() == 0
    type(soon).objects.filter(pk=soon.pk).update(enrollment_opens_at=timezone.now() - timedelta(minutes=1))
    assert run_sweep() == 1
    assert len(mail.outbox) == 1


def test_a_refused_delivery_releases_the_claim_for_the_retry(world, monkeypatch):
    offering = full_without_waitlist(world, seats_taken=1)
    signup = services.interest_signup(tenant=world.a, offering_id=offering.pk, email="a@example.org")
    interest = signup.interest

    def refuse(message):
        raise OSError("mail server down")

    monkeypatch.setattr(services, "deliver_now", refuse)
    with pytest.raises(OSError, match="mail server down"):
        services.interest_notify(interest_id=interest.pk)
    interest.refresh_from_db()
    assert (interest.notify_claimed_at, interest.notified_at) == (None, None)
    monkeypatch.undo()
    assert services.interest_notify(interest_id=interest.pk) is True
    assert services.interest_notify(interest_id=interest.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_one_email(world, monkeypatch):
    offering = full_without_waitlist(world, seats_taken=1)
    signup = services.interest_signup(tenant=world.a, offering_id=offering.pk, email="a@example.org")
    interest = signup.interest
    start = threading.Barrier(4)
    results: list[bool] = []

    def send() -> None:
        try:
            start.wait(5)
            results.append(services.interest_notify(interest_id=interest.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1


# --- Unsubscribing --------------------------------------------------------------------------------


def _token(world) -> tuple[Interest, str]:
    offering = full_without_waitlist(world)
    signup = services.interest_signup(tenant=world.a, offering_id=offering.pk, email="ada@example.org")
    return signup.interest, services.unsubscribe_token(signup.interest)


def test_the_link_unsubscribes_without_signing_in(world):
    interest, token = _token(world)
    client = anonymous(world.a, enforce_csrf_checks=True)
    confirm = client.get(f"/notify/unsubscribe/{token}/")
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Take ada@example.org off the list for Data Visualisation?" in page
    csrf = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert Interest.objects.filter(pk=interest.pk).exists()  # a GET (a mail scanner) removes nothing

    done = client.post(f"/notify/unsubscribe/{token}/", {"csrfmiddlewaretoken": csrf})
    assert done.status_code == 200
    assert "we will not write to you about Data Visualisation" in done.content.decode()
    assert not Interest.objects.filter(pk=interest.pk).exists()
    assert client.get(f"/notify/unsubscribe/{token}/").status_code == 404


def test_one_click_unsubscribe_posts_without_a_form_token(world):
    interest, token = _token(world)
    client = anonymous(world.a, enforce_csrf_checks=True)
    answer = client.post(f"/notify/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert not Interest.objects.filter(pk=interest.pk).exists()


def test_a_tampered_or_foreign_link_is_refused(world):
    interest, token = _token(world)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = anonymous(world.a)
    forged = services.unsubscribe_token(Interest(pk=interest.pk, email="eve@x.org"))
    for bad in (tampered, "nonsense", forged):
        assert client.get(f"/notify/unsubscribe/{bad}/").status_code == 404
        assert client.post(f"/notify/unsubscribe/{bad}/").status_code == 404
    # Another tenant's host does not know the interest.
    assert anonymous(world.b).post(f"/notify/unsubscribe/{token}/").status_code == 404
    assert Interest.objects.filter(pk=interest.pk).exists()


def test_the_confirmation_page_carries_the_unsubscribe_link(world):
    offering = full_without_waitlist(world)
    done = anonymous(world.a).post(f"/offerings/{offering.pk}/notify/", {"email": "ada@example.org"})
    link = found(r'href="(/notify/unsubscribe/[^"]+/)"', done.content.decode()).group(1)
    assert anonymous(world.a).post(link).status_code == 200
    assert Interest.objects.count() == 0


# --- The catalog page stays shared -----------------------------------------------------------------


def test_the_cached_offering_page_is_the_same_for_two_anonymous_visitors(world, settings):
    settings.CATALOG_CACHE_SECONDS = 60
    offering = full_without_waitlist(world)
    first, second = Client(HTTP_HOST="alpha.test"), Client(HTTP_HOST="alpha.test")
    first.post(f"/offerings/{offering.pk}/notify/", {"email": "ada@example.org"})

    one = first.get(f"/offerings/{offering.pk}/")
    two = second.get(f"/offerings/{offering.pk}/")
    assert one.status_code == two.status_code == 200
    assert one.content == two.content
    assert one["ETag"] == two["ETag"]
    assert "public" in two["Cache-Control"]
    body = two.content.decode()
    assert "ada@example.org" not in body
    assert "csrfmiddlewaretoken" not in body
    assert f'href="/offerings/{offering.pk}/notify/"' in body


# --- Personal data --------------------------------------------------------------------------------


def test_interests_are_in_the_data_download_and_go_with_the_account(world):
    from demand import receivers
    from learners.registry import MergeContext

    offering = full_without_waitlist(world)
    learner = UserFactory.create(email="ada@example.org")
    services.interest_signup(tenant=world.a, offering_id=offering.pk, email="", user=learner)
    other = OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Welding")
    services.interest_signup(tenant=world.a, offering_id=other.pk, email="ADA@example.org")  # signed out

    [row] = receivers.export(learner)
    assert (row["microcredential"], row["email"], row["notified_at"]) == (
        "Data Visualisation",
        "ada@example.org",
        None,
    )

    kept = UserFactory.create(email="ada.kept@example.org")
    merge = MergeContext(tenant=world.a, source=learner, target=kept, actor=world.a_admin)
    assert receivers.move_interests(merge) == 1
    assert receivers.export(kept)[0]["microcredential"] == "Data Visualisation"

    receivers.erase(kept, "ref")
    assert list(Interest.objects.values_list("email", flat=True)) == ["ada@example.org"]
    receivers.erase(learner, "ref")  # the address's own sign-ups go with its account
    assert Interest.objects.count() == 0


def test_an_interest_removed_while_being_sent_is_not_sent(world):
    offering = full_without_waitlist(world, seats_taken=1)
    signup = services.interest_signup(tenant=world.a, offering_id=offering.pk, email="a@example.org")
    Interest.objects.filter(pk=signup.interest.pk).delete()
    assert services.interest_notify(interest_id=signup.interest.pk) is False
    assert mail.outbox == []


@pytest.mark.parametrize("cache_seconds", [0, 60])
def test_a_signed_in_learner_gets_one_button_on_the_offering_page(world, settings, cache_seconds):
    settings.CATALOG_CACHE_SECONDS = cache_seconds
    offering = full_without_waitlist(world)
    anonymous(world.a).get(f"/offerings/{offering.pk}/")  # the shared page, cached
    learner = UserFactory.create(email="grace@example.org")
    client = anonymous(world.a, enforce_csrf_checks=True)
    client.force_login(learner)

    page = client.get(f"/offerings/{offering.pk}/")
    body = page.content.decode()
    part = body.split("<!--mc:personal:notify:")[1].split("<!--/mc:personal:notify-->")[0]
    assert f'<form method="post" action="/offerings/{offering.pk}/notify/">' in part
    assert "private" in page["Cache-Control"]
    csrf = found(r'name="csrfmiddlewaretoken" value="([^"]+)"', part).group(1)

    assert client.post(f"/offerings/{offering.pk}/notify/", {"csrfmiddlewaretoken": csrf}).status_code == 200
    assert Interest.objects.get().email == "grace@example.org"
    after = client.get(f"/offerings/{offering.pk}/").content.decode()
    assert "You are on the list: we will write once" in after
    # The shared page is unchanged for everyone else.
    shared = anonymous(world.a).get(f"/offerings/{offering.pk}/").content.decode()
    assert "grace@example.org" not in shared
    assert "You are on the list" not in shared


def test_a_learner_cancelling_in_a_full_run_tells_those_waiting_after_commit(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from demand import receivers, tasks
    from enrollment.services.changes import enrollment_cancel
    from enrollment.services.enroll import enrollment_create

    offering = full_without_waitlist(world, seats_taken=0, capacity=1)
    learner = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        seat = enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk).enrollment
    services.interest_signup(tenant=world.a, offering_id=offering.pk, email="ada@example.org")

    def run_now(name: str, *args: int) -> bool:
        if name == "demand.notify_for_offering":
            tasks.interests_notify_for_offering(*args)
        else:
            tasks.interest_notify(*args)
        return True

    monkeypatch.setattr(receivers, "enqueue", run_now)
    monkeypatch.setattr(tasks, "enqueue", run_now)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_cancel(tenant=world.a, learner=learner, enrollment_id=seat.pk)

    assert [m.to for m in mail.outbox if "A seat is open" in m.subject] == [["ada@example.org"]]
