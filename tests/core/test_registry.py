"""core.registry: one name, one entry; registration order; receivers after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from core.registry import Registry, after_commit


def test_entries_come_back_in_registration_order_and_a_repeat_is_harmless() -> None:
    registry: Registry[int] = Registry("number")
    registry.register("b", 2)
    registry.register("a", 1)
    registry.register("b", 2)  # ready() ran twice
    assert list(registry) == [2, 1]
    assert registry.get("a") == 1
    assert registry.get("z") is None


def test_a_taken_name_is_refused() -> None:
    registry: Registry[int] = Registry("number")
    registry.register("a", 1)
    with pytest.raises(ValueError, match="A number named 'a' is already registered"):
        registry.register("a", 2)


@pytest.mark.django_db(transaction=True)
def test_receivers_run_after_commit_and_one_failing_stops_no_other(caplog: pytest.LogCaptureFixture) -> None:
    heard: list[int] = []

    def broken(n: int) -> None:
        raise RuntimeError("down")

    registry: Registry[Callable[..., Any]] = Registry("listener")
    registry.register("broken", broken)
    registry.register("heard", heard.append)
    with transaction.atomic():
        after_commit(registry, 5)
        assert heard == []
    assert heard == [5]
    assert "listener 'broken' failed after commit" in caplog.text
