"""The profile page: name, preferred name, phone, what each unit may e-mail about (with its
time, history kept), and changing the e-mail address with a code sent to the new one."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core import mail

from identity.models import User
from learners.models import ContactConsent
from tests.factories import UserFactory
from tests.learners.helpers import code_in, last_mail_to


def test_the_profile_needs_signing_in(world):
    response = world.client_for(None, world.a).get("/me/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/"


def test_a_learner_edits_their_details(world):
    client = world.client_for(world.learner, world.a)

    response = client.post(
        "/me/",
        {"full_name": "Grace Brewster Hopper", "preferred_name": "Grace", "phone": "+1 (312) 555-0100"},
    )

    assert response.status_code == 302
    world.learner.refresh_from_db()
    assert (world.learner.full_name, world.learner.preferred_name, world.learner.phone) == (
        "Grace Brewster Hopper",
        "Grace",
        "+1 (312) 555-0100",
    )
    assert "Your details are saved." in client.get("/me/").content.decode()


def test_a_bad_phone_number_is_explained_beside_the_field_and_nothing_is_lost(world):
    client = world.client_for(world.learner, world.a)

    response = client.post(
        "/me/", {"full_name": "Grace Hopper", "preferred_name": "Amazing", "phone": "call me"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_phone_error"' in page
    assert "Enter a phone number of 7 to 15 digits, like +1 312 555 0100." in page
    assert 'value="call me"' in page
    assert 'value="Grace Hopper"' in page
    world.learner.refresh_from_db()
    assert (world.learner.full_name, world.learner.phone) == ("", "")


def test_the_phone_is_optional(world):
    client = world.client_for(world.learner, world.a)

    assert client.post("/me/", {"full_name": "G", "preferred_name": "", "phone": ""}).status_code == 302


def test_contact_choices_are_recorded_with_their_time_and_history(world):
    client = world.client_for(world.learner, world.a)
    unit1 = world.a_unit1.pk

    client.post("/me/contact/", {f"consent_{unit1}_courses": "on"})
    client.post("/me/contact/", {f"consent_{unit1}_courses": "on", f"consent_{unit1}_events": "on"})
    client.post("/me/contact/", {f"consent_{unit1}_events": "on"})

    history = list(
        ContactConsent.objects.filter(user=world.learner)
        .order_by("recorded_at", "pk")
        .values_list("topic", "granted")
    )
    assert history == [("courses", True), ("events", True), ("courses", False)]
    assert all(c.tenant_id == world.a.pk and c.unit_id == unit1 for c in ContactConsent.objects.all())
    page = client.get("/me/").content.decode()
    assert f'name="consent_{unit1}_events" id="id_consent_{unit1}_events" checked' in page
    assert f'name="consent_{unit1}_courses" id="id_consent_{unit1}_courses"' in page
    assert "Last changed" in page


def test_saving_unchanged_choices_writes_nothing(world):
    client = world.client_for(world.learner, world.a)

    response = client.post("/me/contact/", {}, follow=True)

    assert "Nothing changed in your contact choices." in response.content.decode()
    assert not ContactConsent.objects.exists()


def test_contact_choices_are_per_tenant_and_another_tenants_unit_is_ignored(world):
    alpha = world.client_for(world.learner, world.a)

    alpha.post("/me/contact/", {f"consent_{world.b_unit1.pk}_courses": "on"})
    beta_page = world.client_for(world.learner, world.b).get("/me/").content.decode()
    alpha_page = alpha.get("/me/").content.decode()

    assert not ContactConsent.objects.exists()
    assert "Beta Workforce" in beta_page
    assert "Alpha Continuing Ed" not in beta_page
    assert "Beta Workforce" not in alpha_page


def test_changing_the_e_mail_address_needs_the_code_sent_to_the_new_one(world):
    client = world.client_for(world.learner, world.a)
    old = world.learner.email

    response = client.post("/accounts/email/", {"email": "new.address@example.test", "action_add": ""})

    assert response.status_code == 302
    message = last_mail_to("new.address@example.test")
    world.learner.refresh_from_db()
    assert world.learner.email == old  # not before the code
    page = client.get(response["Location"]).content.decode()
    assert "We sent a code to <strong>new.address@example.test</strong>" in page

    client.post("/accounts/confirm-email/", {"action": "verify", "code": code_in(message)})

    world.learner.refresh_from_db()
    assert world.learner.email == "new.address@example.test"
    assert list(
        EmailAddress.objects.filter(user=world.learner).values_list("email", "verified", "primary")
    ) == [("new.address@example.test", True, True)]


def test_changing_to_a_taken_address_is_refused_and_kept(world):
    other = UserFactory.create(email="taken@example.test")
    client = world.client_for(world.learner, world.a)

    response = client.post("/accounts/email/", {"email": "taken@example.test", "action_add": ""})

    assert response.status_code == 200
    page = response.content.decode()
    assert "An account already uses this address." in page
    assert 'value="taken@example.test"' in page
    assert mail.outbox == []
    assert EmailAddress.objects.filter(email="taken@example.test").get().user == other
    assert User.objects.get(pk=world.learner.pk).email == world.learner.email


def test_a_malformed_new_address_is_refused(world):
    client = world.client_for(world.learner, world.a)

    response = client.post("/accounts/email/", {"email": "new address", "action_add": ""})

    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []
