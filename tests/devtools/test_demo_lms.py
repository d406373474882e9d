"""`make run`'s demo LMS connections (devtools.demo_lms): the unit's local Moodle is connected,
has the offering's course, and signs learners in through the tenant's OpenID provider; run again
(the doubles restart on new ports), the relying party follows the new address."""

from __future__ import annotations

import pytest
from oauth2_provider.models import Application

import lms_local
from access.models import LmsConnection, RelyingParty
from devtools.demo_lms import seed
from lms_local.oidc import CALLBACK
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_the_demo_moodle_is_connected_and_signs_in_through_the_tenant(settings):
    settings.PUBLIC_PORT = "8000"
    tenant = TenantFactory.create(
        slug="northfield", name="Northfield University", hosts=["northfield.localhost"]
    )
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")
    OfferingFactory.create(microcredential__unit=unit, lms_course_ref="DATA-101")
    with lms_local.running(kind="moodle", token="demo") as first:
        said = seed(
            tenant_slug="northfield", unit_slug="continuing-ed", kind="moodle", url=first.url, token="demo"
        )
        assert said.endswith("(1 courses), sign-in through http://northfield.localhost:8000")
        assert [c["shortname"] for c in first.control.state()["courses"]] == ["DATA-101"]
        assert first.issuer is not None
        assert first.issuer.issuer == "http://northfield.localhost:8000"
        rp = RelyingParty.objects.get(tenant=tenant, unit=unit)
        assert rp.first_party
        assert rp.application.redirect_uris == first.url + CALLBACK
        assert first.issuer.client_id == rp.application.client_id
        old_secret = rp.application.client_secret

    with lms_local.running(kind="moodle", token="demo") as second:
        seed(tenant_slug="northfield", unit_slug="continuing-ed", kind="moodle", url=second.url, token="demo")
        assert LmsConnection.objects.get(unit=unit).base_url == second.url
        [rp] = RelyingParty.objects.filter(tenant=tenant, unit=unit)
        application = Application.objects.get(pk=rp.application_id)
        assert application.redirect_uris == second.url + CALLBACK
        assert application.client_secret != old_secret
        assert second.issuer is not None
        assert second.issuer.client_id == application.client_id
