"""Two workers with homes of their own share a fleet of 200 integrations on a PostgreSQL store and
warehouse; one is killed in the middle of its batch's load. Every row ends in the warehouse once,
every cursor committed, and what the killed worker left behind never loads."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.conftest import INTSYNC, Cli, Sandbox, start_sandbox, stop
from tests.conftest import PG_ADMIN_URL
from warehouse.destinations import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

N = 200
COUNTS = {"customers": 4, "charges": 6, "products": 1, "prices": 1, "payment_intents": 2,
          "refunds": 1, "disputes": 0, "invoices": 1, "subscriptions": 1, "payouts": 1,
          "balance_transactions": 2}  # fmt: skip
SECRET = "fleet-secret-key-0123456789"


@pytest.fixture
def store_url() -> Iterator[str]:
    import psycopg2

    name = f"intsync_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def workers(tmp_path: Path, pg_database: str, store_url: str) -> tuple[Cli, Cli]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTSYNC_")}
    base.update(
        INTSYNC_SECRET_KEY=SECRET,
        INTSYNC_WAREHOUSE=pg_database,
        INTSYNC_DATABASE_URL=store_url,
    )
    return Cli({**base, "INTSYNC_HOME": str(tmp_path / "a")}), Cli(
        {**base, "INTSYNC_HOME": str(tmp_path / "b")}
    )


@pytest.fixture
def fleet(workers: tuple[Cli, Cli], store_url: str) -> Iterator[tuple[Sandbox, list[str]]]:
    counts = [arg for name, n in COUNTS.items() for arg in ("--count", f"{name}={n}")]
    sandbox = start_sandbox("stripe", "--accounts", str(N), *counts, env=workers[0].env)
    try:
        from warehouse.store import open_store

        store = open_store(store_url, SECRET)  # 200 `integrations add` would take minutes
        keys = [f"sk_test_sandbox_{n + 1}" for n in range(N)]
        for n, key in enumerate(keys):
            store.add_integration(
                tenant_id="fleet",
                venue_id=f"venue-{n:03d}",
                provider="stripe",
                credentials={"api_key": key},
                base_url=sandbox.urls["stripe"],
            )
        store.close()
        yield sandbox, keys
    finally:
        stop(sandbox.process)


class Worker:
    """`intsync sync --all --concurrency 8 --json` running in a worker's home, its output in
    files there (a pipe nobody reads while the test waits would fill and stop the worker)."""

    def __init__(self, worker: Cli) -> None:
        home = Path(worker.env["INTSYNC_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        self.out, self.err = home / "sync.out", home / "sync.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [INTSYNC, "sync", "--all", "--concurrency", "8", "--json"],
                env=worker.env,
                stdout=out,
                stderr=err,
            )

    def finish(self, timeout: float = 900) -> None:
        code = self.process.wait(timeout)
        assert code == 0, self.err.read_text()[-3000:]


def _loading(worker: Cli) -> bool:
    """Whether the worker has a load package in the making (extracted or normalized)."""
    dlt_dir = Path(worker.env["INTSYNC_HOME"]) / "dlt"
    places = [("normalize", "extracted"), ("load", "normalized")]
    return any(
        any(p.iterdir())
        for pipeline in dlt_dir.glob("intsync_*")
        for place in places
        if (p := pipeline.joinpath(*place)).is_dir()
    )


def _assert_exact(sandbox: Sandbox, keys: list[str], warehouse: Warehouse) -> None:
    for dataset, table in (("staging", "stripe_charges"), ("staging", "stripe_customers"),
                           ("core", "payments")):  # fmt: skip
        repeated = warehouse.query(
            f"select venue_id, id, count(*) from {dataset}.{table}"
            " group by venue_id, id having count(*) > 1"
        )
        assert repeated == [], f"{dataset}.{table}: {repeated[:5]}"
    held = dict(
        warehouse.query(
            "select venue_id, count(*) from staging.stripe_charges"
            " where _deleted_at is null group by venue_id"
        )
    )
    for n, key in enumerate(keys):
        charges = sandbox.admin("stripe", f"objects/charges?account={key}")
        assert held.get(f"venue-{n:03d}", 0) == len(charges), key
    cursors = warehouse.query(
        "select count(distinct integration_id) from staging._intsync_cursors"
        " where resource = 'charges'"
    )
    assert cursors == [(N,)]


def test_two_workers_share_a_fleet_and_a_killed_ones_leftovers_never_load(
    workers: tuple[Cli, Cli], fleet: tuple[Sandbox, list[str]], pg_database: str
):
    a, b = workers
    sandbox, keys = fleet
    warehouse = Warehouse(pg_database)

    killed, survivor = Worker(a), Worker(b)
    deadline = time.monotonic() + 600
    while not _loading(a) and killed.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert killed.process.poll() is None, "worker a was killed while its batch loaded"
    killed.process.send_signal(signal.SIGKILL)
    killed.process.wait()
    survivor.finish()
    assert _loading(a), "worker a left a load unfinished"

    # b syncs again (a's integrations, which a never committed, included), then the objects
    # change and both workers run at once; a's leftovers are deleted, never loaded
    b.run("sync", "--all", "--concurrency", "8", timeout=900)
    for key in keys[::10]:
        sandbox.admin("stripe", "mutate",
                      {"action": "touch", "account": key, "resource": "charges", "count": 2})  # fmt: skip
    again = [Worker(a), Worker(b)]
    for worker in again:
        worker.finish()
    assert not _loading(a)
    _assert_exact(sandbox, keys, warehouse)
    counts = warehouse.query(
        "select count(*) from information_schema.schemata where schema_name like '%%\\_load\\_%%'"
    )
    assert counts == [(0,)], "no schema per integration"
