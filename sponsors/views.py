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

from catalog.selectors import offerings_on_sale
from core.errors import MicrocredError
from core.forms import form_errors_from
from core.money import format_money
from core.spreadsheet import csv_response
from payments.stripe_api import StripeRefused
from sponsors import selectors
from sponsors.errors import BulkRefused
from sponsors.forms import BuyForm, CodeForm, UploadForm
from sponsors.models import PoolSeat, PoolStatus, SeatPool
from sponsors.services import learners, pools, purchase, seats
from tenants.errors import NotVisible
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


def _pool(request: StaffRequest, pk: int) -> SeatPool:
    pool = selectors.pool_for_contact(tenant=request.tenant, user=request.user, pool_id=pk)
    if pool is None:
        raise Http404
    return pool


@login_required
def pool_buy(request: StaffRequest, employer_pk: int) -> HttpResponse:
    """The contact buys seats: by invoice (sent, then the pool's page), or by card now (the
    invoice's payment page). Stripe failing ends the new pool (its seats go back), nothing owed."""
    employer = (
        selectors.employers_of_contact(tenant=request.tenant, user=request.user)
        .filter(pk=employer_pk)
        .first()
    )
    if employer is None:
        raise Http404
    form = BuyForm(
        request.POST if request.method == "POST" else None,
        offerings=offerings_on_sale(tenant=request.tenant, unit_id=employer.unit_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            pool = purchase.pool_buy(
                tenant=request.tenant,
                contact_user=request.user,
                employer_id=employer.pk,
                offering_id=form.cleaned_data["offering"].pk,
                seats=form.cleaned_data["seats"],
                request_key=form.cleaned_data["request_key"],
            )
        except NotVisible as exc:
            raise Http404(exc.message) from exc
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            try:
                if form.cleaned_data["pay"] == "card":
                    here = request.build_absolute_uri(reverse("sponsor-pool", args=[pool.pk]))
                    pool = purchase.pool_checkout_start(
                        tenant=request.tenant, pool_id=pool.pk, success_url=here, cancel_url=here
                    )
                else:
                    pool = pools.pool_invoice_send(tenant=request.tenant, pool_id=pool.pk)
            except (StripeRefused, MicrocredError):
                purchase.pool_abandon(tenant=request.tenant, pool_id=pool.pk)
                form.add_error(
                    None,
                    _("The invoice could not be made just now, so nothing was bought.")
                    + " "
                    + _("Try again in a moment."),
                )
            else:
                if pool.status == PoolStatus.CHECKOUT:
                    return redirect(pool.checkout_url)
                messages.success(
                    request,
                    _("Invoice %(number)s for %(amount)s is sent to %(email)s.")
                    % {
                        "number": pool.invoice_number,
                        "amount": format_money(pool.total_minor, pool.currency),
                        "email": employer.billing_email,
                    }
                    + " "
                    + _("The seats are yours to hand out."),
                )
                return redirect("sponsor-pool", pk=pool.pk)
    return render(
        request,
        "sponsors/buy.html",
        {"employer": employer, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def pool_detail(request: StaffRequest, pk: int) -> HttpResponse:
    pool = purchase.checkout_refresh(tenant=request.tenant, pool=_pool(request, pk))
    learners = selectors.pool_learners(pool=pool)
    return render(
        request,
        "sponsors/pool.html",
        {
            "pool": pool,
            "learners": learners,
            "redeemed": len(learners.sharing) + learners.not_sharing,
            "closes": pool.offering.enrollment_closes_at or pool.offering.starts_at,
            "usable": pool.status in seats.USABLE,
        },
    )


@login_required
def pool_codes_csv(request: StaffRequest, pk: int) -> HttpResponseBase:
    """The pool's one-time codes to forward; a redeemed code says so, and by whom only when that
    learner shares their progress."""
    pool = _pool(request, pk)
    redeem_at = request.build_absolute_uri(reverse("sponsor-redeem"))
    rows = (
        (
            s.code,
            f"{redeem_at}?code={s.code}" if s.redeemed_at is None and s.expired_at is None else "",
            s.email if s.shares_progress else "",
            "yes" if s.redeemed_at else ("expired" if s.expired_at else "no"),
        )
        for s in selectors.pool_codes(pool=pool).iterator()
    )
    return csv_response(f"seat-codes-{pool.pk}.csv", ["code", "link", "email", "redeemed"], rows)


@login_required
def pool_report_csv(request: StaffRequest, pk: int) -> HttpResponseBase:
    """The sponsored learners who share their progress: status and completion; then one line
    counting those who do not (never who they are)."""
    pool = _pool(request, pk)
    learners = selectors.pool_learners(pool=pool)
    title = pool.offering.microcredential.title
    rows: list[tuple[str, ...]] = [
        (title, pool.offering.cohort_label, r.name, r.email, r.status, r.completed_on, r.completion)
        for r in learners.sharing
    ]
    if learners.not_sharing:
        rows.append(
            (
                title,
                pool.offering.cohort_label,
                _("%(n)d more (not sharing their progress)") % {"n": learners.not_sharing},
                "",
                "",
                "",
                "",
            )
        )
    return csv_response(
        f"sponsored-learners-{pool.pk}.csv",
        ["offering", "cohort", "name", "email", "status", "completed_on", "completion"],
        rows,
    )


@login_required
def pool_upload(request: StaffRequest, pk: int) -> HttpResponse:
    pool = _pool(request, pk)
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
            return redirect("sponsor-pool", pk=pool.pk)
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
                tenant=request.tenant,
                learner=request.user,
                code=form.cleaned_data["code"],
                share=form.cleaned_data["share"],
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


def _seat(request: StaffRequest, enrollment_pk: int) -> PoolSeat:
    try:
        return learners.seat_of_learner(
            tenant=request.tenant, learner=request.user, enrollment_id=enrollment_pk
        )
    except NotVisible as exc:
        raise Http404(exc.message) from exc


@login_required
def seat_sharing(request: StaffRequest, enrollment_pk: int) -> HttpResponse:
    """The learner's sponsored seat: what the employer sees, and the consent to change it."""
    seat = _seat(request, enrollment_pk)
    if request.method == "POST":
        share = request.POST.get("share") == "yes"
        seat = learners.sharing_set(
            tenant=request.tenant, learner=request.user, enrollment_id=enrollment_pk, share=share
        )
        org = seat.pool.employer.organisation
        messages.success(
            request,
            (
                _("%(org)s now sees your status and completion.")
                if share
                else _("%(org)s no longer sees your progress.")
            )
            % {"org": org},
        )
        return redirect(reverse("my-learning") + f"#enrollment-{enrollment_pk}")
    return render(request, "sponsors/seat.html", {"seat": seat, "pool": seat.pool})


@login_required
def seat_cancel(request: StaffRequest, enrollment_pk: int) -> HttpResponse:
    """GET: giving the seat back, said plainly. POST: the seat goes back to the employer."""
    seat = _seat(request, enrollment_pk)
    if request.method == "POST":
        try:
            learners.seat_give_back(tenant=request.tenant, learner=request.user, enrollment_id=enrollment_pk)
        except MicrocredError as exc:
            messages.error(request, exc.message)
            return redirect("sponsor-seat-cancel", enrollment_pk=enrollment_pk)
        messages.success(
            request,
            _("Your enrollment is cancelled: the seat is back with %(org)s.")
            % {"org": seat.pool.employer.organisation},
        )
        return redirect(reverse("my-learning") + f"#enrollment-{enrollment_pk}")
    return render(request, "sponsors/seat_cancel.html", {"seat": seat, "pool": seat.pool})
