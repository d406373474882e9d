"""The demo sign-in accounts; free of Django imports so `make run` can print them."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "microcred-demo"  # noqa: S105 - a published demo account on a local machine


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    where: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@northfield.localhost", "tenant admin", "http://127.0.0.1:8000"),
    DemoAccount(
        "ce-admin@northfield.localhost", "unit admin (Continuing Education)", "http://127.0.0.1:8000"
    ),
    DemoAccount("finance@northfield.localhost", "finance (all units)", "http://127.0.0.1:8000"),
    DemoAccount("admin@harbor.localhost", "tenant admin", "http://harbor.localhost:8000"),
    DemoAccount(
        "operator@microcred.localhost", "platform operator (Django admin)", "http://127.0.0.1:8000/admin/"
    ),
)
