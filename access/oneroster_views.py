"""The OneRoster 1.2 rostering REST endpoints (read-only, JSON), per tenant, under
/ims/oneroster/rostering/v1p2/. A client authenticates with a bearer token from the tenant's
token endpoint (client credentials); what it reads is `access.oneroster.collections`. Every
refusal is the binding's error payload: 401 without a valid token of this tenant, 403 without
the scope, 404 for an unknown object, 400 for a bad parameter."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core

from access.models import ClientKind
from access.oneroster import collections
from access.oneroster.collections import Answer
from access.oneroster.export import roster_zip
from access.oneroster.query import OneRosterError, Page, parse_query
from access.oneroster.records import RosterScope
from access.oneroster.scopes import FULL
from access.provider import relying_party_of

BASE_PATH = "/ims/oneroster/rostering/v1p2"


def _error(exc: OneRosterError) -> JsonResponse:
    response = JsonResponse(exc.payload(), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _scope(request: HttpRequest, needs: frozenset[str]) -> RosterScope:
    """The roster this request's token may read, or the refusal."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise OneRosterError("No institution at this address.", code_minor="unknownobject", status=404)
    valid, oauth = get_oauthlib_core().verify_request(request, scopes=[])
    token = getattr(oauth, "access_token", None)
    if not valid or token is None:
        raise OneRosterError(
            "A valid bearer token of this institution is required (client credentials at /oidc/token/).",
            code_minor="unauthorisedrequest",
            status=401,
        )
    rp = relying_party_of(token.application)
    if rp is None or rp.kind != ClientKind.ONEROSTER or not set(token.scope.split()) & needs:
        raise OneRosterError(
            "This token's scope does not allow this read: it needs " + " or ".join(sorted(needs)) + ".",
            code_minor="forbidden",
            status=403,
        )
    return RosterScope(
        tenant=tenant,
        unit_ids=frozenset({rp.unit_id}) if rp.unit_id else None,
        base_url=request.build_absolute_uri(BASE_PATH),
    )


def _links(request: HttpRequest, page: Page) -> str:
    query, total = page.query, page.total

    def url(offset: int) -> str:
        params = request.GET.copy()
        params["limit"] = str(query.limit)
        params["offset"] = str(max(offset, 0))
        return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))

    last = max((total - 1) // query.limit * query.limit, 0)
    links = [f'<{url(0)}>; rel="first"', f'<{url(last)}>; rel="last"']
    if query.offset + query.limit < total:
        links.append(f'<{url(query.offset + query.limit)}>; rel="next"')
    if query.offset > 0:
        links.append(f'<{url(query.offset - query.limit)}>; rel="prev"')
    return ", ".join(links)


def _render(request: HttpRequest, answer: Answer) -> JsonResponse:
    if answer.page is None:
        return JsonResponse({answer.key: answer.record})
    response = JsonResponse({answer.key: answer.page.records})
    response["X-Total-Count"] = str(answer.page.total)
    response["Link"] = _links(request, answer.page)
    return response


@csrf_exempt
def rostering(request: HttpRequest, path: str) -> HttpResponse:
    """Every read of the binding; `path` is what follows the base, e.g. "classes/offering-4/students"."""
    segments = [s for s in path.split("/") if s]
    try:
        if request.method not in ("GET", "HEAD"):
            raise OneRosterError("The roster is read-only here.", code_minor="invaliddata", status=405)
        scope = _scope(request, collections.scopes_for(segments))
        query = parse_query(request.GET)
        if len(segments) == 1:
            answer = collections.list_collection(scope, segments[0], query)
        elif len(segments) == 2:
            answer = collections.get_one(scope, segments[0], segments[1], query)
        elif len(segments) == 3 and segments[0] == "classes":
            answer = collections.list_under_class(scope, segments[1], segments[2], query)
        elif len(segments) >= 3 and segments[0] == "schools":
            answer = collections.list_under_school(scope, segments[1], segments[2:], query)
        else:
            raise OneRosterError("No such OneRoster endpoint here.", code_minor="unknownobject", status=404)
    except OneRosterError as exc:
        return _error(exc)
    return _render(request, answer)


@csrf_exempt
def bulk_export(request: HttpRequest) -> HttpResponse:
    """The roster as the CSV binding's bulk zip, for a client with the full scope (it holds
    the enrollments)."""
    try:
        scope = _scope(request, FULL)
    except OneRosterError as exc:
        return _error(exc)
    return zip_response(scope)


def zip_response(scope: RosterScope) -> HttpResponse:
    response = HttpResponse(roster_zip(scope), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="oneroster-{scope.tenant.slug}.zip"'
    response["Cache-Control"] = "no-store"
    return response
