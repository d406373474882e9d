"""Rosters and enrollment actions over HTTP for unit staff (/api/v1/staff/...): read a roster,
enroll by e-mail, cancel, move, offer a seat, change an offer's window. Errors and idempotency
as in enrollment/api.py."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ErrorOutput, IdField
from enrollment import selectors, services
from enrollment.api import (
    IDEMPOTENCY_KEY,
    KEY_REUSED,
    REFUSALS,
    EnrollmentOutput,
    S,
    enrollment_body,
    keyed_response,
)
from enrollment.models import (
    CompletionOutcome,
    CompletionSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from tenants.api import StaffApi, request_user
from tenants.errors import NotVisible


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
