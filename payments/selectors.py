"""Reads of orders, always scoped to the tenant (and the learner for learners' pages)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from identity.models import User
from payments.models import Order
from tenants.errors import NotVisible
from tenants.models import Tenant


def orders_for_learner(*, tenant: Tenant, learner: User) -> QuerySet[Order]:
    return (
        Order.objects.filter(tenant=tenant, learner=learner)
        .exclude(status="draft")
        .prefetch_related("lines__unit")
        .order_by("-created_at", "-pk")
    )


def order_for_learner(*, tenant: Tenant, learner: User, reference: str) -> Order:
    order = (
        Order.objects.filter(tenant=tenant, learner=learner, reference=reference)
        .select_related("tenant")
        .prefetch_related("lines__unit", "lines__offering__microcredential")
        .first()
    )
    if order is None:
        raise NotVisible(_("No such order."))
    return order
