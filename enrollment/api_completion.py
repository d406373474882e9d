"""Completion over HTTP (/api/v1/staff/...): unit staff record one learner's completion, a
whole roster's in one call, or a CSV file checked row by row; each answers with the same report
as the console. Errors and idempotency as in enrollment/api.py."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ERROR_SCHEMA, ErrorOutput, IdField
from enrollment import selectors, services
from enrollment.api_staff import CompletionOutput
from enrollment.models import (
    RESULT_MAX_LENGTH,
    CompletionOutcome,
    CompletionSource,
)
from enrollment.services.completion import MODES
from enrollment.services.completion_file import MAX_BYTES
from enrollment.services.completion_many import Line, Report, Wanted
from tenants.api import StaffApi, request_user


class CompletionInput(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=CompletionOutcome.choices)
    result = serializers.CharField(required=False, allow_blank=True, max_length=RESULT_MAX_LENGTH)
    date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: today in the offering's time zone."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Needed to change what was recorded."
    )


class CompletionRecordedOutput(serializers.Serializer[Any]):
    changed = serializers.BooleanField(help_text="False: exactly this was already recorded; nothing changed.")
    completion = CompletionOutput()


COMPLETION_REFUSALS = {
    400: ErrorOutput,
    404: OpenApiResponse(ERROR_SCHEMA, description="No such enrollment or offering (or another unit's)."),
    409: OpenApiResponse(ERROR_SCHEMA, description="`completion_refused`: the enrollment is not confirmed."),
}


class StaffCompletionApi(StaffApi):
    @extend_schema(
        operation_id="staff_completion_record",
        request=CompletionInput,
        responses={200: CompletionRecordedOutput, **COMPLETION_REFUSALS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Record a confirmed learner's completion, or correct it (with a `reason`). Sending the
        same thing again changes nothing (`changed: false`)."""
        data = CompletionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        done = services.completion_record_staff(
            tenant=self.tenant,
            access=self.access,
            actor=request_user(request),
            enrollment_id=pk,
            outcome=values["outcome"],
            result=values.get("result", ""),
            on=values.get("date"),
            reason=values.get("reason", ""),
            source=CompletionSource.API,
        )
        return Response(CompletionRecordedOutput({"changed": done.changed, "completion": done.record}).data)


class ReportLineOutput(serializers.Serializer[Any]):
    line = serializers.IntegerField(allow_null=True, help_text="The CSV line (the header is line 1).")
    enrollment = serializers.IntegerField(source="enrollment_id", allow_null=True)
    email = serializers.CharField()
    outcome = serializers.CharField()
    result = serializers.CharField()
    date = serializers.DateField(source="on", allow_null=True)
    message = serializers.CharField(help_text="Why it was refused (refused lines).")
    credits = serializers.CharField(help_text="What it awarded, like `3.00 ceu` (saved lines).")


class CompletionReportOutput(serializers.Serializer[Any]):
    mode = serializers.ChoiceField(choices=list(MODES))
    applied = serializers.BooleanField(
        help_text="False: all or nothing, and a line was refused: nothing saved."
    )
    saved = ReportLineOutput(many=True)
    unchanged = ReportLineOutput(many=True, help_text="Already recorded exactly so.")
    refused = ReportLineOutput(many=True)
    not_saved = ReportLineOutput(many=True, help_text="Good lines not saved (all or nothing).")


def report_body(report: Report) -> dict[str, Any]:
    def lines(found: list[Line]) -> list[Any]:
        return list(ReportLineOutput(found, many=True).data)

    return {
        "mode": report.mode,
        "applied": report.applied,
        "saved": lines(report.saved),
        "unchanged": lines(report.unchanged),
        "refused": lines(report.refused),
        "not_saved": lines(report.not_saved),
    }


class BulkCompletionInput(serializers.Serializer[Any]):
    enrollments = serializers.ListField(child=IdField(), min_length=1, max_length=5000)
    outcome = serializers.ChoiceField(choices=CompletionOutcome.choices, default=CompletionOutcome.COMPLETED)
    result = serializers.CharField(required=False, allow_blank=True, max_length=RESULT_MAX_LENGTH)
    date = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")
    mode = serializers.ChoiceField(choices=list(MODES), default=MODES[0])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class StaffBulkCompletionApi(StaffApi):
    @extend_schema(
        operation_id="staff_completions_bulk",
        request=BulkCompletionInput,
        responses={200: CompletionReportOutput, 400: ErrorOutput, 404: ErrorOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Several enrollments of one offering, one outcome, result and date. Every one is checked
        first; `all_or_nothing` (default) saves nothing if one is refused, `good_rows` saves the
        others. The report says what was saved and what was refused, and why."""
        data = BulkCompletionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        offering = selectors.offering_for_roster(tenant=self.tenant, access=self.access, offering_id=pk)
        on = values.get("date") or services.completion.today_for(offering)
        report = services.completions_apply(
            tenant=self.tenant,
            access=self.access,
            actor=request_user(request),
            offering_id=pk,
            wanted=[
                Wanted(enrollment_id=i, outcome=values["outcome"], result=values.get("result", ""), on=on)
                for i in values["enrollments"]
            ],
            mode=values["mode"],
            source=CompletionSource.API,
            reason=values.get("reason", ""),
        )
        return Response(report_body(report))


class CompletionFileInput(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="CSV, UTF-8: columns email or enrollment_id, result, date (YYYY-MM-DD), optional "
        "outcome (completed, not_completed). At most 1 MB and 5000 lines."
    )
    mode = serializers.ChoiceField(choices=list(MODES), default=MODES[0])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class StaffCompletionFileApi(StaffApi):
    @extend_schema(
        operation_id="staff_completions_csv",
        request={"multipart/form-data": CompletionFileInput},
        responses={
            200: CompletionReportOutput,
            400: OpenApiResponse(ERROR_SCHEMA, description="`completion_file_invalid` or `invalid`."),
            404: ErrorOutput,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Completions from a CSV file, checked line by line before anything is saved; the report
        gives each refused line's number and why."""
        data = CompletionFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        selectors.offering_for_roster(tenant=self.tenant, access=self.access, offering_id=pk)
        wanted = services.read_completion_csv(values["file"].read(MAX_BYTES + 1))
        report = services.completions_apply(
            tenant=self.tenant,
            access=self.access,
            actor=request_user(request),
            offering_id=pk,
            wanted=wanted,
            mode=values["mode"],
            source=CompletionSource.CSV,
            reason=values.get("reason", ""),
        )
        return Response(report_body(report))
