"""What every finance page shares: who may open it (finance_page), its context, its filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from finance import selectors
from finance.selectors import FinanceScope
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page

FinanceView = Callable[..., HttpResponseBase]


def finance_page(view: FinanceView) -> FinanceView:
    """Staff of this tenant, with their finance scope; the selectors refuse what it does not reach."""

    @staff_page()
    @wraps(view)
    def wrapper(request: StaffRequest, access: StaffAccess, *args: Any, **kwargs: Any) -> HttpResponseBase:
        scope = selectors.finance_scope(tenant=request.tenant, access=access, user_id=request.user.pk)
        if not (scope.sees_payouts or scope.sees_statements):
            raise Http404
        return view(request, access, scope, *args, **kwargs)

    return wrapper


def ctx(access: StaffAccess, scope: FinanceScope, section: str, **more: Any) -> dict[str, Any]:
    return {"access": access, "scope": scope, "section": "finance", "finance_section": section, **more}


def params(request: StaffRequest) -> str:
    """The query string without `page`: what a page link keeps (the filters)."""
    kept = request.GET.copy()
    kept.pop("page", None)
    return kept.urlencode()


def invalid_filters(form: Any) -> HttpResponse | None:
    """For a CSV: filters that do not validate are a 400 naming what is wrong (never every row)."""
    if not form.is_bound or form.is_valid():
        return None
    lines = [_("Some filters are not valid:")]
    for field, errors in form.errors.items():
        lines += [str(error) if field == "__all__" else f"{field}: {error}" for error in errors]
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
