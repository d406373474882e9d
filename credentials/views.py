"""Public credential pages on the tenant's host: the tenant's and each unit's DID document, the
units' status lists, the Achievement behind a badge, and the verifier."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from credentials import selectors
from credentials.models import StatusPurpose
from credentials.services import builder, keys, proof, status
from credentials.services.verify import MAX_INPUT, verify_document
from tenants.http import TenantRequest
from tenants.models import Unit

MAX_UPLOAD = 2_000_000  # bytes


def _unit(request: TenantRequest, slug: str) -> Unit:
    unit = selectors.public_unit(tenant=request.tenant, slug=slug)
    if unit is None:
        raise Http404
    return unit


def _json(document: object, content_type: str = "application/json", max_age: int = 300) -> JsonResponse:
    response = JsonResponse(document, content_type=content_type, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # verifiers in browsers resolve these
    return response


@require_GET
def did_document(request: TenantRequest, slug: str) -> JsonResponse:
    return _json(keys.did_document(unit=_unit(request, slug)), "application/did+json")


@require_GET
def tenant_did_document(request: TenantRequest) -> JsonResponse:
    """did:web:HOST resolves here (the did:web method): the tenant, which signs learner records."""
    return _json(keys.tenant_did_document(tenant=request.tenant), "application/did+json")


@require_GET
def status_list(request: TenantRequest, slug: str, purpose: str) -> JsonResponse:
    if purpose not in StatusPurpose.values:
        raise Http404
    document = status.status_list_credential(unit=_unit(request, slug), purpose=purpose)
    return _json(document, "application/vc+ld+json", max_age=60)


@require_GET
def achievement(request: TenantRequest, slug: str, pk: int) -> JsonResponse:
    microcredential = selectors.unit_microcredential(unit=_unit(request, slug), microcredential_id=pk)
    if microcredential is None:
        raise Http404
    body = {"@context": [proof.VC_V2, proof.OB_V3], **builder.achievement(microcredential)}
    return _json(body)


class VerifyForm(forms.Form):
    credential = forms.CharField(
        label=_("Credential (JSON)"),
        required=False,
        max_length=MAX_INPUT,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text=_("Paste the credential's JSON, or choose its file below."),
    )
    file = forms.FileField(label=_("Or a credential file (.json)"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is too large to be one credential."))
        if upload is None and not data.get("credential"):
            raise forms.ValidationError(_("Paste a credential or choose its file."))
        return data


@require_http_methods(["GET", "POST"])
def verify(request: TenantRequest) -> HttpResponse:
    verdict = None
    # Bound on any POST, an empty one too: it then says what is missing.
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        verdict = verify_document(
            upload.read(MAX_UPLOAD + 1) if upload is not None else form.cleaned_data["credential"]
        )
    status_code = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "credentials/verify.html", {"form": form, "verdict": verdict}, status=status_code)
