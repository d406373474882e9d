"""Deleting an account ends its sign-ins at every relying party; the export lists them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from access.services.relying_parties import relying_party_create
from identity.services import account_delete, account_export

pytestmark = pytest.mark.django_db


def test_deleting_the_account_ends_its_tokens(world):
    rp = relying_party_create(
        tenant=world.a,
        name="Moodle",
        unit=None,
        redirect_uris="https://m.test/cb",
        claims=[],
        first_party=True,
    ).relying_party
    access = AccessToken.objects.create(
        user=world.learner,
        application=rp.application,
        token="a-token",
        expires=timezone.now() + timedelta(hours=1),
        scope="openid",
    )
    RefreshToken.objects.create(
        user=world.learner, application=rp.application, token="r", access_token=access
    )

    exported = account_export(user=world.learner)
    account_delete(user=world.learner)

    assert exported["oidc_sign_ins"][0]["system"] == "Moodle"
    assert not AccessToken.objects.filter(application=rp.application).exists()
    assert not RefreshToken.objects.filter(application=rp.application).exists()
