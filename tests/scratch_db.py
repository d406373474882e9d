"""Scratch databases on whichever PostgreSQL the suite runs against (configured, local or
embedded), for tests that start whole processes with their own database."""

from __future__ import annotations

import os

import dj_database_url
import psycopg2


def _params(url: str, dbname: str) -> dict[str, object]:
    cfg = dj_database_url.parse(url)
    params = {
        "dbname": dbname,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
    }
    return {k: v for k, v in params.items() if v}


def scratch_url(suffix: str) -> tuple[str, str]:
    """(url, name) of a database beside the suite's own, named after it plus `suffix`."""
    base = os.environ["DATABASE_URL"]
    name = f"{dj_database_url.parse(base)['NAME']}_{suffix}"
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}", name


def drop(name: str) -> None:
    conn = psycopg2.connect(**_params(os.environ["DATABASE_URL"], "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
