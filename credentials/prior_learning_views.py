"""The learner's prior learning (/my/credentials/prior-learning/): upload another institution's
credential toward one of the tenant's stack parts, and see each upload's checks and decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from core.errors import MicrocredError
from core.forms import form_errors_from
from credentials import presenters, selectors
from credentials.services.recognition import recognition_upload
from credentials.services.verify import MAX_INPUT
from credentials.views import MAX_UPLOAD
from tenants.http import StaffRequest
from tenants.models import Tenant


class PriorLearningForm(forms.Form):
    credential = forms.CharField(
        label=_lazy("Credential (JSON)"),
        required=False,
        max_length=MAX_INPUT,
        error_messages={"max_length": _lazy("The text is too long to be one credential.")},
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_lazy("Paste the credential's JSON, or choose its file below."),
    )
    file = forms.FileField(label=_lazy("Or a credential file (.json)"), required=False)
    part = forms.TypedChoiceField(
        label=_lazy("Count it toward"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_lazy("The course of one of our stacks that it covers. Staff may choose another."),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts = selectors.stack_parts(tenant=tenant)
        choices: list[tuple[Any, str]] = [("", _("Not sure: let staff choose"))]
        choices += [(p.pk, f"{p.title} ({p.unit.name})") for p in parts]
        self.fields["part"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is too large to be one credential."))
        if upload is None and not data.get("credential"):
            raise forms.ValidationError(_("Paste a credential or choose its file."))
        return data


@require_http_methods(["GET", "POST"])
@login_required
def prior_learning(request: StaffRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = PriorLearningForm(
        request.POST if posted else None, request.FILES if posted else None, tenant=request.tenant
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            given: str | bytes = (
                upload.read(MAX_UPLOAD + 1) if upload is not None else form.cleaned_data["credential"]
            )
            try:
                recognition = recognition_upload(
                    tenant=request.tenant,
                    learner=request.user,
                    document_text_or_bytes=given,
                    part_id=form.cleaned_data.get("part"),
                )
            except MicrocredError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(
                    request,
                    _("%(title)s was uploaded. Staff will decide on it, and we will e-mail you.")
                    % {"title": recognition.achievement_name or _("Your credential")},
                )
                return redirect("my-prior-learning")
        status = 400
    rows = [
        presenters.recognition_row(r)
        for r in selectors.recognitions_for_learner(tenant=request.tenant, learner=request.user)
    ]
    return render(
        request, "credentials/learner/prior_learning.html", {"form": form, "rows": rows}, status=status
    )
