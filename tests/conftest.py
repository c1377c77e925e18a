"""Shared fixtures: a private INTSYNC_HOME per test, and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("INTSYNC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()


@pytest.fixture
def intsync_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private INTSYNC_HOME with a fixed secret key; returns the environment for subprocesses."""
    home = tmp_path / "home"
    monkeypatch.setenv("INTSYNC_HOME", str(home))
    monkeypatch.setenv("INTSYNC_SECRET_KEY", "test-secret-key-0123456789")
    for var in (
        "INTSYNC_WAREHOUSE",
        "INTSYNC_DATABASE_URL",
        "INTSYNC_SERVICE_SECRETS",
        "INTSYNC_SPECS",
    ):
        monkeypatch.delenv(var, raising=False)
    return dict(os.environ)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A PostgreSQL database created for one test and dropped after it; its URL."""
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg2

    name = f"intsync_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_warehouse(request: pytest.FixtureRequest, tmp_path: Path):  # -> Warehouse
    """A warehouse with nothing in it, once on a new DuckDB file, once on a new PostgreSQL
    database."""
    from warehouse.destinations import Warehouse

    if request.param == "duckdb":
        import duckdb

        duckdb.connect(str(tmp_path / "wh.duckdb")).close()
        return Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    return Warehouse(request.getfixturevalue("pg_database"))
