"""Learners' course access: "Go to your course" (to the LMS, which signs them in through the
tenant's single sign-on) and "Add to calendar". Only the learner's own enrollment; else 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from access.services import learner as learner_services
from core.errors import MicrocredError, NotFound
from tenants.http import StaffRequest


@login_required
def course(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        url = learner_services.course_url(tenant=request.tenant, learner=request.user, enrollment_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except MicrocredError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("my-learning") + f"#enrollment-{pk}")
    return redirect(url)


@login_required
def calendar(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        enrollment = learner_services.enrollment_own(
            tenant=request.tenant, learner=request.user, enrollment_id=pk
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    body = learner_services.calendar_file(
        enrollment=enrollment,
        offering_url=request.build_absolute_uri(reverse("offering-detail", args=[enrollment.offering_id])),
        host=request.get_host().split(":")[0],
        now=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="course-{enrollment.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
