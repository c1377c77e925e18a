from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from warehouse.destinations import Warehouse


@pytest.fixture
def warehouse(empty_warehouse: Warehouse) -> Warehouse:
    return empty_warehouse


A, B = "int_0123456789abcdef", "int_fedcba9876543210"


def test_loader_datasets_are_found_by_loader_and_dropped_with_their_tables(warehouse):
    lookalikes = ("staging", "raw_load_history", "core_load_int_a", f'ops_load_{A}" x')
    with warehouse.connect() as con:
        cur = con.cursor()
        for schema in (f"staging_load_{A}", f"core_load_{A}", f"raw_load_{B}", *lookalikes):
            quoted = '"' + schema.replace('"', '""') + '"'
            cur.execute(f"create schema {quoted}")
            cur.execute(f"create table {quoted}.t (id text)")
        con.commit()
    found = warehouse.loader_datasets()
    assert {k: sorted(v) for k, v in found.items()} == {
        A: [f"core_load_{A}", f"staging_load_{A}"],
        B: [f"raw_load_{B}"],
    }, "lookalike names are no loader's"
    warehouse.drop_datasets(found[A])
    assert set(warehouse.loader_datasets()) == {B}
    for schema in lookalikes:
        assert warehouse.table_exists(schema, "t"), f"{schema} stays"


@pytest.mark.postgres
def test_postgres_loads_of_one_venue_wait_for_each_other_and_others_do_not(pg_database):
    warehouse = Warehouse(pg_database)
    order: list[str] = []
    holding = threading.Event()

    def load(scope: str, name: str) -> None:
        holding.wait()
        with warehouse.write_lock(scope):
            order.append(name)

    same = threading.Thread(target=load, args=("venue-1", "same venue"))
    other = threading.Thread(target=load, args=("venue-2", "other venue"))
    same.start()
    other.start()
    # re-entrant within a thread: a nested block of the same venue does not wait for itself
    with warehouse.write_lock("venue-1"), warehouse.write_lock("venue-1"):
        holding.set()
        other.join(timeout=10)
        time.sleep(0.3)
        order.append("holder")
    same.join(timeout=10)
    assert order == ["other venue", "holder", "same venue"]


@pytest.mark.postgres
def test_a_postgres_venue_lock_dies_with_its_holder(pg_database):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from warehouse.destinations import Warehouse\n"
            "with Warehouse(sys.argv[1]).write_lock('venue-1'):\n"
            "    print('held', flush=True); time.sleep(60)",
            pg_database,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        started = time.monotonic()
        with Warehouse(pg_database).write_lock("venue-1"):
            assert time.monotonic() - started < 10
    finally:
        holder.kill()


def _waiting_for_a_lock(url: str, timeout: float = 10) -> int:
    """The pid of a session of `url` waiting for an advisory lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg2.connect(url) as con:
            cur = con.cursor()
            cur.execute(
                "select pid from pg_stat_activity where datname = current_database()"
                " and wait_event = 'advisory'"
            )
            found = cur.fetchall()
        if found:
            return found[0][0]
        time.sleep(0.05)
    raise AssertionError("no session waits for an advisory lock")


@pytest.mark.postgres
def test_a_venue_lock_waits_past_the_servers_lock_timeout_and_fails_clearly_if_cut(pg_database):
    from warehouse.errors import WarehouseError

    admin = psycopg2.connect(pg_database)
    admin.autocommit = True
    database = pg_database.rsplit("/", 1)[1]
    admin.cursor().execute(f'alter database "{database}" set lock_timeout = 200')
    warehouse = Warehouse(pg_database)
    outcome: list[str] = []

    def load() -> None:
        try:
            with warehouse.write_lock("venue-1"):
                outcome.append("loaded")
        except WarehouseError as exc:
            outcome.append(str(exc))

    try:
        with warehouse.write_lock("venue-1"):
            waiting = threading.Thread(target=load)
            waiting.start()
            _waiting_for_a_lock(pg_database)
            time.sleep(0.5)  # past the server's lock_timeout: still waiting
            assert outcome == []
        waiting.join(timeout=10)
        assert outcome == ["loaded"]

        outcome.clear()
        with warehouse.write_lock("venue-1"):
            cut = threading.Thread(target=load)
            cut.start()
            admin.cursor().execute(
                "select pg_terminate_backend(%s)", (_waiting_for_a_lock(pg_database),)
            )
            cut.join(timeout=10)
        assert len(outcome) == 1 and "could not take the lock 'intsync load venue-1'" in outcome[0]
    finally:
        admin.close()


@pytest.mark.postgres
def test_ddl_that_collided_with_another_transaction_is_told_from_a_refusal(pg_database):
    from warehouse.destinations import collided

    def error_of(con, sql: str) -> psycopg2.Error:
        try:
            con.cursor().execute(sql)
        except psycopg2.Error as exc:
            con.rollback()
            return exc
        raise AssertionError(f"{sql} did not fail")

    con = psycopg2.connect(pg_database)
    con.autocommit = True
    con.cursor().execute("create table t (a int primary key); insert into t values (1), (2)")
    duplicate = error_of(con, "create table t (a int)")
    assert collided(duplicate)  # as wrapped by dlt: see test_dltquirks
    assert not collided(error_of(con, "select * from missing_table"))
    assert not collided(error_of(con, "create table t2 (a no_such_type)"))

    # two transactions locking t's rows in opposite orders: PostgreSQL ends one of them
    first, second = psycopg2.connect(pg_database), psycopg2.connect(pg_database)
    first.cursor().execute("update t set a = a where a = 1")
    second.cursor().execute("update t set a = a where a = 2")
    errors: list[psycopg2.Error] = []

    def lock(con, row: int) -> None:
        try:
            con.cursor().execute("update t set a = a where a = %s", (row,))
        except psycopg2.Error as exc:
            errors.append(exc)
        con.rollback()

    waiting = threading.Thread(target=lock, args=(first, 2))
    waiting.start()
    time.sleep(0.3)
    lock(second, 1)
    waiting.join(timeout=30)
    assert [e.pgcode for e in errors] == ["40P01"]
    assert collided(errors[0])
