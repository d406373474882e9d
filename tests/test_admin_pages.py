"""Django admin (platform operators) lists the identity models and never shows a secret."""

from __future__ import annotations

import pytest

from tenants.models import ApiToken, SocialProvider
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "model",
    ["learners/learnerrecord", "learners/contactconsent", "learners/accountmerge", "tenants/apitoken"],
)
def test_operator_lists_open(world, model):
    operator = UserFactory.create(is_staff=True, is_superuser=True)

    assert world.client_for(operator, world.a).get(f"/admin/{model}/").status_code == 200


def test_operator_sees_no_provider_secret_or_token_hash(world):
    operator = UserFactory.create(is_staff=True, is_superuser=True)
    provider = SocialProvider.objects.create(
        tenant=world.a, kind="google", client_id="g", secret="GOCSPX-topsecret"
    )
    token = ApiToken.objects.create(
        tenant=world.a,
        user=world.a_admin,
        role="tenant_admin",
        name="x",
        prefix="mc_1234abcd",
        token_hash="f" * 64,
    )
    client = world.client_for(operator, world.a)

    provider_page = client.get(f"/admin/tenants/socialprovider/{provider.pk}/change/").content.decode()
    token_page = client.get(f"/admin/tenants/apitoken/{token.pk}/change/").content.decode()

    assert "GOCSPX-topsecret" not in provider_page
    assert "f" * 64 not in token_page
    assert "mc_1234abcd" in token_page
