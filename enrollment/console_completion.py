"""The roster's completions in the staff console: one learner, several confirmed learners at
once, or a CSV upload checked line by line before anything is saved (the rest of the roster:
enrollment.console)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog.presenters import offering_page
from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from enrollment import selectors, services
from enrollment.console import form_refusal, roster_page, roster_redirect
from enrollment.forms import (
    BulkCompletionForm,
    CompletionForm,
    CompletionUploadForm,
)
from enrollment.models import (
    CompletionSource,
    Enrollment,
)
from enrollment.presenters import completion_text
from enrollment.services.completion import ALL_OR_NOTHING, today_for
from enrollment.services.completion_file import MAX_BYTES
from enrollment.services.completion_many import Report, Wanted
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess


@require_POST
@roster_page
def completion(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    """Record one learner's completion (or correct it, with a reason)."""
    enrollment = Enrollment.objects.filter(tenant=request.tenant, pk=pk).select_related("learner").first()
    if enrollment is None:
        raise Http404
    selectors.offering_for_roster(tenant=request.tenant, access=access, offering_id=enrollment.offering_id)
    form = CompletionForm(request.POST)
    try:
        if not form.is_valid():
            raise form_refusal(form)
        data = form.cleaned_data
        done = services.completion_record_staff(
            tenant=request.tenant,
            access=access,
            actor=request.user,
            enrollment_id=pk,
            outcome=data["outcome"],
            result=data["result"],
            on=data["date"],
            reason=data["reason"],
        )
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(
            request, _("%(email)s: %(problem)s") % {"email": enrollment.learner.email, "problem": exc.message}
        )
    else:
        email = enrollment.learner.email
        if not done.changed:
            messages.info(
                request, _("%(email)s: this was already recorded; nothing changed.") % {"email": email}
            )
        else:
            messages.success(
                request, _("%(email)s: %(what)s.") % {"email": email, "what": completion_text(done.record)}
            )
    return roster_redirect(enrollment.offering_id, f"enrollment-{pk}")


@require_POST
@roster_page
def completion_bulk(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    """The selected confirmed learners → completed, with one date and result; all or nothing."""
    offering = selectors.offering_for_roster(tenant=request.tenant, access=access, offering_id=pk)
    ids = list(
        Enrollment.objects.filter(tenant=request.tenant, offering=offering).values_list("pk", flat=True)
    )
    form = BulkCompletionForm(request.POST, enrollment_ids=ids)
    if not form.is_valid():
        messages.error(request, form_refusal(form).message)
        return roster_redirect(pk, "section-confirmed")
    data = form.cleaned_data
    on = data["date"] or today_for(offering)
    report = services.completions_apply(
        tenant=request.tenant,
        access=access,
        actor=request.user,
        offering_id=pk,
        wanted=[Wanted(enrollment_id=i, result=data["result"], on=on) for i in data["enrollment"]],
        mode=ALL_OR_NOTHING,
        source=CompletionSource.STAFF,
    )
    if report.refused:
        problems = "; ".join(f"{line.email or line.enrollment_id}: {line.message}" for line in report.refused)
        messages.error(request, _("Nothing was saved. %(problems)s") % {"problems": problems})
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d learner recorded as completed on %(date)s.",
                "%(n)d learners recorded as completed on %(date)s.",
                len(report.saved),
            )
            % {"n": len(report.saved), "date": on.isoformat()}
            + (
                " "
                + ngettext(
                    "%(n)d was already recorded so.", "%(n)d were already recorded so.", len(report.unchanged)
                )
                % {"n": len(report.unchanged)}
                if report.unchanged
                else ""
            ),
        )
    return roster_redirect(pk, "section-completed" if report.saved else "section-confirmed")


@roster_page
def completion_upload(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    """GET: the upload form. POST: check the CSV line by line, save as the chosen mode says,
    and show what was saved and what was refused (and why, by line number)."""
    offering = selectors.offering_for_roster(tenant=request.tenant, access=access, offering_id=pk)
    report: Report | None = None
    status = 200
    if request.method == "POST":
        form = CompletionUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                wanted = services.read_completion_csv(form.cleaned_data["file"].read(MAX_BYTES + 1))
                report = services.completions_apply(
                    tenant=request.tenant,
                    access=access,
                    actor=request.user,
                    offering_id=pk,
                    wanted=wanted,
                    mode=form.cleaned_data["mode"],
                    source=CompletionSource.CSV,
                    reason=form.cleaned_data["reason"],
                )
            except NotFound:
                raise
            except MicrocredError as exc:
                form_errors_from(form, exc)
        if not form.is_valid():
            status = 400
    else:
        form = CompletionUploadForm()
    return render(
        request,
        "enrollment/console/completion_upload.html",
        {
            "access": access,
            "section": "enrollments",
            "offering": offering,
            "microcredential": offering.microcredential,
            "page": offering_page(offering),
            "form": form,
            "report": report,
        },
        status=status,
    )
