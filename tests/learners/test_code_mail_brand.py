"""The sign-in code mail has the shape of every other branded mail (tenants.mail)."""

from __future__ import annotations

from tests.learners.helpers import html_of, last_mail_to


def test_the_code_mail_comes_from_the_tenant_and_replies_go_to_its_contact(world):
    client = world.client_for(None, world.a)

    client.post("/accounts/login/", {"login": world.learner.email})

    message = last_mail_to(world.learner.email)
    assert message.from_email == "Alpha University <no-reply@microcred.localhost>"
    assert message.subject.startswith("[Alpha University] Your sign-in code: ")
    assert message.reply_to == ["info@alpha.test"]
    assert "Alpha University" in html_of(message)
