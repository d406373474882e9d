"""GET /healthz: each component by name, `ok` or what is wrong; 503 when any is down."""

from __future__ import annotations

import time
from collections.abc import Callable

from celery import current_app as app
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_broker() -> str:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def check_worker() -> str:
    timeout = settings.HEALTH_WORKER_TIMEOUT_SECONDS
    result = app.send_task("microcred.ping", expires=timeout)  # the project's Celery app answers it
    try:
        answer = result.get(timeout=timeout)
    except CeleryTimeout:
        result.forget()
        return f"no worker answered a ping within {timeout} s"
    return "ok" if answer == "pong" else f"unexpected answer {answer!r}"


CHECKS = {"database": check_database, "broker": check_broker, "worker": check_worker}


class HealthzMiddleware:
    """Answers /healthz before host validation, tenant lookup and the HTTPS redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    components: dict[str, str] = {}
    started = time.monotonic()
    for name, check in CHECKS.items():
        if name == "worker" and components.get("broker") != "ok":
            components[name] = "unreachable: the broker is down"
            continue
        try:
            components[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure by name
            components[name] = f"{type(exc).__name__}: {exc}"[:300]
    healthy = all(state == "ok" for state in components.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "components": components,
        "seconds": round(time.monotonic() - started, 3),
    }
    return JsonResponse(body, status=200 if healthy else 503)
