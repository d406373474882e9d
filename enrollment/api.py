"""Enrollment over HTTP (/api/v1/): learners enroll, cancel, leave the wait-list, answer offers
and list their enrollments (their session, or a personal token); unit admins read rosters and
act on them. Errors: {"error": {"code", "message", "fields"}}; refusals are 409s with a code
(`offering_full`, `already_enrolled`, `enrollment_closed`, ...).

Every POST that moves seats or money (here: enrolling, the learner's and staff's enrollment
actions, staff enrolling by e-mail; payments/api.py: refunds, cancellations) honours
`Idempotency-Key` through `keyed_response`: the service returns a domain result, the view
renders it, and idempotency.answer_once stores that answer in the service's transaction. A retry
gets the first answer (status and body, with `Idempotent-Replayed: true`), and nothing happens
twice; another body under the key is a 422.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERROR_SCHEMA, ErrorOutput, IdField
from enrollment import presenters, selectors, services
from enrollment.models import (
    RESULT_MAX_LENGTH,
    CompletionOutcome,
    CompletionSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from enrollment.services import idempotency
from enrollment.services.completion import MODES, Line, Report, Wanted
from enrollment.services.completion_file import MAX_BYTES
from identity.models import User
from tenants.api import StaffApi, request_tenant, request_user
from tenants.errors import NotVisible
from tenants.models import Tenant

S = EnrollmentStatus


# --- Output --------------------------------------------------------------------------------


class NextStepOutput(serializers.Serializer[Any]):
    code = serializers.ChoiceField(
        choices=["pay", "accept_offer", "wait", "attend", "none"],
        help_text="What the learner does next: pay (held), accept_offer (offered), wait, attend.",
    )
    text = serializers.CharField(help_text="As My learning says it: “Pay before 14:32 (America/Chicago) …”.")
    due_at = serializers.DateTimeField(allow_null=True)


class EnrollmentOutput(serializers.Serializer[Any]):
    """The documented shape of an enrollment: `enrollment_body` writes it (a test holds the two
    to the same output)."""

    id = serializers.IntegerField()
    offering = serializers.IntegerField(source="offering_id")
    title = serializers.CharField(source="offering.microcredential.title")
    cohort_label = serializers.CharField(source="offering.cohort_label")
    starts_at = serializers.DateTimeField(source="offering.starts_at")
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    waitlist_position = serializers.SerializerMethodField()
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    next_step = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="1 is next in line."))
    def get_waitlist_position(self, enrollment: Enrollment) -> int | None:
        return _position(enrollment)

    @extend_schema_field(NextStepOutput)
    def get_next_step(self, enrollment: Enrollment) -> dict[str, Any]:
        return _next_step(enrollment, _position(enrollment))


def _position(enrollment: Enrollment, known: int | None = None) -> int | None:
    if enrollment.status != S.WAITLISTED:
        return None
    if known is not None:
        return int(known)
    annotated = getattr(enrollment, "position", None)
    return int(annotated) if annotated is not None else selectors.waitlist_position(enrollment)


def _when(moment: datetime | None) -> str | None:
    """As DRF writes a DateTimeField (ISO 8601 in the current time zone, UTC as Z)."""
    if moment is None:
        return None
    text = timezone.localtime(moment).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _next_step(enrollment: Enrollment, position: int | None) -> dict[str, Any]:
    step = presenters.next_step(enrollment, position=position)
    return {"code": step.code, "text": step.text, "due_at": _when(step.due_at)}


def enrollment_body(enrollment: Enrollment, position: int | None = None) -> dict[str, Any]:
    """An enrollment as the API answers it (EnrollmentOutput's shape), written out: a flash sale
    renders thousands a second, and through the serializer each cost ~0.3 ms (measured)."""
    offering = enrollment.offering
    place = _position(enrollment, position)
    return {
        "id": enrollment.pk,
        "offering": enrollment.offering_id,
        "title": offering.microcredential.title,
        "cohort_label": offering.cohort_label,
        "starts_at": _when(offering.starts_at),
        "status": str(enrollment.status),
        "waitlist_position": place,
        "hold_expires_at": _when(enrollment.hold_expires_at),
        "offer_expires_at": _when(enrollment.offer_expires_at),
        "next_step": _next_step(enrollment, place),
        "created_at": _when(enrollment.created_at),
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID). A retry with the same key and body gets the first answer "
    "back (with `Idempotent-Replayed: true`) and nothing happens twice; a different body with the "
    "key is a 422.",
)
KEY_REUSED = OpenApiResponse(ERROR_SCHEMA, description="`idempotency_key_reused`.")


def answered(answer: idempotency.Answer) -> Response:
    response = Response(answer.body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def keyed_answer(
    request: Request,
    *,
    tenant: Tenant,
    user: User,
    asked: tuple[Any, ...],
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> idempotency.Answer:
    """A money- or seat-moving POST, once per `Idempotency-Key` (idempotency.answer_once):
    `asked` is what the request asks for (path and parsed body), `run` does it and answers."""

    def answer() -> idempotency.Answer:
        status, body = run()
        return idempotency.Answer(status, body)

    return idempotency.answer_once(
        tenant=tenant,
        user=user,
        key=request.headers.get("Idempotency-Key"),
        request_fingerprint=idempotency.fingerprint("POST", *asked),
        run=answer,
    )


def keyed_response(
    request: Request,
    *,
    tenant: Tenant,
    user: User,
    asked: tuple[Any, ...],
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> Response:
    """keyed_answer, as the API's response (a replay says so in `Idempotent-Replayed`)."""
    return answered(keyed_answer(request, tenant=tenant, user=user, asked=asked, run=run))


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


REFUSALS = {
    404: OpenApiResponse(ERROR_SCHEMA, description="No such offering or enrollment (or another tenant's)."),
    409: OpenApiResponse(
        ERROR_SCHEMA,
        description="Refused: `offering_full`, `already_enrolled`, `enrollment_closed`, "
        "`transition_refused`, `offer_expired`, `move_refused`.",
    ),
}


# --- Learners ------------------------------------------------------------------------------


class EnrollInput(serializers.Serializer[Any]):
    offering = IdField()


class EnrollmentListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="enrollments_list_mine",
        responses=EnrollmentOutput(many=True),
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
    )
    def get(self, request: Request) -> Response:
        """The signed-in learner's enrollments at this institution: active first."""
        rows = selectors.enrollments_for_learner(
            tenant=request_tenant(request), learner=request_user(request)
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response([enrollment_body(e) for e in page])

    @extend_schema(
        operation_id="enrollments_create",
        request=EnrollInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Any unique string (a UUID). A retry with the same key and body gets the "
                "first answer back and enrolls nobody twice; a different body with the key is a 422.",
            )
        ],
        responses={
            201: OpenApiResponse(
                EnrollmentOutput,
                description="Enrolled: `confirmed` (free), `held` (paid: pay before `hold_expires_at`), or "
                "`waitlisted` (full: `waitlist_position`).",
            ),
            400: ErrorOutput,
            422: OpenApiResponse(ERROR_SCHEMA, description="`idempotency_key_reused`."),
            **REFUSALS,
        },
    )
    def post(self, request: Request) -> Response:
        """Enroll in an offering: a seat if one is free, else the wait-list (or 409 `offering_full`)."""
        data = EnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        offering_id = data.validated_data["offering"]
        tenant, learner = request_tenant(request), request_user(request)

        def run() -> tuple[int, dict[str, Any]]:
            result = services.enrollment_create(tenant=tenant, learner=learner, offering_id=offering_id)
            return 201, enrollment_body(result.enrollment, result.waitlist_position)

        return keyed_response(
            request, tenant=tenant, user=learner, asked=("enrollments", {"offering": offering_id}), run=run
        )


class EnrollmentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="enrollments_read", responses={200: EnrollmentOutput, 404: ErrorOutput})
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.enrollment_for_learner(
            tenant=request_tenant(request), learner=request_user(request), enrollment_id=pk
        )
        return Response(enrollment_body(found))


class EnrollmentActionApi(APIView):
    """`action`: cancel (a seat, hold, offer or wait-list place), leave-waitlist, accept or
    decline (an offer)."""

    permission_classes = [IsAuthenticated]
    ACTIONS = ("cancel", "leave-waitlist", "accept", "decline")

    @extend_schema(
        operation_id="enrollments_act",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS)),
            IDEMPOTENCY_KEY,
        ],
        request=None,
        responses={200: EnrollmentOutput, 422: KEY_REUSED, **REFUSALS},
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        if action not in self.ACTIONS:
            raise NotVisible(_("Not found."))
        tenant, learner = request_tenant(request), request_user(request)
        return keyed_response(
            request,
            tenant=tenant,
            user=learner,
            asked=("enrollments", pk, action),
            run=lambda: (200, self._act(tenant, learner, pk, action)),
        )

    def _act(self, tenant: Tenant, learner: User, pk: int, action: str) -> dict[str, Any]:
        if action == "cancel":
            services.enrollment_cancel(tenant=tenant, learner=learner, enrollment_id=pk)
        elif action == "leave-waitlist":
            services.waitlist_leave(tenant=tenant, learner=learner, enrollment_id=pk)
        elif action == "accept":
            services.offer_accept(tenant=tenant, enrollment_id=pk, learner=learner)
        elif action == "decline":
            services.offer_decline(tenant=tenant, enrollment_id=pk, learner=learner)
        else:
            raise NotVisible(_("Not found."))
        found = selectors.enrollment_for_learner(tenant=tenant, learner=learner, enrollment_id=pk)
        return enrollment_body(found)


