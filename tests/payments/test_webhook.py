"""The webhook: Stripe's signature on the raw body, the tenant's own secret, stored by id once."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe

from enrollment.models import Enrollment, EnrollmentEvent
from payments.models import OrderEvent, OrderStatus, StripeEvent
from tests.payments.conftest import WHSEC_A, WHSEC_B, Shop


def _paid_order_events(shop: Shop) -> tuple[Enrollment, list[dict[str, Any]]]:
    enrollment = shop.hold(shop.offering())
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    shop.pay(order)
    return enrollment, shop.new_events("checkout.session.completed")


def test_refused_deliveries_store_nothing(shop: Shop) -> None:
    _enrollment, (event,) = _paid_order_events(shop)
    payload = json.dumps(event)

    wrong_secret = shop.post_event(event, secret="whsec_not_this_one")
    assert wrong_secret.status_code == 400

    header = stripe.WebhookSignature.generate_signature_header(payload, WHSEC_A)
    tampered = payload.replace('"paid"', '"unpaid"', 1)
    response = shop.browser.post(
        "/payments/stripe/webhook/", tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400

    stale = shop.post_event(event, timestamp=int(time.time()) - 600)
    assert stale.status_code == 400

    other_tenant = shop.post_event(event, secret=WHSEC_A, host="beta.test")
    assert other_tenant.status_code == 400
    unsigned = shop.browser.post("/payments/stripe/webhook/", payload, content_type="application/json")
    assert unsigned.status_code == 400
    assert response.json()["error"]["code"] == "webhook_refused"
    assert StripeEvent.objects.count() == 0
    assert OrderEvent.objects.filter(action="paid").count() == 0


def test_the_other_tenant_verifies_with_its_own_secret(shop: Shop) -> None:
    _enrollment, (event,) = _paid_order_events(shop)
    response = shop.post_event(event, secret=WHSEC_B, host="beta.test")
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.tenant == shop.world.b
    # Stored for Beta, but it names no Beta order: applying it changes nothing of Alpha's.
    from tests.payments.conftest import apply_all

    assert apply_all() == 1
    assert OrderEvent.objects.filter(action="paid").count() == 0


def test_five_deliveries_of_one_event_confirm_once(shop: Shop, eager_tasks: None) -> None:
    from django.core import mail

    enrollment, (event,) = _paid_order_events(shop)
    answers = [shop.post_event(event) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert [a.json()["duplicate"] for a in answers] == [False, True, True, True, True]
    assert StripeEvent.objects.filter(stripe_id=event["id"]).count() == 1
    assert EnrollmentEvent.objects.filter(enrollment=enrollment, action="paid").count() == 1
    assert OrderEvent.objects.filter(action="paid").count() == 1
    assert len([m for m in mail.outbox if "receipt" in m.subject.lower()]) == 1


def test_an_event_stored_while_the_broker_was_down_is_applied_by_the_sweep(shop: Shop, monkeypatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from payments import tasks
    from payments.services import events as event_services

    enrollment, (event,) = _paid_order_events(shop)

    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.stripe_event_apply, "apply_async", broker_down)
    assert shop.post_event(event).status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.applied_at is None

    applied: list[int] = []
    monkeypatch.setattr(tasks.stripe_event_apply, "apply_async", lambda args, **kw: applied.append(args[0]))
    StripeEvent.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=2))
    tasks.payments_sweep()
    assert applied == [stored.pk]
    assert event_services.event_apply(event_id=stored.pk) is True
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert shop.order_of(enrollment).status == OrderStatus.PAID


def test_the_webhook_by_tenant_slug_answers_on_any_host(shop: Shop, eager_tasks: None) -> None:
    from django.test import Client

    enrollment, (event,) = _paid_order_events(shop)
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, WHSEC_A)
    anywhere = Client(HTTP_HOST="not-a-tenant.example")

    with shop.capture(execute=True):
        response = anywhere.post(
            "/payments/stripe/webhook/alpha/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
    wrong_tenant = anywhere.post(
        "/payments/stripe/webhook/beta/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    unknown = anywhere.post(
        "/payments/stripe/webhook/nobody/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )

    assert response.status_code == 200
    assert wrong_tenant.status_code == 400  # Beta's own secret does not verify Alpha's event
    assert unknown.status_code == 404
    assert anywhere.get("/payments/stripe/webhook/alpha/").status_code == 405
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert list(StripeEvent.objects.values_list("tenant__slug", flat=True)) == ["alpha"]
