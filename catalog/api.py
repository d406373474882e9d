"""The catalog over HTTP: public reads (the same search and filters as the pages) and staff writes
(the same services and permissions as the console). Errors: {"error": {"code", "message", "fields"}}.

One APIView per operation, with its input and output serializers beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.errors import CatalogInvalid
from catalog.forms import MAX_CAPACITY, CatalogFilterForm
from catalog.models import CreditType, DeliveryMode, Level, Microcredential, Offering, RefundPolicy
from catalog.presenters import availability
from catalog.refunds import PolicyTerms, policy_in_words
from catalog.services.microcredentials import MICROCREDENTIAL_FIELDS
from core.api import IdField, query_id
from core.money import MAX_AMOUNT_MINOR, format_price
from tenants.api import StaffApi, request_tenant
from tenants.errors import NotVisible
from tenants.selectors import units_managed

# --- Output --------------------------------------------------------------------------------


class UnitOutput(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()
    colour = serializers.CharField(source="primary_colour")


class AvailabilityOutput(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=["open", "few", "waitlist", "full", "upcoming", "closed"])
    text = serializers.CharField(help_text="As the catalog page says it: “3 seats left”.")


class OfferingOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField(source="microcredential.title")
    summary = serializers.CharField(source="microcredential.summary")
    cohort_label = serializers.CharField()
    unit = UnitOutput(source="microcredential.unit")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField()
    enrollment_opens_at = serializers.DateTimeField()
    enrollment_closes_at = serializers.DateTimeField()
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    location = serializers.CharField()
    price_minor = serializers.IntegerField(help_text="Integer minor units of `currency` (cents; yen).")
    currency = serializers.CharField(help_text="ISO 4217.")
    price_display = serializers.SerializerMethodField()
    capacity = serializers.IntegerField()
    seats_left = serializers.SerializerMethodField()
    waitlist_enabled = serializers.BooleanField()
    availability = serializers.SerializerMethodField()
    credit_value = serializers.DecimalField(
        source="microcredential.credit_value", max_digits=6, decimal_places=2
    )
    credit_type = serializers.ChoiceField(source="microcredential.credit_type", choices=CreditType.choices)
    level = serializers.ChoiceField(source="microcredential.level", choices=Level.choices)

    def get_price_display(self, offering: Offering) -> str:
        return format_price(offering.price_minor, offering.currency)

    @extend_schema_field(OpenApiTypes.INT)
    def get_seats_left(self, offering: Offering) -> int:
        return selectors.offering_seats(offering).left

    @extend_schema_field(AvailabilityOutput)
    def get_availability(self, offering: Offering) -> dict[str, str]:
        now: datetime = self.context.get("now") or timezone.now()
        tz: ZoneInfo = self.context.get("tz") or offering.tz
        found = availability(offering, now=now, tz=tz)
        return {"state": found.kind, "text": found.text}


class TierOutput(serializers.Serializer[Any]):
    days_before_start = serializers.IntegerField()
    refund_percent = serializers.IntegerField()


class RefundPolicyOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    tiers = TierOutput(many=True, source="tiers.all")
    cancellation_fee_minor = serializers.IntegerField()
    currency = serializers.CharField()
    frees_seat = serializers.BooleanField()
    in_words = serializers.SerializerMethodField()

    def get_in_words(self, policy: RefundPolicy) -> list[str]:
        return policy_in_words(PolicyTerms.of(policy))


class MicrocredentialRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class OfferingDetailOutput(OfferingOutput):
    description = serializers.CharField(source="microcredential.description")
    outcomes = serializers.ListField(child=serializers.CharField(), source="microcredential.outcome_list")
    skills = serializers.ListField(child=serializers.CharField(), source="microcredential.skill_list")
    schedule = serializers.CharField()
    refund_policy = serializers.SerializerMethodField()
    parts = MicrocredentialRefOutput(many=True, source="microcredential.published_parts")
    stacks_into = MicrocredentialRefOutput(many=True, source="microcredential.published_stacks")

    @extend_schema_field(RefundPolicyOutput(allow_null=True))
    def get_refund_policy(self, offering: Offering) -> dict[str, Any] | None:
        policy = selectors.policy_in_force(offering)
        return None if policy is None else dict(RefundPolicyOutput(policy).data)


class CatalogPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


# --- Public reads ----------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="Words to find in title, summary, outcomes and skills."),
    OpenApiParameter("unit", str, description="A unit's slug."),
    OpenApiParameter("mode", str, enum=DeliveryMode.values),
    OpenApiParameter("month", str, description="Start month in the tenant's time zone, YYYY-MM."),
    OpenApiParameter("price", str, description="`free`, or an amount: cheaper than it (tenant's currency)."),
    OpenApiParameter("credits", OpenApiTypes.DECIMAL, description="At least this credit value."),
    OpenApiParameter("credit_type", str, enum=CreditType.values),
    OpenApiParameter("seats", bool, description="Only offerings with seats left."),
    OpenApiParameter("sort", str, enum=["relevance", "newest", "soonest", "price"]),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 100; 20 by default."),
]


class PublicOfferingListApi(APIView):
    """Published offerings that are open or upcoming, newest start first (best match first when
    searching). The same filters as the catalog page; stable order, page by page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(parameters=FILTER_PARAMETERS, responses=OfferingOutput(many=True))
    def get(self, request: Request) -> Response:
        tenant = request_tenant(request)
        units = list(selectors.catalog_units(tenant=tenant))
        form = CatalogFilterForm(request.query_params or None, tenant=tenant, units=units)
        if form.is_bound and not form.is_valid():
            raise CatalogInvalid(
                _("Some filters are not valid."),
                fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
            )
        results = selectors.catalog_search(tenant=tenant, query=form.to_query())
        paginator = CatalogPagination()
        page = paginator.paginate_queryset(results.offerings, request, view=self) or []
        context = {"now": timezone.now(), "tz": ZoneInfo(tenant.time_zone)}
        response = paginator.get_paginated_response(OfferingOutput(page, many=True, context=context).data)
        response.data["fuzzy"] = results.fuzzy
        return response


class PublicOfferingDetailApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OfferingDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        offering = selectors.offering_public_detail(tenant=request_tenant(request), offering_id=pk)
        return Response(OfferingDetailOutput(offering).data)


# --- Staff writes ----------------------------------------------------------------------------


class StaffMicrocredentialOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    unit = serializers.CharField(source="unit.slug")
    title = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField()
    outcomes = serializers.CharField()
    skills = serializers.CharField()
    credit_value = serializers.DecimalField(max_digits=6, decimal_places=2)
    credit_type = serializers.ChoiceField(choices=CreditType.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    parts = serializers.SerializerMethodField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_parts(self, microcredential: Microcredential) -> list[int]:
        return [part.pk for part in microcredential.parts.all()]


class MicrocredentialInput(serializers.Serializer[Any]):
    unit = serializers.SlugField(help_text="The unit's slug (only when creating).", required=False)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    outcomes = serializers.CharField(help_text="One per line.")
    skills = serializers.CharField(required=False, allow_blank=True, max_length=500)
    credit_value = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    credit_type = serializers.ChoiceField(choices=CreditType.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    parts = serializers.ListField(child=IdField(), required=False)


def _parts(api: StaffApi, ids: list[int] | None) -> list[Microcredential] | None:
    if ids is None:
        return None
    found = {m.pk: m for m in selectors.part_choices(tenant=api.tenant, access=api.access).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise CatalogInvalid(
            _("Some fields are not valid."),
            fields={"parts": [_("No such microcredential: %s.") % missing[0]]},
        )
    return [found[pk] for pk in ids]


class StaffMicrocredentialListApi(StaffApi):
    @extend_schema(responses=StaffMicrocredentialOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.microcredentials_for_staff(tenant=self.tenant, access=self.access).prefetch_related(
            "parts"
        )
        paginator = CatalogPagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(StaffMicrocredentialOutput(page, many=True).data)

    @extend_schema(request=MicrocredentialInput, responses={201: StaffMicrocredentialOutput})
    def post(self, request: Request) -> Response:
        data = MicrocredentialInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        unit = (
            units_managed(tenant=self.tenant, access=self.access).filter(slug=values.get("unit", "")).first()
        )
        if unit is None:
            raise CatalogInvalid(
                _("Some fields are not valid."), fields={"unit": [_("Choose one of your units.")]}
            )
        created = services.microcredential_create(
            tenant=self.tenant,
            access=self.access,
            actor=request.user,  # type: ignore[arg-type]
            unit=unit,
            fields={k: values[k] for k in MICROCREDENTIAL_FIELDS if k in values},
            parts=_parts(self, values.get("parts")) or [],
        )
        return Response(StaffMicrocredentialOutput(created).data, status=201)


class StaffMicrocredentialDetailApi(StaffApi):
    @extend_schema(responses=StaffMicrocredentialOutput)
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.microcredential_for_staff(
            tenant=self.tenant, access=self.access, microcredential_id=pk
        )
        return Response(StaffMicrocredentialOutput(found).data)

    @extend_schema(request=MicrocredentialInput(partial=True), responses=StaffMicrocredentialOutput)
    def patch(self, request: Request, pk: int) -> Response:
        data = MicrocredentialInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        updated = services.microcredential_update(
            tenant=self.tenant,
            access=self.access,
            actor=request.user,  # type: ignore[arg-type]
            microcredential_id=pk,
            fields={k: values[k] for k in MICROCREDENTIAL_FIELDS if k in values},
            parts=_parts(self, values.get("parts")),
        )
        return Response(StaffMicrocredentialOutput(updated).data)


class StaffMicrocredentialTransitionApi(StaffApi):
    """`action` is publish, unpublish, archive or restore."""

    ACTIONS: ClassVar[dict[str, Any]] = {
        "publish": services.microcredential_publish,
        "unpublish": services.microcredential_unpublish,
        "archive": services.microcredential_archive,
        "restore": services.microcredential_restore,
    }

    @extend_schema(
        operation_id="staff_microcredentials_change_status",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS))],
        request=None,
        responses=StaffMicrocredentialOutput,
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        change = self.ACTIONS.get(action)
        if change is None:
            raise NotVisible(_("Not found."))
        changed = change(tenant=self.tenant, access=self.access, actor=request.user, microcredential_id=pk)
        return Response(StaffMicrocredentialOutput(changed).data)


class StaffOfferingOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    microcredential = serializers.IntegerField(source="microcredential_id")
    cohort_label = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField()
    enrollment_opens_at = serializers.DateTimeField()
    enrollment_closes_at = serializers.DateTimeField()
    schedule = serializers.CharField()
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    location = serializers.CharField()
    capacity = serializers.IntegerField()
    seats_taken = serializers.SerializerMethodField()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    seat_hold_minutes = serializers.IntegerField()
    waitlist_enabled = serializers.BooleanField()
    refund_policy = serializers.IntegerField(source="refund_policy_id", allow_null=True)
    lms_course_ref = serializers.CharField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.INT)
    def get_seats_taken(self, offering: Offering) -> int:
        return selectors.offering_seats(offering).taken


class OfferingInput(serializers.Serializer[Any]):
    microcredential = IdField(required=False, help_text="Only when creating.")
    cohort_label = serializers.CharField(required=False, allow_blank=True, max_length=100)
    starts_at = serializers.DateTimeField(help_text="With an offset, like 2026-03-02T18:00:00-06:00.")
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(
        required=False, max_length=64, help_text="IANA name; the tenant's by default."
    )
    enrollment_opens_at = serializers.DateTimeField()
    enrollment_closes_at = serializers.DateTimeField()
    schedule = serializers.CharField(required=False, allow_blank=True, max_length=300)
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    location = serializers.CharField(required=False, allow_blank=True, max_length=300)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    price_minor = serializers.IntegerField(
        min_value=0,
        max_value=MAX_AMOUNT_MINOR,
        required=False,
        error_messages={
            # Lazy: the class is built once, the message is read in each request's language.
            "max_value": gettext_lazy("A price can be at most 99999999 minor units: the most Stripe charges.")
        },
    )
    currency = serializers.CharField(required=False, min_length=3, max_length=3)
    seat_hold_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False)
    waitlist_enabled = serializers.BooleanField(required=False)
    refund_policy = IdField(required=False, allow_null=True, help_text="Null: the unit's default.")
    lms_course_ref = serializers.CharField(required=False, allow_blank=True, max_length=200)


