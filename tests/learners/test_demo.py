"""The demo learners, and that codes are readable in the terminal `make run` prints e-mails to."""

from __future__ import annotations

from identity.models import User
from learners.demo import seed_demo_learners
from learners.demo_accounts import DEMO_LEARNERS
from learners.models import LearnerRecord
from tenants.demo import seed_demo
from tests.learners.helpers import CODE_RE


def test_seeding_learners_twice_adds_them_once(db):
    seed_demo()

    assert seed_demo_learners() == len(DEMO_LEARNERS)
    assert seed_demo_learners() == 0
    grace = User.objects.get(email="grace@learners.localhost")
    assert sorted(LearnerRecord.objects.filter(user=grace).values_list("tenant__slug", flat=True)) == [
        "harbor",
        "northfield",
    ]
    assert not grace.has_usable_password()


def test_learners_wait_for_their_tenants(db):
    assert seed_demo_learners() == 0
    assert not User.objects.exists()


def test_a_demo_learner_gets_a_code_printed_in_the_terminal(db, client, settings, capsys):
    seed_demo()
    seed_demo_learners()
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as `make run` sets it

    response = client.post("/accounts/login/", {"login": "ada@learners.localhost"}, HTTP_HOST="127.0.0.1")

    assert response.status_code == 302
    printed = capsys.readouterr().out
    assert "Subject: [Northfield University] Your sign-in code: " in printed
    assert CODE_RE.search(printed.split("Your sign-in code is:", 1)[1]) is not None
