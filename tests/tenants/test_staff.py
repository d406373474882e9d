import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenants.models import StaffInvitation, StaffMembership, StaffRole
from tests.factories import UserFactory


def invite(world, **data):
    client = world.client_for(world.a_admin, world.a)
    payload = {"email": "new.admin@example.test", "role": "unit_admin", "units": [world.a_unit1.pk]}
    payload.update(data)
    return client.post("/console/staff/invite/", payload)


def link_in(message) -> str:
    found = re.search(r"http://\S+", message.body)
    assert found is not None
    return found.group(0)


def test_tenant_admin_invites_a_unit_admin_who_accepts(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(world)

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.admin@example.test"]
    assert "Alpha University" in message.subject
    url = link_in(message)
    assert url.startswith("http://alpha.test/invitations/")

    person = UserFactory.create(email="new.admin@example.test")
    client = world.client_for(person, world.a)
    path = url.removeprefix("http://alpha.test")
    assert "Accept the invitation" in client.get(path).content.decode()
    response = client.post(path)

    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=person, tenant=world.a)
    assert membership.role == StaffRole.UNIT_ADMIN
    assert list(membership.units.all()) == [world.a_unit1]
    assert client.get("/console/units/continuing-ed/").status_code == 200
    assert client.get("/console/units/business/").status_code == 404
    # Used once: a second acceptance is refused.
    assert client.post(path).status_code == 400


def test_invitation_for_someone_else_is_refused(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world)
    path = link_in(mail.outbox[0]).removeprefix("http://alpha.test")
    intruder = world.client_for(world.learner, world.a)

    response = intruder.post(path)

    assert response.status_code == 400
    assert "This invitation is for new.admin@example.test" in response.content.decode()
    assert not StaffMembership.objects.filter(user=world.learner).exists()


def test_invitation_link_does_not_work_on_another_tenant(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(world)
    path = link_in(mail.outbox[0]).removeprefix("http://alpha.test")
    person = UserFactory.create(email="new.admin@example.test")

    assert world.client_for(person, world.b).post(path).status_code == 404
    assert not StaffMembership.objects.filter(user=person).exists()


def test_expired_or_withdrawn_invitation_is_refused(world):
    invite(world)
    invitation = StaffInvitation.objects.get()
    person = UserFactory.create(email="new.admin@example.test")
    client = world.client_for(person, world.a)

    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    assert client.post(f"/invitations/{invitation.token}/").status_code == 400

    invitation.expires_at = timezone.now() + timedelta(days=1)
    invitation.save()
    admin = world.client_for(world.a_admin, world.a)
    admin.post(f"/console/invitations/{invitation.pk}/revoke/")
    assert client.post(f"/invitations/{invitation.token}/").status_code == 400
    assert not StaffMembership.objects.filter(user=person).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"units": []}, "Choose at least one unit for a unit administrator."),
        ({"role": "finance", "units": []}, "tick"),
        ({"role": "owner"}, "Select a valid choice."),
    ],
)
def test_bad_invitations_are_explained_and_nothing_is_sent(world, data, message):
    response = invite(world, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StaffInvitation.objects.exists()
    assert mail.outbox == []


def test_invitation_cannot_name_another_tenants_unit(world):
    response = invite(world, units=[world.b_unit1.pk])

    assert response.status_code == 200
    assert not StaffInvitation.objects.exists()


def test_finance_for_every_unit(world, django_capture_on_commit_callbacks):
    invite(world, role="finance", units=[], all_units="on", email="money@example.test")
    person = UserFactory.create(email="money@example.test")
    token = StaffInvitation.objects.get().token

    world.client_for(person, world.a).post(f"/invitations/{token}/")

    membership = StaffMembership.objects.get(user=person)
    assert (membership.role, membership.all_units) == ("finance", True)


def test_withdrawing_another_tenants_invitation_is_404(world):
    invite(world)
    invitation = StaffInvitation.objects.get()

    response = world.client_for(world.b_admin, world.b).post(f"/console/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_tenant_admin_removes_a_role_but_not_their_own(world):
    client = world.client_for(world.a_admin, world.a)
    target = StaffMembership.objects.get(user=world.a_unit1_admin)
    own = StaffMembership.objects.get(user=world.a_admin)

    client.post(f"/console/staff/{target.pk}/remove/")
    response = client.post(f"/console/staff/{own.pk}/remove/", follow=True)

    assert not StaffMembership.objects.filter(pk=target.pk).exists()
    assert StaffMembership.objects.filter(pk=own.pk).exists()
    assert "You cannot remove your own tenant administrator role" in response.content.decode()
    assert world.client_for(world.a_unit1_admin, world.a).get("/console/").status_code == 404


def test_removing_another_tenants_staff_is_404(world):
    other = StaffMembership.objects.get(user=world.b_admin)

    response = world.client_for(world.a_admin, world.a).post(f"/console/staff/{other.pk}/remove/")

    assert response.status_code == 404
    assert StaffMembership.objects.filter(pk=other.pk).exists()
