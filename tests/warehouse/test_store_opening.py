from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL
from tests.warehouse.conftest import KEY, OTHER_KEY
from warehouse.store import MigrationError, SecretKeyMismatchError, StoreError, open_store
from warehouse.store.migrations import LATEST
from warehouse.store.schema import metadata


def _version(store) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT max(version) FROM schema_version"))


def test_a_wrong_key_is_refused_and_changes_nothing(open_at):
    store = open_at()
    added = store.add_integration(
        tenant_id="t", venue_id="v", provider="stripe", credentials={"api_key": "sk_test_1"}
    )
    store.close()
    with pytest.raises(SecretKeyMismatchError) as err:
        open_at(OTHER_KEY)
    message = str(err.value)
    assert "does not match the one this store was created with" in message
    assert "INTSYNC_SECRET_KEY" in message and "rotate-key" in message
    assert OTHER_KEY not in message and KEY not in message
    assert open_at().get_integration(added.id).credentials == {"api_key": "sk_test_1"}


def test_a_wrong_key_does_not_migrate_an_old_store(open_at):
    open_at(version=1).close()
    with pytest.raises(SecretKeyMismatchError):
        open_at(OTHER_KEY)
    assert _version(open_at(version=1)) == 1


def test_a_version_1_store_upgrades_in_place(open_at):
    old = open_at(version=1)
    assert _version(old) == 1
    integration = old.add_integration(
        tenant_id="t", venue_id="v", provider="stripe", credentials={"api_key": "sk_test_1"}
    )
    log_id = old.start_sync_log(
        integration=integration, resource="charges", run_id="r", cursor_before="5"
    )
    old.close()

    current = open_at()
    assert _version(current) == LATEST
    assert current.get_integration(integration.id).credentials == {"api_key": "sk_test_1"}
    assert current.get_sync_log(log_id).cursor_before == "5"
    with current.engine.connect() as conn:
        applied = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY 1")).scalars()
        assert list(applied) == list(range(1, LATEST + 1))


def test_migrations_build_the_tables_the_code_uses(store):
    inspector = sa.inspect(store.engine)
    assert set(inspector.get_table_names()) == set(metadata.tables)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name


def test_a_store_newer_than_the_code_is_refused(store, store_url):
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO schema_version (version, description, applied_at) "
                "VALUES (:v, 'from the future', CURRENT_TIMESTAMP)"
            ),
            {"v": LATEST + 1},
        )
    with pytest.raises(MigrationError, match=f"schema version {LATEST + 1}.*upgrade intsync"):
        open_store(store_url, KEY)


def test_two_processes_creating_one_store_at_once_both_succeed(store_url):
    errors: list[BaseException] = []

    def create() -> None:
        try:
            open_store(store_url, KEY).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(store_url, KEY) as store:
        assert _version(store) == LATEST


def test_an_unreachable_database_is_a_store_error_naming_it(pg_database):
    missing = PG_ADMIN_URL.rsplit("/", 1)[0] + "/intsync_no_such_database"
    with pytest.raises(StoreError, match="cannot open the store at .*intsync_no_such_database"):
        open_store(missing, KEY)
