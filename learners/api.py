"""The learners API (/api/v1/): who am I, sign in or up by code, guest checkout's identity step,
and learner lookup for staff. Errors use the one shape {"error": {"code", "message", "fields"}}.

Browsers and future apps sign in by code with a session cookie (the code flow is allauth's and
lives in the session); integrations use personal API tokens (tenants.api_auth).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from learners import selectors
from learners.services import signin
from tenants.api import request_tenant
from tenants.api_auth import MfaRequired, api_staff_access, token_of


class TenantOutput(serializers.Serializer[dict[str, Any]]):
    slug = serializers.CharField()
    name = serializers.CharField()


class TokenOutput(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    prefix = serializers.CharField()


class MeOutput(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField()
    name = serializers.CharField()
    tenant = TenantOutput()
    roles = serializers.ListField(child=serializers.CharField())
    units = serializers.ListField(child=serializers.CharField(), allow_null=True)
    authenticated_by = serializers.ChoiceField(choices=["token", "session"])
    token = TokenOutput(required=False)


class MessageOutput(serializers.Serializer[dict[str, Any]]):
    detail = serializers.CharField()
    email = serializers.EmailField()


class LearnerOutput(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class LookupOutput(serializers.Serializer[dict[str, Any]]):
    results = LearnerOutput(many=True)


class MeApi(APIView):
    """GET: who the caller is here, and with which roles (a token: only the role it was made for)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        access = api_staff_access(request)
        user = request.user
        token = token_of(request)
        tenant = request_tenant(request)
        body: dict[str, Any] = {
            "email": user.email,  # type: ignore[union-attr]
            "name": user.display_name,  # type: ignore[union-attr]
            "tenant": {"slug": tenant.slug, "name": tenant.name},
            "roles": sorted(access.roles),
            "units": None
            if access.unit_ids is None
            else sorted(tenant.units.filter(pk__in=access.unit_ids).values_list("slug", flat=True)),
            "authenticated_by": "token" if token else "session",
        }
        if token is not None:
            body["token"] = {"name": token.name, "prefix": token.prefix}
        return Response(body)


class EmailInput(serializers.Serializer[dict[str, Any]]):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


CODE_SENT = extend_schema(request=EmailInput, responses={202: MessageOutput})


class CodeRequestApi(APIView):
    """POST {email}: e-mail a sign-in code to an existing account; then POST the code to confirm."""

    permission_classes = [AllowAny]

    @CODE_SENT
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        signin.signin_code_request(request=request._request, email=email)
        return _code_sent(email)


class SignupApi(APIView):
    """POST {email, full_name?}: create a password-less account and e-mail its first code."""

    permission_classes = [AllowAny]

    @CODE_SENT
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        signin.account_signup(
            request=request._request,
            email=data.validated_data["email"],
            full_name=data.validated_data["full_name"],
        )
        return _code_sent(data.validated_data["email"])


class GuestApi(APIView):
    """POST {email, full_name?}: guest checkout's identity step (create or match, then a code)."""

    permission_classes = [AllowAny]

    @CODE_SENT
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        identity = signin.guest_identity_for_email(
            request=request._request,
            email=data.validated_data["email"],
            full_name=data.validated_data["full_name"],
        )
        return _code_sent(identity.email)


def _code_sent(email: str) -> Response:
    return Response(
        {
            "detail": _("We sent a sign-in code to %(email)s. Send it to /api/v1/auth/code/confirm/.")
            % {"email": email},
            "email": email,
        },
        status=status.HTTP_202_ACCEPTED,
    )


class CodeInput(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField(max_length=20)


class CodeConfirmApi(APIView):
    """POST {code}: the code e-mailed to this session's address. Signs the session in."""

    permission_classes = [AllowAny]

    @extend_schema(request=CodeInput, responses={200: MessageOutput})
    def post(self, request: Request) -> Response:
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        signin.signin_code_confirm(request=request._request, code=data.validated_data["code"])
        user = request._request.user
        if not user.is_authenticated:
            raise MfaRequired(
                _("This account uses two-factor authentication: finish signing in on the web page.")
            )
        return Response({"detail": _("Signed in."), "email": user.email})


class LearnerLookupApi(APIView):
    """GET ?email=: learners of the caller's units using this exact address (unit and tenant admins)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: LookupOutput})
    def get(self, request: Request) -> Response:
        access = api_staff_access(request)
        if not selectors.can_manage_learners(access):
            raise NotFound(_("Not found."))
        email = request.query_params.get("email", "")
        matches = selectors.learner_lookup(tenant=request_tenant(request), access=access, email=email)
        return Response(
            {
                "results": [
                    {"id": m.user.pk, "email": m.user.email, "name": m.user.full_name, "reasons": m.reasons}
                    for m in matches
                ]
            }
        )
