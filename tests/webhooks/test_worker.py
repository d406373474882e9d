"""Through the broker and a real Celery worker that consumes only the `webhooks` queue: the kick
after an enrolment commits reaches it, and the endpoint gets the event, signed."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from rest_framework.test import APIClient

from enrollment.services import messages
from microcred.celery import app
from tests.webhooks.conftest import endpoint, free_offering
from webhooks import signing
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_mail_job(monkeypatch):
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)


def test_the_webhooks_worker_sends_what_an_enrolment_recorded(world, receiver):
    hook, secret = endpoint(world.a, receiver.url)
    offering = free_offering(world.a_unit1)
    client = APIClient(HTTP_HOST="alpha.test")
    client.force_authenticate(world.learner)
    with start_worker(app, pool="solo", queues=["webhooks"], perform_ping_check=False, shutdown_timeout=10):
        response = client.post("/api/v1/enrollments/", {"offering": offering.pk}, format="json")
        assert response.status_code == 201
        deadline = time.monotonic() + 20
        while not receiver.accepted:
            assert time.monotonic() < deadline, "the worker never sent the delivery"
            time.sleep(0.05)
    (got,) = receiver.accepted
    assert got.event["type"] == "enrollment.confirmed"
    assert got.event["data"]["id"] == response.json()["id"]
    signing.verify(secret, got.body, got.headers["Microcred-Signature"])
    assert Delivery.objects.get(endpoint=hook).status == "succeeded"
