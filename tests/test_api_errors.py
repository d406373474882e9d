"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

import json
import runpy
from pathlib import Path

import pytest
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from catalog.models import Offering
from core.error_pages import server_error
from core.errors import MicrocredError
from core.input_guard import MAX_QUERY_STRING
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory
from tests.catalog.test_api import api, offering_payload


class Full(MicrocredError):
    code = "offering_full"
    status = 409


class Example(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class Input(serializers.Serializer[dict[str, str]]):
        email = serializers.EmailField()

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["email"].startswith("full"):
            raise Full("This offering is full.")
        return Response({"ok": True})


def call(payload):
    request = APIRequestFactory().post("/x", payload, format="json")
    return Example.as_view()(request)


def test_domain_error_keeps_its_code_status_and_message():
    response = call({"email": "full@example.test"})

    assert response.status_code == 409
    assert response.data == {
        "error": {"code": "offering_full", "message": "This offering is full.", "fields": {}}
    }


def test_validation_error_names_the_field():
    response = call({"email": "nope"})

    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert response.data["error"]["fields"] == {"email": ["Enter a valid email address."]}


def test_not_authenticated_uses_the_same_shape():
    class Private(APIView):
        def get(self, request):
            return Response({})

    response = Private.as_view()(APIRequestFactory().get("/x"))

    # 401 with a Bearer challenge: the API's first authentication is the personal API token.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.data["error"]["code"] == "not_authenticated"


# --- Through the whole stack: input no view can use, and errors outside any DRF view ---------


def _error(response):
    assert response["Content-Type"] == "application/json", response.content[:200]
    return json.loads(response.content)["error"]


@pytest.fixture
def offering(world):
    return OfferingFactory.create(microcredential__unit=world.a_unit1)


@pytest.mark.parametrize(
    "path", ["/api/v1/refunds/", "/api/v1/staff/offerings/{pk}/roster/", "/api/v1/learners/"]
)
def test_a_nul_in_a_query_parameter_is_a_400_in_the_api_shape(world, offering, path):
    admin = world.client_for(world.a_admin, world.a)

    response = admin.get(path.format(pk=offering.pk) + "?q=a%00b&email=a%00b")

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid"
    assert "null character" in _error(response)["message"]


@pytest.mark.parametrize(
    "path", ["/console/refunds/", "/console/offerings/{pk}/roster/", "/console/learners/"]
)
def test_a_nul_in_a_console_page_s_query_is_a_400_page_in_the_tenant_s_brand(world, offering, path):
    admin = world.client_for(world.a_admin, world.a)

    response = admin.get(path.format(pk=offering.pk) + "?q=a%00b")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Alpha University" in page
    assert "null character" in page


def test_a_nul_in_a_posted_form_is_a_400(world):
    response = world.client_for(None, world.a).post("/accounts/login/", {"login": "a\x00b@example.test"})

    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_an_offering_id_beyond_bigint_is_a_400_naming_the_field(world, offering):
    learner = world.client_for(world.learner, world.a)

    response = learner.post("/api/v1/enrollments/", {"offering": 2**63}, content_type="application/json")

    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["offering"]


def test_an_unknown_api_path_is_a_404_in_the_api_shape(world):
    response = world.client_for(None, world.a).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_crash_under_api_answers_json_and_elsewhere_the_page():
    api = server_error(RequestFactory().get("/api/v1/enrollments/"))
    page = server_error(RequestFactory().get("/console/"))

    assert (api.status_code, _error(api)["code"]) == (500, "server_error")
    assert page.status_code == 500
    assert b"Something went wrong" in page.content


def test_an_over_long_query_is_a_414_page_in_the_brand_before_gunicorn_s_limit(world):
    response = world.client_for(None, world.a).get("/", {"q": "x" * 16_000})
    api = world.client_for(None, world.a).get("/api/v1/catalog/offerings/", {"q": "x" * 3000})

    assert response.status_code == 414
    assert "Alpha University" in response.content.decode()
    assert "too long" in response.content.decode()
    assert (api.status_code, _error(api)["code"]) == (414, "query_too_long")


def test_gunicorn_accepts_request_lines_longer_than_django_s_own_limit():
    config = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))

    assert isinstance(config["limit_request_line"], int)
    assert config["limit_request_line"] > MAX_QUERY_STRING + 1000


def test_an_over_large_api_price_says_the_limit_and_nothing_is_saved(world):
    mc = MicrocredentialFactory.create(unit=world.a_unit1)
    client = api(world, world.a_unit1_admin)

    response = client.post(
        "/api/v1/staff/offerings/", offering_payload(mc.pk, price_minor=2**63), format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "price_minor": ["A price can be at most 99999999 minor units: the most Stripe charges."]
    }
    assert not Offering.objects.exists()
