"""The local Stripe delivering its own signed events over HTTP to a live server, as Stripe does:
a refused delivery (the webhook secret not set yet) is retried, and once the secret is set
the retry is verified, stored and applied."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from pytest_django.live_server_helper import LiveServer

import stripe_local
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from microcred.celery import app
from payments.models import Order, StripeEvent
from payments.services import checkout, orders
from payments.services.stripe_settings import stripe_settings_save
from stripe_local.server import LocalStripe
from tenants.models import Tenant
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
WHSEC = "whsec_live_server_0123456789abcdef"


@pytest.fixture
def tenant() -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"])


@pytest.fixture
def server(settings, live_server: LiveServer) -> Iterator[LocalStripe]:
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with stripe_local.running(
            webhook_url=f"{live_server.url}/payments/stripe/webhook/",
            webhook_secret=WHSEC,
            webhook_retry_base=0.2,
            webhook_retry_max=0.5,
        ) as running:
            settings.STRIPE_API_BASE = running.url
            yield running
    finally:
        app.conf.task_always_eager = previous


def _wait(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_local_stripe_delivers_and_retries_until_verified(tenant: Tenant, server: LocalStripe) -> None:
    stripe_settings_save(tenant=tenant, secret_key="sk_test_live", webhook_secret="whsec_not_the_servers_one")
    unit = UnitFactory.create(tenant=tenant)
    offering = OfferingFactory.create(microcredential__unit=unit, price_minor=4900, capacity=3)
    learner = UserFactory.create()
    held = enrollment_services.enrollment_create(
        tenant=tenant, learner=learner, offering_id=offering.pk
    ).enrollment
    start = orders.order_for_holds(tenant=tenant, learner=learner, enrollment_ids=[held.pk])
    order = checkout.checkout_start(
        order=start.order,
        success_url="http://localhost/done?s={CHECKOUT_SESSION_ID}",
        cancel_url="http://localhost/",
    )

    server.control.pay(order.checkout_session_id, "4242424242424242")
    assert _wait(lambda: any(d["status"] == 400 for d in server.control.webhook_deliveries()))
    assert StripeEvent.objects.count() == 0  # refused: nothing stored

    stripe_settings_save(tenant=tenant, webhook_secret=WHSEC)
    assert server.control.wait_for_webhooks(timeout=30)

    assert _wait(lambda: Order.objects.get(pk=order.pk).status == "paid")
    assert Enrollment.objects.get(pk=held.pk).status == "confirmed"
    types = set(StripeEvent.objects.values_list("type", flat=True))
    assert "checkout.session.completed" in types
    assert not StripeEvent.objects.filter(applied_at__isnull=True).exists()
