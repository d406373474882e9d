"""Staff console → Webhooks: the endpoints of the units a person manages (tenant admins: all),
their recent deliveries, sending again, a test event."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess, units_managed
from tenants.views import staff_page
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import DeliveryStatus, Endpoint, EventType

webhooks_page = staff_page(manages_units=True)
SECRET_SESSION_KEY = "webhooks.new_secret"  # the new endpoint's secret, shown once  # noqa: S105


def _context(access: StaffAccess, **more: object) -> dict[str, object]:
    return {"access": access, "section": "webhooks", **more}


@webhooks_page
def endpoint_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    labels = dict(EventType.choices)
    rows = [
        {"endpoint": e, "events": [labels.get(t, t) for t in e.event_types]}
        for e in selectors.endpoints_with_counts(tenant=request.tenant, access=access)[:200]
    ]
    return render(request, "webhooks/console/endpoints.html", _context(access, rows=rows))


@webhooks_page
def endpoint_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = EndpointForm(
        request.POST or None,
        units=units_managed(tenant=request.tenant, access=access),
        tenant_wide=access.is_tenant_admin,
    )
    if request.method == "POST" and form.is_valid():
        try:
            made = services.endpoint_create(
                tenant=request.tenant,
                unit=form.cleaned_data["unit"],
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                description=form.cleaned_data["description"],
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            request.session[SECRET_SESSION_KEY] = {"endpoint": made.endpoint.pk, "secret": made.secret}
            return redirect("console-webhook", pk=made.endpoint.pk)
    return render(
        request,
        "webhooks/console/endpoint_form.html",
        _context(access, form=form),
        status=400 if form.errors else 200,
    )


def _endpoint(request: StaffRequest, access: StaffAccess, pk: int) -> Endpoint:
    found = selectors.endpoint_for_staff(tenant=request.tenant, access=access, endpoint_id=pk)
    if found is None:
        raise Http404
    return found


@webhooks_page
def endpoint_detail(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, access, pk)
    shown = request.session.get(SECRET_SESSION_KEY)
    secret = ""
    if isinstance(shown, dict) and shown.get("endpoint") == endpoint.pk:
        secret = str(shown.get("secret", ""))
        del request.session[SECRET_SESSION_KEY]  # once: a reload shows only its last four
    status = str(request.GET.get("status", ""))
    rows = selectors.deliveries_of(tenant=request.tenant, endpoint=endpoint)
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    labels = dict(EventType.choices)
    return render(
        request,
        "webhooks/console/endpoint.html",
        _context(
            access,
            endpoint=endpoint,
            secret=secret,
            page=page,
            event_labels=[labels.get(t, t) for t in endpoint.event_types],
            pending=DeliveryStatus.PENDING,
            failed=DeliveryStatus.FAILED,
            status=status,
            statuses=DeliveryStatus.choices,
        ),
    )


@webhooks_page
def endpoint_toggle(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, access, pk)
    if request.method == "POST":
        enabled = not endpoint.is_enabled
        services.endpoint_set_enabled(tenant=request.tenant, endpoint_id=endpoint.pk, enabled=enabled)
        messages.success(
            request,
            _("The endpoint is enabled: pending events are sent.")
            if enabled
            else _("The endpoint is disabled: no events are sent to it until it is enabled."),
        )
    return redirect("console-webhook", pk=endpoint.pk)


@webhooks_page
def endpoint_ping(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, access, pk)
    if request.method == "POST":
        try:
            services.ping_send(tenant=request.tenant, endpoint_id=endpoint.pk)
        except NotFound:
            raise
        except MicrocredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("A test event is on its way; its answer appears below."))
    return redirect("console-webhook", pk=endpoint.pk)


@webhooks_page
def delivery_replay(request: StaffRequest, access: StaffAccess, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, access, pk)
    if request.method == "POST":
        try:
            services.delivery_replay(tenant=request.tenant, endpoint_id=endpoint.pk, delivery_id=delivery_pk)
        except NotFound:
            raise
        except MicrocredError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The event is sent again, with the same event id."))
    return redirect("console-webhook", pk=endpoint.pk)
