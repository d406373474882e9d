"""Credential endpoints under /api/v1/: the public verifier, and staff's list and status changes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorOutput, query_id
from credentials import selectors
from credentials.links import share_url
from credentials.models import Credential
from credentials.services.changes import ACTIONS, credential_status_change
from credentials.services.verify import MAX_INPUT, Verdict, verify_document
from tenants.api import StaffApi, request_user
from tenants.errors import NotVisible

CHECK_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "name": serializers.CharField(),
    "ok": serializers.BooleanField(),
    "message": serializers.CharField(),
}
VerdictOutput = inline_serializer(
    "CredentialVerdict",
    {
        "ok": serializers.BooleanField(),
        "kind": serializers.CharField(),
        "issuer_id": serializers.CharField(),
        "issuer_name": serializers.CharField(),
        "achievement_name": serializers.CharField(),
        "subject_name": serializers.CharField(),
        "checks": inline_serializer("CredentialCheck", CHECK_FIELDS, many=True),
    },
)


def verdict_body(verdict: Verdict) -> dict[str, Any]:
    body = asdict(verdict)
    body["checks"] = [asdict(check) for check in verdict.checks]
    return body


class VerifyApi(APIView):
    """Anyone: the request body is the credential (JSON); the answer is the verdict, whatever it
    is given (not JSON, another type, a changed field: `ok` false and the check that failed)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="credentials_verify",
        request={"application/json": {"type": "object"}},
        responses={200: VerdictOutput},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        given: object
        try:
            given = request._request.body[: MAX_INPUT * 4 + 1]
        except RawPostDataException:  # a form post, read already: its `credential` field
            try:
                given = request.data.get("credential") if hasattr(request.data, "get") else None
            except ParseError:
                given = None
        return Response(verdict_body(verify_document(given)))


class CredentialOutput(serializers.ModelSerializer[Credential]):
    id = serializers.IntegerField(source="pk")
    public_id = serializers.UUIDField()
    unit = serializers.CharField(source="unit.slug")
    learner_email = serializers.EmailField(source="learner.email")
    microcredential = serializers.CharField(source="microcredential.title")
    share_url = serializers.SerializerMethodField()

    class Meta:
        model = Credential
        fields = [
            "id",
            "public_id",
            "unit",
            "learner_email",
            "microcredential",
            "status",
            "status_reason",
            "status_changed_at",
            "issued_at",
            "share_url",
        ]

    def get_share_url(self, credential: Credential) -> str:
        return share_url(credential)


class ReasonInput(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StaffCredentialListApi(StaffApi):
    """Credentials of the units the caller manages, newest first (`?unit=<id>` narrows)."""

    @extend_schema(
        operation_id="staff_credentials_list",
        parameters=[OpenApiParameter("unit", int, required=False)],
        responses={200: CredentialOutput(many=True), 400: ErrorOutput},
    )
    def get(self, request: Request) -> Response:
        unit_id = query_id(request.query_params, "unit")
        rows = selectors.credentials_for_staff(tenant=self.tenant, access=self.access, unit_id=unit_id)
        paginator = PageNumberPagination()
        paginator.page_size = 50
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(CredentialOutput(page, many=True).data)


class StaffCredentialActionApi(StaffApi):
    """`action`: suspend, reinstate, or revoke (a reason is required)."""

    @extend_schema(
        operation_id="staff_credentials_act",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS))],
        request=ReasonInput,
        responses={200: CredentialOutput, 400: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput},
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        if action not in ACTIONS:
            raise NotVisible(_("Not found."))
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        credential = credential_status_change(
            tenant=self.tenant,
            access=self.access,
            actor=request_user(request),
            credential_id=pk,
            action=action,
            reason=data.validated_data["reason"],
        )
        return Response(CredentialOutput(credential).data)
