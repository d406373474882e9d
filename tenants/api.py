"""What every app's API needs of the tenant: the request's tenant and user, and the base view of
the staff API (tenant admins and unit admins; everyone else a 404, never a 403)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from identity.models import User
from tenants.api_auth import api_staff_access
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess


def request_tenant(request: Request) -> Tenant:
    """The tenant whose host the request came to (tenants.middleware found it)."""
    tenant: Tenant = request._request.tenant  # type: ignore[attr-defined]
    return tenant


def request_user(request: Request) -> User:
    """The signed-in account (the view's permission class has made sure there is one)."""
    user: User = request.user  # type: ignore[assignment]
    return user


class StaffApi(APIView):
    """Signed-in tenant admins and unit admins; everyone else gets a 404 (never a 403)."""

    permission_classes = [IsAuthenticated]
    access: StaffAccess

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.access = api_staff_access(request)
        if not self.access.manages_any_unit:
            raise NotVisible(_("Not found."))

    @property
    def tenant(self) -> Tenant:
        return request_tenant(self.request)
