"""Payments tests: the real `stripe` SDK against the local Stripe (in this process), webhooks
signed with Stripe's scheme and posted to our endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe
from django.test import Client

import stripe_local
from catalog.models import Offering
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from identity.models import User
from microcred.celery import app
from payments import secrets
from payments.models import Order, TenantStripeSettings
from payments.services import events as event_services
from stripe_local.server import LocalStripe
from tenants.models import Tenant
from tests.catalog.factories import OfferingFactory
from tests.conftest import World

WHSEC_A = "whsec_alpha_tests_0123456789abcdef"
WHSEC_B = "whsec_beta_tests_0123456789abcdef"
API_KEY = "sk_test_alpha_0123456789"


def configure_stripe(tenant: Tenant, *, secret_key: str, webhook_secret: str) -> TenantStripeSettings:
    found, _ = TenantStripeSettings.objects.update_or_create(
        tenant=tenant,
        defaults={
            "secret_key_encrypted": secrets.encrypt(secret_key),
            "webhook_secret_encrypted": secrets.encrypt(webhook_secret),
        },
    )
    return found


@pytest.fixture
def stripe_server(settings: Any) -> Iterator[LocalStripe]:
    with stripe_local.running(webhook_secret=WHSEC_A, frozen_clock=True, tick_interval=None) as server:
        settings.STRIPE_API_BASE = server.url
        yield server


@contextmanager
def eager(on: bool = True) -> Iterator[None]:
    """Celery tasks run in this process (or, with on=False, go to the broker) inside the block;
    the previous setting is restored however the block ends."""
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = on
    app.conf.task_eager_propagates = on
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    with eager():
        yield


@dataclass
class Shop:
    """Alpha University with Stripe set up, a learner signed in, and ways to pay and deliver."""

    world: World
    server: LocalStripe
    learner: User
    browser: Client
    capture: Any
    delivered: set[str] = field(default_factory=set)

    @property
    def tenant(self) -> Tenant:
        return self.world.a

    def offering(self, **fields: Any) -> Offering:
        defaults: dict[str, Any] = {
            "microcredential__unit": self.world.a_unit1,
            "capacity": 5,
            "price_minor": 125000,
            "currency": "USD",
            "seat_hold_minutes": 60,
        }
        return OfferingFactory.create(**{**defaults, **fields})

    def hold(self, offering: Offering, learner: User | None = None) -> Enrollment:
        result = enrollment_services.enrollment_create(
            tenant=self.tenant, learner=learner or self.learner, offering_id=offering.pk
        )
        return result.enrollment

    def checkout(self, *enrollments: Enrollment, client: Client | None = None) -> Any:
        return (client or self.browser).post("/orders/checkout/", {"enrollment": [e.pk for e in enrollments]})

    def order_of(self, enrollment: Enrollment) -> Order:
        return Order.objects.filter(lines__enrollment=enrollment).order_by("-pk").first()  # type: ignore[return-value]

    def pay(self, order: Order, card: str = "4242424242424242", **kwargs: Any) -> dict[str, Any]:
        return self.server.control.pay(order.checkout_session_id, card, **kwargs)

    def new_events(self, *types: str) -> list[dict[str, Any]]:
        """Events the local Stripe made since the last call, oldest first, as Stripe sends them."""
        client = self.server.client()
        found = [
            e.to_dict()
            for e in client.v1.events.list(params={"limit": 100}).auto_paging_iter()
            if e.id not in self.delivered and (not types or e.type in types)
        ]
        found.sort(key=lambda e: (e["created"], e["id"]))
        return found

    def post_event(
        self, event: dict[str, Any], *, secret: str = WHSEC_A, host: str = "alpha.test", **kw: Any
    ) -> Any:
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(payload, secret, **kw)
        self.delivered.add(event["id"])
        # What commits runs its after-commit work (the apply job; eager: in this thread).
        with self.capture(execute=True):
            return Client(HTTP_HOST=host).post(
                "/payments/stripe/webhook/",
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )

    def deliver(self, *types: str) -> list[dict[str, Any]]:
        """Post every new event (of these types) to the webhook, in order; with eager tasks each
        is applied at once."""
        sent = self.new_events(*types)
        for event in sent:
            response = self.post_event(event)
            assert response.status_code == 200, response.content
        return sent


@pytest.fixture
def shop(world: World, stripe_server: LocalStripe, django_capture_on_commit_callbacks: Any) -> Shop:
    configure_stripe(world.a, secret_key=API_KEY, webhook_secret=WHSEC_A)
    configure_stripe(world.b, secret_key="sk_test_beta_0123456789", webhook_secret=WHSEC_B)
    browser = world.client_for(world.learner, world.a)
    return Shop(
        world=world,
        server=stripe_server,
        learner=world.learner,
        browser=browser,
        capture=django_capture_on_commit_callbacks,
    )


def apply_all() -> int:
    """Apply every stored event not yet applied (what the worker does)."""
    from payments.models import StripeEvent

    return sum(
        event_services.event_apply(event_id=pk)
        for pk in StripeEvent.objects.filter(applied_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
