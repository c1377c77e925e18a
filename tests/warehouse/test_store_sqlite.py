from __future__ import annotations

import threading

import pytest

from tests.warehouse.conftest import KEY
from warehouse.store import StoreError, open_store


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'intsync.db'}"


def test_every_connection_uses_wal_and_waits_when_busy(sqlite_url):
    with open_store(sqlite_url, KEY) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_writers_do_not_fail_with_database_is_locked(sqlite_url):
    # Separate stores (engines) behave like the web service and a sync in two processes.
    stores = [open_store(sqlite_url, KEY) for _ in range(4)]
    integration = stores[0].add_integration(
        tenant_id="t", venue_id="v", provider="stripe", credentials={"api_key": "sk_test_1"}
    )
    errors: list[BaseException] = []

    def work(store, n: int) -> None:
        try:
            for i in range(40):
                log_id = store.start_sync_log(
                    integration=integration, resource=f"r{n}", run_id=f"{n}-{i}", cursor_before=None
                )
                store.get_integration(integration.id)
                store.finish_sync_log(log_id, status="success", rows_loaded=i)
                store.update_credentials(integration.id, {"api_key": f"sk_test_{n}_{i}"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert [str(e) for e in errors] == []
        logs = stores[0].list_sync_logs(limit=1000)
        assert len(logs) == 160 and all(log.status == "success" for log in logs)
    finally:
        for store in stores:
            store.close()


def test_a_store_must_be_a_file(tmp_path):
    with pytest.raises(StoreError, match="the store needs a file"):
        open_store("sqlite:///:memory:", KEY)
