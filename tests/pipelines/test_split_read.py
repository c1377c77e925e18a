"""A full read split across worker processes lands what a serial read lands, cursor included."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.client import StripeConnector
from connectors.stripe.sandbox.app import StripeSandbox
from pipelines import partread
from pipelines.runs import SyncContext
from pipelines.sync import sync_integration
from tests.pipelines.conftest import KEY, make_context

COUNTS = {"customers": 150, "charges": 420}
COLUMNS = "id, amount, currency, status, email_sha256, customer_id, _deleted_at"


@pytest.fixture(autouse=True)
def split_small_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A few hundred charges are a few pages: split them anyway (decided in this process)."""
    monkeypatch.setattr(StripeConnector, "split_min_pages", 1)


@pytest.fixture
def stripe_sandbox() -> StripeSandbox:
    return StripeSandbox({KEY: SeedSpec(seed=21, counts=COUNTS)})


@pytest.fixture
def stripe_server(stripe_sandbox: StripeSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(stripe_sandbox) as running:
        yield running


def _context(store, tmp_path: Path, name: str, processes: int) -> SyncContext:
    ctx = make_context(store, tmp_path / name)
    ctx.read_processes = processes
    return ctx


def _charges(ctx: SyncContext) -> list[tuple]:
    return ctx.warehouse.query(f"select {COLUMNS} from staging.stripe_charges order by id")


def _cursor(result) -> dict:
    (outcome,) = result.resources
    cursor = dict(outcome.cursor_after)
    cursor.pop("events_checked_at")
    return cursor


def test_a_split_read_lands_what_a_serial_read_lands(
    integration, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    workers: list[int] = []
    run = partread._Dispatch.run

    def counted(dispatch, job_id, job):
        workers.append(len(dispatch.workers))
        return run(dispatch, job_id, job)

    monkeypatch.setattr(partread._Dispatch, "run", counted)
    serial = _context(store, tmp_path, "serial", 1)
    split = _context(store, tmp_path, "split", 2)

    one = sync_integration(integration, serial, resources=["charges"])
    pages: list[int] = []
    split.on_page = lambda resource, rows: pages.append(rows)
    two = sync_integration(integration, split, resources=["charges"])

    assert one.ok and two.ok, (one.error, two.error)
    assert workers == [2], "the split run read in two worker processes, the serial one in none"
    assert _charges(split) == _charges(serial) and len(_charges(split)) == 420
    assert _cursor(two) == _cursor(one)
    assert two.resources[0].rows_extracted == two.resources[0].rows_loaded == 420
    assert pages and pages[-1] == 420 and pages == sorted(pages), "progress as parts come in"
    for query in (
        "select count(*), count(distinct id) from raw.stripe_charges",
        "select count(*), count(distinct id) from core.payments",
    ):
        assert split.warehouse.query(query) == serial.warehouse.query(query) == [(420, 420)]


def test_the_cursor_a_split_read_leaves_takes_the_next_changes(
    integration, store, tmp_path: Path, stripe_sandbox: StripeSandbox
):
    ctx = _context(store, tmp_path, "split", 2)
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    charges = orjson.loads(stripe_sandbox.objects("charges", {"account": KEY}))
    stripe_sandbox.update(KEY, "charges", charges[-1]["id"], {"description": "changed"})
    made = stripe_sandbox.create(KEY, "charges", {"amount": 1234, "currency": "usd"})

    again = sync_integration(integration, ctx, resources=["charges"])

    assert again.ok, again.error
    assert again.resources[0].rows_extracted == 2, "only the change and the new charge"
    count, distinct = ctx.warehouse.query(
        "select count(*), count(distinct id) from staging.stripe_charges"
    )[0]
    assert count == distinct == 421
    assert ctx.warehouse.query(
        f"select description from staging.stripe_charges where id = '{charges[-1]['id']}'"
    ) == [("changed",)]
    assert ctx.warehouse.query(
        f"select amount from staging.stripe_charges where id = '{made['id']}'"
    ) == [(Decimal("12.34"),)]


def test_a_split_full_refresh_marks_unlisted_rows_deleted(
    integration, store, tmp_path: Path, stripe_sandbox: StripeSandbox
):
    ctx = _context(store, tmp_path, "split", 2)
    assert sync_integration(integration, ctx, resources=["customers"]).ok
    doomed = orjson.loads(stripe_sandbox.objects("customers", {"account": KEY}))[0]["id"]
    stripe_sandbox.delete(KEY, "customers", doomed)

    result = sync_integration(integration, ctx, resources=["customers"], full_refresh=True)

    assert result.ok, result.error
    assert result.resources[0].rows_deleted == 1
    gone = ctx.warehouse.query(
        "select id from staging.stripe_customers where _deleted_at is not null"
    )
    assert gone == [(doomed,)]


def test_a_key_revoked_during_a_split_read_fails_it_with_the_reconnect_message(
    integration, store, tmp_path: Path, stripe_sandbox: StripeSandbox
):
    ctx = _context(store, tmp_path, "split", 2)
    ctx.on_page = lambda resource, rows: stripe_sandbox.injector.update(
        {"revoked_credentials": [KEY]}
    )

    result = sync_integration(integration, ctx, resources=["charges", "customers"])

    assert not result.ok
    assert all(o.status == "failed" for o in result.resources)
    assert "reconnect" in (result.error or "")
    assert store.get_integration(integration.id).status == "needs_reconnect"
    assert not ctx.warehouse.table_exists("staging", "stripe_charges")


def test_a_worker_that_dies_fails_the_resource_and_the_next_run_reads_it_whole(
    integration, store, tmp_path: Path
):
    ctx = _context(store, tmp_path, "split", 2)

    def kill_a_worker(resource: str, rows: int) -> None:
        for child in multiprocessing.active_children():
            if child.name.startswith("intsync-read-") and child.is_alive():
                os.kill(child.pid, signal.SIGKILL)
                return

    ctx.on_page = kill_a_worker
    failed = sync_integration(integration, ctx, resources=["charges"])
    assert not failed.ok
    assert "worker process intsync-read-" in (failed.error or "")
    assert not ctx.warehouse.table_exists("staging", "stripe_charges")

    ctx.on_page = None
    again = sync_integration(integration, ctx, resources=["charges"])
    assert again.ok, again.error
    assert ctx.warehouse.query(
        "select count(*), count(distinct id) from staging.stripe_charges"
    ) == [(420, 420)]


def test_one_set_of_workers_reads_every_split_resource_of_a_sync(
    integration, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    seen: list[set[int]] = []
    run = partread._Dispatch.run

    def recorded(dispatch, job_id, job):
        seen.append({w.process.pid for w in dispatch.workers})
        return run(dispatch, job_id, job)

    monkeypatch.setattr(partread._Dispatch, "run", recorded)
    ctx = _context(store, tmp_path, "split", 2)
    result = sync_integration(integration, ctx, resources=["charges", "customers"])
    assert result.ok, result.error
    assert [o.rows_loaded for o in result.resources] == [420, 150]
    assert len(seen) == 2 and seen[0] == seen[1] and len(seen[0]) == 2
    assert not [c for c in multiprocessing.active_children() if c.name.startswith("intsync-read")]


def test_workers_start_only_when_a_full_read_is_coming(
    integration, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    events: list[str] = []
    start = partread.PartPool.start

    def started(pool):
        if pool.usable and not pool._workers:
            events.append("workers")
        return start(pool)

    monkeypatch.setattr(partread.PartPool, "start", started)
    ctx = _context(store, tmp_path, "split", 2)

    assert sync_integration(integration, ctx, resources=["charges"]).ok
    assert events == ["workers"], "a first sync starts its readers"
    events.clear()
    assert sync_integration(integration, ctx, resources=["charges"]).ok
    assert events == [], "an incremental one starts none"
    events.clear()
    assert sync_integration(integration, ctx, resources=["charges"], full_refresh=True).ok
    assert events == ["workers"], "a full refresh does"