# --- Staff ---------------------------------------------------------------------------------


class LearnerRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")


class EventOutput(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.SerializerMethodField()
    details = serializers.DictField()

    @extend_schema_field(serializers.EmailField(allow_null=True, help_text="Null: the system (a job)."))
    def get_actor(self, event: EnrollmentEvent) -> str | None:
        return event.actor.email if event.actor else None


class CompletionOutput(serializers.Serializer[Any]):
    """A completion record: what holds now, with the credits it awarded (a snapshot)."""

    id = serializers.IntegerField()
    enrollment = serializers.IntegerField(source="enrollment_id")
    outcome = serializers.ChoiceField(choices=CompletionOutcome.choices)
    result = serializers.CharField()
    date = serializers.DateField(source="completed_on")
    credit_value = serializers.DecimalField(max_digits=6, decimal_places=2)
    credit_type = serializers.CharField()
    level = serializers.CharField()
    # A declared field leaves the class attributes (DRF's metaclass), so it shadows nothing.
    source = serializers.ChoiceField(choices=CompletionSource.choices)  # type: ignore[assignment]
    reason = serializers.CharField()
    replaces = serializers.IntegerField(source="replaces_id", allow_null=True)
    recorded_at = serializers.DateTimeField()


class RosterEntryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    learner = LearnerRefOutput()
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices)
    waitlist_position = serializers.IntegerField(source="position", allow_null=True)
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    events = EventOutput(many=True, source="events.all")
    completion = serializers.SerializerMethodField()

    @extend_schema_field(CompletionOutput(allow_null=True))
    def get_completion(self, enrollment: Enrollment) -> dict[str, Any] | None:
        found = selectors.current_completion(enrollment)
        return dict(CompletionOutput(found).data) if found else None


class RosterCountsOutput(serializers.Serializer[Any]):
    confirmed = serializers.IntegerField()
    held = serializers.IntegerField()
    offered = serializers.IntegerField()
    waitlisted = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    expired = serializers.IntegerField()
    completed = serializers.IntegerField()


class RosterOutput(serializers.Serializer[Any]):
    offering = serializers.IntegerField()
    capacity = serializers.IntegerField()
    seats_taken = serializers.IntegerField()
    counts = RosterCountsOutput()
    results = RosterEntryOutput(many=True)


