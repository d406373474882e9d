"""GET /healthz names database, broker and worker, each `ok` or what is wrong."""

import pytest
from celery.contrib.testing.worker import start_worker

from microcred.celery import app


@pytest.fixture
def celery_worker(transactional_db):
    # A real worker thread consuming from the real Redis broker. Celery's Django fix-up closes
    # the database connection as the worker starts, so the test cannot sit inside a transaction.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def test_all_components_ok_with_a_running_worker(client, celery_worker):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"] == {"database": "ok", "broker": "ok", "worker": "ok"}


def test_answers_on_any_host_even_an_unknown_one(client, celery_worker):
    assert client.get("/healthz", HTTP_HOST="not-a-tenant.localhost").status_code == 200


def test_no_worker_is_503_naming_the_worker(client, db, settings):
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 1

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["database"] == "ok"
    assert body["components"]["broker"] == "ok"
    assert body["components"]["worker"] == "no worker answered a ping within 1 s"


def test_broker_down_is_503_naming_the_broker(client, db, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    components = response.json()["components"]
    assert components["database"] == "ok"
    assert components["broker"].startswith("OperationalError")
    assert components["worker"] == "unreachable: the broker is down"


def test_database_down_is_503_naming_the_database(client, db, monkeypatch):
    import psycopg2
    from django.db import connection

    def refuse(*args, **kwargs):
        raise psycopg2.OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["components"]["database"] == "OperationalError: connection refused"


def test_answers_on_a_host_outside_allowed_hosts(client, db, settings):
    # Load balancers probe with their own Host header; Django's host check must not 400 it.
    settings.ALLOWED_HOSTS = ["learn.example.edu"]
    settings.HEALTH_WORKER_TIMEOUT_SECONDS = 1

    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 503  # no worker here, but it answered with the report
    assert response.json()["components"]["database"] == "ok"
