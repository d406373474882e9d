"""tenants.mail: staff invitations in the tenant's brand, and the tenant's address in links."""

from __future__ import annotations

from django.core import mail

from tenants.mail import site_url
from tests.tenants.test_staff import invite


def test_a_staff_invitation_wears_the_tenant_s_brand(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world)

    [sent] = mail.outbox
    assert sent.from_email == "Alpha University <no-reply@microcred.localhost>"
    assert sent.subject == "[Alpha University] You are invited to the staff console"
    assert sent.reply_to == ["info@alpha.test"]
    assert "invites you to Alpha University on Microcred as Unit administrator." in sent.body


def test_links_in_mail_sent_by_jobs_use_the_tenant_s_primary_host(world, settings):
    settings.PUBLIC_PORT = 8123
    assert site_url(world.a) == "http://alpha.test:8123"
