"""Store fixtures: the same tests run on a SQLite file and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from warehouse.store import Store, open_store

KEY = "store-test-key-0123456789"
OTHER_KEY = "another-key-9876543210"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty store: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'intsync.db'}"
    return request.getfixturevalue("pg_database")


@pytest.fixture
def open_at(store_url: str) -> Iterator[Callable[..., Store]]:
    """Opens stores at `store_url` (closing them after the test): open_at(key=KEY, version=None)."""
    opened: list[Store] = []

    def _open(key: str = KEY, version: int | None = None) -> Store:
        store = open_store(store_url, key, schema_version=version)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_at: Callable[..., Store]) -> Store:
    """A store at the latest schema version, opened with KEY."""
    return open_at()
