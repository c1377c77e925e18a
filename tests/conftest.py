"""Shared fixtures: a private INTSYNC_HOME per test, and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("INTSYNC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


# Set by `make test-fast` only: there the PostgreSQL tests skip when the server is down. Anywhere
# else (`make test`, CI, a bare pytest) an unreachable PostgreSQL fails each test that needs it.
PG_OPTIONAL = os.environ.get("INTSYNC_TEST_PG_OPTIONAL", "") == "1"


def _pg_problem() -> str | None:
    """None when PostgreSQL answers at PG_ADMIN_URL, else why not (the password masked)."""
    try:
        import psycopg2

        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"


PG_PROBLEM = _pg_problem()
PG_AVAILABLE = PG_PROBLEM is None


def require_postgres() -> None:
    """Fail (skip under `make test-fast`) a test that needs PostgreSQL when it does not answer."""
    if PG_AVAILABLE:
        return
    where = re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", PG_ADMIN_URL)
    message = (
        f"PostgreSQL does not answer at {where} ({PG_PROBLEM}): start it (`make postgres`, "
        "or scripts/ensure-postgres), or point INTSYNC_TEST_PG at a server; only "
        "`make test-fast` (INTSYNC_TEST_PG_OPTIONAL=1) skips these tests"
    )
    if PG_OPTIONAL:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


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
    require_postgres()
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
