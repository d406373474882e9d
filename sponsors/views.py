"""The sponsor portal (/sponsor/) for an employer's signed-in contact, and a learner's seat code."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import MicrocredError
from core.spreadsheet import csv_response
from sponsors import selectors
from sponsors.errors import BulkRefused
from sponsors.forms import CodeForm, UploadForm
from sponsors.services import seats
from tenants.http import StaffRequest


@login_required
def portal(request: StaffRequest) -> HttpResponse:
    employers = list(selectors.employers_of_contact(tenant=request.tenant, user=request.user))
    if not employers:
        raise Http404
    return render(
        request,
        "sponsors/portal.html",
        {
            "employers": employers,
            "rows": selectors.pools_for_contact(tenant=request.tenant, user=request.user),
        },
    )


@login_required
def pool_codes_csv(request: StaffRequest, pk: int) -> HttpResponseBase:
    pool = selectors.pool_for_contact(tenant=request.tenant, user=request.user, pool_id=pk)
    if pool is None:
        raise Http404
    redeem_at = request.build_absolute_uri(reverse("sponsor-redeem"))
    rows = (
        (s.code, f"{redeem_at}?code={s.code}", s.email, "yes" if s.redeemed_at else "no")
        for s in selectors.pool_codes(pool=pool).iterator()
    )
    return csv_response(f"seat-codes-{pool.pk}.csv", ["code", "link", "email", "redeemed"], rows)


@login_required
def pool_upload(request: StaffRequest, pk: int) -> HttpResponse:
    pool = selectors.pool_for_contact(tenant=request.tenant, user=request.user, pool_id=pk)
    if pool is None:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    report: list[tuple[int, str]] = []
    error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(seats.MAX_CSV_BYTES + 1)
        try:
            result = seats.bulk_enroll(
                tenant=request.tenant, contact_user=request.user, pool_id=pool.pk, data=data
            )
        except BulkRefused as refused:
            error, report = refused.message, refused.rows
        except MicrocredError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d person is enrolled and e-mailed.",
                    "%(n)d people are enrolled and e-mailed.",
                    len(result.enrolled),
                )
                % {"n": len(result.enrolled)},
            )
            return redirect("sponsor-portal")
    elif request.method == "POST":
        error = _("Choose a CSV file to upload.")
    return render(
        request,
        "sponsors/upload.html",
        {"pool": pool, "form": form, "report": report, "error": error},
        status=400 if error else 200,
    )


@login_required
def redeem(request: StaffRequest) -> HttpResponse:
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")[:40]})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = seats.seat_redeem(
                tenant=request.tenant, learner=request.user, code=form.cleaned_data["code"]
            )
        except MicrocredError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Your seat in %(title)s is confirmed: nothing to pay.")
                % {"title": enrollment.offering.microcredential.title},
            )
            return redirect("my-learning")
    return render(
        request, "sponsors/redeem.html", {"form": form, "error": error}, status=400 if error else 200
    )
