"""Searches that found nothing are counted: the words, per tenant and day, never who searched."""

from __future__ import annotations

import pytest
import redis
from django.db import connection

from catalog import hooks
from demand import services
from demand.models import SearchMiss
from tests.catalog.factories import OfferingFactory
from tests.demand.conftest import anonymous
from tests.factories import UserFactory


@pytest.fixture(params=[0, 60], ids=["uncached", "cached"])
def page_cache(request, settings):
    settings.CATALOG_CACHE_SECONDS = request.param


def counts(tenant) -> dict[str, int]:
    services.search_misses_flush()
    return dict(SearchMiss.objects.filter(tenant=tenant).values_list("words", "count"))


def test_the_table_holds_words_and_counts_only(db):
    columns = {
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "demand_searchmiss")
    }
    assert columns == {"id", "tenant_id", "day", "words", "count", "last_seen_at"}


@pytest.mark.usefixtures("page_cache")
def test_empty_searches_are_counted_and_found_ones_are_not(world):
    OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Python for analysts")
    visitor, other = anonymous(world.a), anonymous(world.a)
    signed_in = anonymous(world.a)
    signed_in.force_login(UserFactory.create())

    for client, query in [
        (visitor, "quantum basket weaving"),
        (visitor, "quantum basket weaving"),  # the same visitor again (a cached page too) counts
        (other, "  Quantum   BASKET weaving "),
        (signed_in, "quantum basket weaving"),
        (other, "welding"),
        (visitor, "python"),  # found
        (visitor, "pyton"),  # found by a close spelling
        (visitor, ""),  # no words
        (visitor, "ada@example.org"),  # might say who typed it: not kept
        (visitor, "call 5551234567"),
    ]:
        assert client.get("/", {"q": query}).status_code == 200
    assert anonymous(world.a).get("/u/continuing-ed/", {"q": "welding"}).status_code == 200

    assert counts(world.a) == {"quantum basket weaving": 4, "welding": 2}
    assert counts(world.b) == {}


@pytest.mark.usefixtures("page_cache")
def test_the_words_are_cut_to_a_hundred_characters(world):
    assert anonymous(world.a).get("/", {"q": "zebra " * 30}).status_code == 200  # 180 characters
    [words] = counts(world.a)
    assert len(words) <= 100
    assert words.startswith("zebra zebra")


def test_a_failing_count_does_not_fail_the_page(world, monkeypatch, no_page_cache):
    def broken(tenant_id: int, text: str) -> None:
        raise RuntimeError("database is on fire")

    hooks.search_found_nothing.register("broken (test)", broken)
    try:
        answer = anonymous(world.a).get("/", {"q": "nothing here"})
    finally:
        hooks.search_found_nothing.unregister("broken (test)")
    assert answer.status_code == 200
    assert counts(world.a) == {"nothing here": 1}  # the other receiver still counted


def test_counts_over_several_flushes_add_up_and_a_flush_twice_adds_nothing(world, no_page_cache):
    client = anonymous(world.a)
    client.get("/", {"q": "welding"})
    assert counts(world.a) == {"welding": 1}
    assert services.search_misses_flush() == 0
    client.get("/", {"q": "welding"})
    client.get("/", {"q": "welding"})
    assert counts(world.a) == {"welding": 3}
    assert SearchMiss.objects.filter(tenant=world.a).count() == 1


def test_redis_out_of_reach_does_not_fail_the_page(world, monkeypatch, no_page_cache):
    def unreachable() -> None:
        raise redis.ConnectionError("no Redis")

    monkeypatch.setattr(services, "_redis", unreachable)
    answer = anonymous(world.a).get("/", {"q": "nothing here"})
    assert answer.status_code == 200
    assert "nothing here" in answer.content.decode()


def test_beat_runs_the_sweep_and_the_flush_every_minute(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["demand.notify_due"] == 60.0
    assert schedule["demand.flush_search_misses"] == 60.0
