"""Finance over HTTP: payouts (with their tie-out by unit), problems, unit statements and GL
journal exports. Session or personal API token (tenants.api_auth); the same selectors and
services as the console, so the same people see the same things; anything else is a 404.
Amounts are integer minor units of `currency`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ValidationFailed
from finance import selectors
from finance.errors import FinanceNotVisible
from finance.forms import PayoutFilterForm, ProblemFilterForm, StatementFilterForm
from finance.models import JournalExport, PayoutTie, ProblemKind
from finance.selectors import FinanceScope
from finance.services.journal import journal_export
from tenants.api import request_tenant
from tenants.api_auth import api_staff_access, token_of
from tenants.models import Tenant


class FinancePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class FinanceApi(APIView):
    permission_classes = [IsAuthenticated]
    scope_: FinanceScope

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        access = api_staff_access(request)
        user_id = None if token_of(request) is not None else request.user.pk
        self.scope_ = selectors.finance_scope(tenant=self.tenant, access=access, user_id=user_id)
        if not (self.scope_.sees_payouts or self.scope_.sees_statements):
            raise FinanceNotVisible(_("Not found."))

    @property
    def tenant(self) -> Tenant:
        return request_tenant(self.request)


def _checked(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationFailed(
            _("Some filters are not valid."), fields={k: [str(e) for e in v] for k, v in form.errors.items()}
        )
    return dict(form.cleaned_data)


PERIOD = [
    OpenApiParameter("start", date, description="From this day (the institution's time zone)."),
    OpenApiParameter("end", date, description="To this day, inclusive."),
]


# --- Payouts ---------------------------------------------------------------------------------


class PayoutOutput(serializers.Serializer[Any]):
    id = serializers.CharField(source="stripe_id", help_text="Stripe's payout id.")
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    created = serializers.DateTimeField()
    arrival_date = serializers.DateTimeField()
    reconciled = serializers.ChoiceField(source="tie", choices=PayoutTie.choices)
    items = serializers.IntegerField(source="items_count")
    problems = serializers.IntegerField(source="problem_count")


class UnitGroupOutput(serializers.Serializer[Any]):
    unit = serializers.SerializerMethodField()
    gl_code = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    gross = serializers.IntegerField()
    refunds = serializers.IntegerField()
    fees = serializers.IntegerField()
    settled = serializers.IntegerField()
    net = serializers.IntegerField(
        help_text="gross − refunds − fees − settled (tenant-wide items: their net)."
    )

    def get_unit(self, group: selectors.UnitGroup) -> str | None:
        return group.unit.slug if group.unit else None

    def get_gl_code(self, group: selectors.UnitGroup) -> str | None:
        return group.unit.gl_code if group.unit else None

    def get_items(self, group: selectors.UnitGroup) -> int:
        return len(group.items)


class PayoutDetailOutput(PayoutOutput):
    ties_out = serializers.BooleanField()
    ledger_total = serializers.IntegerField(help_text="Σ net over every unit, from the ledger.")
    stripe_total = serializers.IntegerField(help_text="Σ net of the payout's items at Stripe.")
    units = UnitGroupOutput(many=True)
    other_units_hidden = serializers.BooleanField()


class PayoutListApi(FinanceApi):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("status", str, description="paid, in_transit, failed, …"),
            OpenApiParameter("tie", str, enum=[c for c, _label in PayoutTie.choices]),
        ],
        responses=PayoutOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        data = _checked(PayoutFilterForm(request.query_params))
        rows = selectors.payouts(
            tenant=self.tenant,
            scope=self.scope_,
            filters=selectors.PayoutFilters(
                start=data.get("start"),
                end=data.get("end"),
                status=data.get("status", ""),
                tie=data.get("tie", ""),
            ),
        )
        paginator = FinancePagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(PayoutOutput(page, many=True).data)


class PayoutDetailApi(FinanceApi):
    @extend_schema(responses=PayoutDetailOutput)
    def get(self, request: Request, stripe_id: str) -> Response:
        found = selectors.payout_breakdown(tenant=self.tenant, scope=self.scope_, stripe_id=stripe_id)
        payout = found.payout
        body = PayoutOutput(payout).data | {
            "ties_out": found.tied,
            "ledger_total": found.ledger_total,
            "stripe_total": found.stripe_total,
            "units": UnitGroupOutput(found.groups, many=True).data,
            "other_units_hidden": bool(found.hidden_units),
        }
        return Response(body)


# --- Problems --------------------------------------------------------------------------------


class ProblemOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ProblemKind.choices)
    source_ref = serializers.CharField()
    balance_transaction = serializers.CharField(source="balance_transaction_stripe_id")
    payout = serializers.CharField(source="payout_stripe_id")
    unit = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField()
    currency = serializers.CharField()
    stripe_amount = serializers.IntegerField(allow_null=True)
    stripe_fee = serializers.IntegerField(allow_null=True)
    ledger_amount = serializers.IntegerField(allow_null=True)
    ledger_fee = serializers.IntegerField(allow_null=True)
    what_to_do = serializers.SerializerMethodField()

    def get_unit(self, problem: Any) -> str | None:
        return problem.unit.slug if problem.unit else None

    def get_what_to_do(self, problem: Any) -> str:
        return selectors.WHAT_TO_DO.get(problem.kind, "")


class ProblemListApi(FinanceApi):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("kind", str, enum=[c for c, _label in ProblemKind.choices]),
            OpenApiParameter("unit", str, description="A unit's slug."),
            OpenApiParameter("payout", str, description="A payout's Stripe id."),
        ],
        responses=ProblemOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        units = selectors.scope_units(tenant=self.tenant, scope=self.scope_)
        data = _checked(ProblemFilterForm(request.query_params, units=units))
        unit = data.get("unit")
        rows = selectors.problems(
            tenant=self.tenant,
            scope=self.scope_,
            filters=selectors.ProblemFilters(
                kind=data.get("kind", ""),
                unit_id=unit.pk if unit else None,
                start=data.get("start"),
                end=data.get("end"),
                payout=data.get("payout", ""),
            ),
        )
        paginator = FinancePagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(ProblemOutput(page, many=True).data)


# --- Statements ------------------------------------------------------------------------------


class StatementOutput(serializers.Serializer[Any]):
    unit = serializers.CharField(source="unit.slug")
    unit_name = serializers.CharField(source="unit.name")
    gl_code = serializers.CharField(source="unit.gl_code")
    currency = serializers.CharField(source="figures.currency")
    gross = serializers.IntegerField(source="figures.gross", help_text="At list price.")
    discounts = serializers.IntegerField(
        source="figures.discounts", help_text="Taken off by promotion codes and fee waivers."
    )
    waived = serializers.IntegerField(
        source="figures.waived", help_text="The part of discounts that waived fees."
    )
    refunds = serializers.IntegerField(source="figures.refunds")
    fees = serializers.IntegerField(source="figures.fees")
    net = serializers.IntegerField(source="figures.net", help_text="gross − discounts − refunds − fees")
    settled = serializers.IntegerField(source="figures.settled")


class StatementListApi(FinanceApi):
    @extend_schema(
        parameters=[*PERIOD, OpenApiParameter("unit", str, description="A unit's slug.")],
        responses=StatementOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        units = selectors.scope_units(tenant=self.tenant, scope=self.scope_, statements=True)
        data = _checked(StatementFilterForm(request.query_params, units=units))
        start, end = selectors.day_bounds(self.tenant, data.get("start"), data.get("end"))
        unit = data.get("unit")
        rows = selectors.statements(
            tenant=self.tenant, scope=self.scope_, start=start, end=end, unit_ids=[unit.pk] if unit else None
        )
        return Response(StatementOutput(rows, many=True).data)


# --- Journal exports -------------------------------------------------------------------------


class JournalExportOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    currency = serializers.CharField()
    period_end = serializers.DateTimeField(
        help_text="Entries that occurred before this, not exported before."
    )
    created_at = serializers.DateTimeField()
    line_count = serializers.IntegerField()
    debit_total = serializers.IntegerField()
    credit_total = serializers.IntegerField()
    csv = serializers.SerializerMethodField()

    def get_csv(self, export: JournalExport) -> str:
        return f"/console/finance/journals/{export.pk}.csv"


class JournalExportInput(serializers.Serializer[Any]):
    period_end = serializers.DateField(help_text="Export entries up to and including this day.")
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", max_length=3)


class JournalLineOutput(serializers.Serializer[Any]):
    entry_id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    transaction_kind = serializers.CharField()
    source_ref = serializers.CharField()
    account = serializers.CharField()
    unit = serializers.CharField(source="unit_slug")
    gl_code = serializers.CharField()
    debit = serializers.IntegerField()
    credit = serializers.IntegerField()
    currency = serializers.CharField()


class JournalExportListApi(FinanceApi):
    @extend_schema(responses=JournalExportOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.journal_exports(tenant=self.tenant, scope=self.scope_)
        paginator = FinancePagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(JournalExportOutput(page, many=True).data)

    @extend_schema(request=JournalExportInput, responses={201: JournalExportOutput})
    def post(self, request: Request) -> Response:
        selectors.journal_exports(tenant=self.tenant, scope=self.scope_)  # tenant-wide finance only
        data = JournalExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        day: date = data.validated_data["period_end"]
        end = selectors.day_start(self.tenant, day + timedelta(days=1))
        made = journal_export(
            tenant=self.tenant,
            currency=data.validated_data["currency"],
            period_end=end,
            created_by=request.user,  # type: ignore[arg-type]
        )
        return Response(JournalExportOutput(made).data, status=201)


class JournalExportLinesApi(FinanceApi):
    @extend_schema(responses=JournalLineOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        export = selectors.journal_export(tenant=self.tenant, scope=self.scope_, pk=pk)
        rows = selectors.journal_entries(tenant=self.tenant, export=export)
        paginator = FinancePagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        lines = [selectors.journal_line(e) for e in page]
        return paginator.get_paginated_response(JournalLineOutput(lines, many=True).data)
