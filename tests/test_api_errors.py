"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from microcred.errors import MicrocredError


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