class StaffRosterApi(StaffApi):
    @extend_schema(
        operation_id="staff_roster",
        parameters=[OpenApiParameter("q", str, description="Part of an e-mail address or name.")],
        responses={200: RosterOutput, 404: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        """Everyone in one offering, by state (the wait-list in its order), each with its history."""
        found = selectors.roster(
            tenant=self.tenant, access=self.access, offering_id=pk, query=request.query_params.get("q", "")
        )
        body = {
            "offering": found.offering.pk,
            "capacity": found.offering.capacity,
            "seats_taken": found.seats_used,
            "counts": {status: found.count(status) for status in S.values},
            "results": found.rows,
        }
        return Response(RosterOutput(body).data)


class StaffEnrollInput(serializers.Serializer[Any]):
    email = serializers.EmailField()
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class StaffEnrollApi(StaffApi):
    @extend_schema(
        operation_id="staff_enroll_by_email",
        request=StaffEnrollInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: EnrollmentOutput, 400: ErrorOutput, 422: KEY_REUSED, **REFUSALS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Enroll a learner by e-mail address (their account is created if new), outside the
        enrollment window if need be, never over capacity."""
        data = StaffEnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def run() -> tuple[int, dict[str, Any]]:
            result = services.staff_enroll_by_email(
                tenant=self.tenant,
                access=self.access,
                actor=request_user(request),
                offering_id=pk,
                email=values["email"],
                full_name=values.get("full_name", ""),
                reason=values.get("reason", ""),
            )
            return 201, enrollment_body(result.enrollment, result.waitlist_position)

        return keyed_response(
            request,
            tenant=self.tenant,
            user=request_user(request),
            asked=("staff-enroll", pk, dict(values)),
            run=run,
        )


class ReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="Kept in the enrollment's history.")


class MoveInput(ReasonInput):
    offering = IdField(help_text="Another offering of the same microcredential.")


class StaffEnrollmentActionApi(StaffApi):
    """`action`: cancel (with a reason), move (to `offering`, with a reason), promote (a wait-list
    entry to the head, with a reason: offered at once if a seat is free)."""

    ACTIONS = ("cancel", "move", "promote")

    @extend_schema(
        operation_id="staff_enrollments_act",
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS)),
            IDEMPOTENCY_KEY,
        ],
        request=MoveInput,
        responses={200: RosterEntryOutput, 400: ErrorOutput, 422: KEY_REUSED, **REFUSALS},
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        tenant, access, actor = self.tenant, self.access, request_user(request)
        if action not in self.ACTIONS:
            raise NotVisible(_("Not found."))
        data = (MoveInput if action == "move" else ReasonInput)(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def run() -> tuple[int, dict[str, Any]]:
            changed: Enrollment
            if action == "move":
                changed = services.enrollment_move(
                    tenant=tenant,
                    access=access,
                    actor=actor,
                    enrollment_id=pk,
                    to_offering_id=values["offering"],
                    reason=values["reason"],
                )
            else:
                change = services.staff_cancel if action == "cancel" else services.waitlist_entry_promote
                changed = change(
                    tenant=tenant, access=access, actor=actor, enrollment_id=pk, reason=values["reason"]
                )
            row = selectors.roster_rows(tenant=tenant, offering=changed.offering).get(pk=changed.pk)
            return 200, dict(RosterEntryOutput(row).data)

        return keyed_response(
            request, tenant=tenant, user=actor, asked=("staff-enrollments", pk, action, dict(values)), run=run
        )


class OfferWindowInput(serializers.Serializer[Any]):
    hours = serializers.IntegerField(min_value=1, max_value=336)


class StaffOfferWindowApi(StaffApi):
    @extend_schema(
        operation_id="staff_offer_window_set",
        request=OfferWindowInput,
        responses={200: OfferWindowInput, 400: ErrorOutput, 404: ErrorOutput},
    )
    def put(self, request: Request, pk: int) -> Response:
        """How long a wait-list offer reserves a freed seat in this offering (default 48 hours)."""
        data = OfferWindowInput(data=request.data)
        data.is_valid(raise_exception=True)
        hours = services.offer_window_set(
            tenant=self.tenant,
            access=self.access,
            actor=request_user(request),
            offering_id=pk,
            hours=data.validated_data["hours"],
        )
        return Response({"hours": hours})


# --- Completion (staff) -----------------------------------------------------------------------


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