def _offering_fields(api: StaffApi, values: dict[str, Any], *, unit_id: int) -> dict[str, Any]:
    fields = {k: v for k, v in values.items() if k in services.offerings.OFFERING_FIELDS}
    if "currency" in fields:
        fields["currency"] = fields["currency"].upper()
    if "refund_policy" in fields and fields["refund_policy"] is not None:
        policy = (
            selectors.refund_policies_for_staff(tenant=api.tenant, access=api.access)
            .filter(pk=fields["refund_policy"], unit_id=unit_id)
            .first()
        )
        if policy is None:
            raise CatalogInvalid(
                _("Some fields are not valid."),
                fields={"refund_policy": [_("Choose one of this unit's refund policies.")]},
            )
        fields["refund_policy"] = policy
    return fields


class StaffOfferingListApi(StaffApi):
    @extend_schema(
        parameters=[OpenApiParameter("microcredential", int, description="Only this microcredential's.")],
        responses=StaffOfferingOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        rows: QuerySet[Offering] = selectors.offerings_for_staff(tenant=self.tenant, access=self.access)
        wanted = query_id(request.query_params, "microcredential", error=CatalogInvalid)
        if wanted is not None:
            rows = rows.filter(microcredential_id=wanted)
        paginator = CatalogPagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(StaffOfferingOutput(page, many=True).data)

    @extend_schema(request=OfferingInput, responses={201: StaffOfferingOutput})
    def post(self, request: Request) -> Response:
        data = OfferingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        microcredential = selectors.microcredential_for_staff(
            tenant=self.tenant, access=self.access, microcredential_id=values.pop("microcredential", 0)
        )
        created = services.offering_create(
            tenant=self.tenant,
            access=self.access,
            actor=request.user,  # type: ignore[arg-type]
            microcredential_id=microcredential.pk,
            fields=_offering_fields(self, values, unit_id=microcredential.unit_id),
        )
        return Response(StaffOfferingOutput(created).data, status=201)


class StaffOfferingDetailApi(StaffApi):
    @extend_schema(responses=StaffOfferingOutput)
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.offering_for_staff(tenant=self.tenant, access=self.access, offering_id=pk)
        return Response(StaffOfferingOutput(found).data)

    @extend_schema(request=OfferingInput(partial=True), responses=StaffOfferingOutput)
    def patch(self, request: Request, pk: int) -> Response:
        found = selectors.offering_for_staff(tenant=self.tenant, access=self.access, offering_id=pk)
        data = OfferingInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("microcredential", None)
        updated = services.offering_update(
            tenant=self.tenant,
            access=self.access,
            actor=request.user,  # type: ignore[arg-type]
            offering_id=pk,
            fields=_offering_fields(self, values, unit_id=found.microcredential.unit_id),
        )
        return Response(StaffOfferingOutput(updated).data)


class StaffOfferingTransitionApi(StaffApi):
    """`action` is publish, unpublish, archive, restore, or copy (as the next cohort: 201)."""

    ACTIONS: ClassVar[dict[str, Any]] = {
        "publish": services.offering_publish,
        "unpublish": services.offering_unpublish,
        "archive": services.offering_archive,
        "restore": services.offering_restore,
    }

    @extend_schema(
        operation_id="staff_offerings_change_status_or_copy",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=[*ACTIONS, "copy"])],
        request=None,
        responses={200: StaffOfferingOutput, 201: StaffOfferingOutput},
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        if action == "copy":
            copy = services.offering_copy_as_next_cohort(
                tenant=self.tenant,
                access=self.access,
                actor=request.user,  # type: ignore[arg-type]
                offering_id=pk,
            )
            return Response(StaffOfferingOutput(copy).data, status=201)
        change = self.ACTIONS.get(action)
        if change is None:
            raise NotVisible(_("Not found."))
        changed = change(tenant=self.tenant, access=self.access, actor=request.user, offering_id=pk)
        return Response(StaffOfferingOutput(changed).data)
