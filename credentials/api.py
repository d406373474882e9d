"""Credential endpoints under /api/v1/: the public verifier, staff's list and status changes, and
staff's prior learning (list, decision)."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
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

from core.api import ErrorOutput, IdField, query_id
from core.errors import ValidationFailed
from credentials import selectors
from credentials.links import share_url
from credentials.models import Credential, Recognition, RecognitionStatus
from credentials.services.changes import ACTIONS, credential_status_change
from credentials.services.recognition import MAX_REASON, recognition_decide
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
    return {
        "ok": verdict.ok,
        "checks": [{"name": c.name, "ok": c.ok, "message": c.message} for c in verdict.checks],
        "kind": verdict.kind,
        "issuer_id": verdict.issuer_id,
        "issuer_name": verdict.issuer_name,
        "achievement_name": verdict.achievement_name,
        "subject_name": verdict.subject_name,
    }


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
    def post(self, request: Request) -> JsonResponse:
        given: object
        try:
            given = request._request.body[: MAX_INPUT * 4 + 1]
        except RawPostDataException:  # a form post, read already: its `credential` field
            try:
                given = request.data.get("credential") if hasattr(request.data, "get") else None
            except ParseError:
                given = None
        # JSON as is: the verdict is plain data, so DRF's negotiation and renderer add only time
        # (this endpoint is the one anyone may call in bulk).
        return JsonResponse(verdict_body(verify_document(given)), json_dumps_params={"ensure_ascii": False})


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


class RecognitionCheckOutput(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class RecognitionOutput(serializers.ModelSerializer[Recognition]):
    id = serializers.IntegerField(source="pk")
    learner_email = serializers.EmailField(source="learner.email")
    part = serializers.IntegerField(source="part_id", allow_null=True)
    part_title = serializers.SerializerMethodField()
    checks = RecognitionCheckOutput(many=True)
    decided_by_email = serializers.SerializerMethodField()

    class Meta:
        model = Recognition
        fields = [
            "id",
            "learner_email",
            "kind",
            "verified",
            "checks",
            "issuer_name",
            "issuer_id",
            "achievement_name",
            "part",
            "part_title",
            "status",
            "reason",
            "decided_by_email",
            "decided_at",
            "uploaded_at",
        ]

    def get_part_title(self, recognition: Recognition) -> str:
        return recognition.part.title if recognition.part is not None else ""

    def get_decided_by_email(self, recognition: Recognition) -> str:
        return recognition.decided_by.email if recognition.decided_by is not None else ""


class DecisionInput(serializers.Serializer[dict[str, Any]]):
    accept = serializers.BooleanField()
    part = IdField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")
    override = serializers.BooleanField(required=False, default=False)


class StaffRecognitionListApi(StaffApi):
    """Prior learning uploaded by learners: pending first, then newest (`?status=` narrows). A
    unit admin sees what asks for one of their units' parts, and what names no part."""

    @extend_schema(
        operation_id="staff_recognitions_list",
        parameters=[OpenApiParameter("status", str, required=False, enum=list(RecognitionStatus.values))],
        responses={200: RecognitionOutput(many=True), 400: ErrorOutput},
    )
    def get(self, request: Request) -> Response:
        status = request.query_params.get("status") or None
        if status is not None and status not in RecognitionStatus.values:
            raise ValidationFailed(
                _("Some filters are not valid."), fields={"status": [_("pending, accepted or refused.")]}
            )
        rows = selectors.recognitions_for_staff(tenant=self.tenant, access=self.access, status=status)
        paginator = PageNumberPagination()
        paginator.page_size = 50
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RecognitionOutput(page, many=True).data)


class StaffRecognitionDecisionApi(StaffApi):
    """Accept (`part`: the part it counts toward, else the one the learner asked for; an unverified
    credential needs `override` and a `reason`) or refuse (a `reason` is required), once."""

    @extend_schema(
        operation_id="staff_recognitions_decide",
        request=DecisionInput,
        responses={200: RecognitionOutput, 400: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        recognition = recognition_decide(
            tenant=self.tenant,
            access=self.access,
            actor=request_user(request),
            recognition_id=pk,
            accept=data.validated_data["accept"],
            part_id=data.validated_data["part"],
            reason=data.validated_data["reason"],
            override=data.validated_data["override"],
        )
        return Response(RecognitionOutput(recognition).data)
