"""A fleet of Stripe integrations on one warehouse: what each sync of all of them costs, against
the floor of the HTTP requests those syncs make.

    python bench/fleet.py [--integrations 1000] [--concurrency 8] [--warehouse duckdb|postgres]

Each integration is a venue with its own Stripe sandbox account (one sandbox process serves
them all), seeded small, as most venues are. Printed, each measured in this run:
  (a) the floor: the requests of a full read and of a nothing-new read of every integration,
      read and parsed by the connectors in threads (as many as the syncs use), nothing mapped
      or loaded;
  (b) a first `intsync sync --all`; (c) one with nothing changed; (d) one after 1% of the
      objects changed;
  (e) (c) through Prefect: every integration synced by `sync-batch` flow runs of BATCH_SIZE,
      as `sync-due` starts them, on a local Prefect server (its start not counted);
  the wall time, the CPU time of the intsync process per integration, and the warehouse's
  schema and table counts after (b) and after (d).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_env  # noqa: E402
from tests.acceptance.conftest import INTSYNC  # noqa: E402

# objects per account: a small venue's (the sandbox's defaults are ten times these)
COUNTS = {
    "customers": 10,
    "products": 3,
    "prices": 4,
    "charges": 30,
    "payment_intents": 15,
    "refunds": 4,
    "disputes": 1,
    "invoices": 8,
    "subscriptions": 4,
    "payouts": 4,
    "balance_transactions": 30,
}
CHANGED = ("customers", "charges", "payment_intents", "invoices", "subscriptions")
SECRET = "bench-secret-key-0123456789"
# integrations per sync-batch run in (e): sync-due's default
BATCH_SIZE = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--prefect-batches", help=argparse.SUPPRESS)  # (e)'s own process
    options = parser.parse_args()
    if options.prefect_batches:
        _run_batches(Path(options.prefect_batches), options.concurrency)
        return
    work, env = bench_env("intsync-fleet-")
    if options.warehouse == "postgres":
        env["INTSYNC_WAREHOUSE"] = _new_database()
    sandbox, url = _start_sandbox(options.integrations, env)
    try:
        keys = [f"sk_test_sandbox_{i + 1}" for i in range(options.integrations)]
        integrations = _add_integrations(env, url, keys)
        print(
            f"{options.integrations} Stripe integrations ({sum(COUNTS.values())} objects each), "
            f"{options.warehouse}, {options.concurrency} at once"
        )
        _floor(integrations, options.concurrency, {})  # seeds every account: not measured
        floor_full = _floor(integrations, options.concurrency, {})
        first = _sync(env, options.concurrency)
        after_first = _catalogue(env)
        states = _states(env, [i.id for i in integrations])
        floor_none = _floor(integrations, options.concurrency, states)
        unchanged = _sync(env, options.concurrency)
        through_prefect = _through_prefect(env, [i.id for i in integrations], options.concurrency)
        _change_one_percent(url, keys)
        changed = _sync(env, options.concurrency)
        after_changed = _catalogue(env)
    finally:
        sandbox.terminate()
        sandbox.wait()
    n = options.integrations
    rows = [
        ("(a) floor, full read", floor_full, None),
        ("(a) floor, nothing new", floor_none, None),
        ("(b) first sync --all", first[0], first[1]),
        ("(c) sync --all, nothing new", unchanged[0], unchanged[1]),
        ("(d) sync --all, 1% changed", changed[0], changed[1]),
        ("(e) (c) through Prefect batches", through_prefect, None),
    ]
    print(f"{'':32} {'wall s':>8} {'per integration':>16} {'CPU s/integration':>18}")
    for label, wall, cpu in rows:
        cpu_text = f"{cpu / n:18.4f}" if cpu is not None else f"{'':18}"
        print(f"{label:32} {wall:8.1f} {wall / n:16.4f} {cpu_text}")
    print(f"(b) / floor full: {first[0] / floor_full:.2f}")
    print(f"(c) / floor nothing new: {unchanged[0] / floor_none:.2f}  (goal <= 2)")
    print(f"(c) CPU per integration: {unchanged[1] / n:.4f} s  (goal <= 0.05)")
    print(f"(d) / (c): {changed[0] / unchanged[0]:.2f}  (goal <= 1.2)")
    print(f"(e) / (c): {through_prefect / unchanged[0]:.2f}  (goal <= 1.5)")
    print(f"schemas, tables after (b): {after_first}; after (d): {after_changed}")


def _new_database() -> str:
    import psycopg2

    name = f"intsync_fleet_{uuid.uuid4().hex[:8]}"
    con = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    con.autocommit = True
    con.cursor().execute(f"create database {name}")
    con.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _start_sandbox(accounts: int, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    counts = [arg for name, n in COUNTS.items() for arg in ("--count", f"{name}={n}")]
    process = subprocess.Popen(
        [INTSYNC, "sandbox", "stripe", "--port", "0", "--accounts", str(accounts), *counts],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ready stripe "):
            return process, line.split()[-1]
    raise SystemExit("the sandbox did not start")


def _add_integrations(env: dict[str, str], url: str, keys: Sequence[str]) -> list[Any]:
    """The integrations, added to the store directly (1,000 `integrations add` processes would
    take longer than the benchmark)."""
    from warehouse.store import open_store

    home = Path(env["INTSYNC_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{home / 'intsync.db'}", SECRET)
    return [
        store.add_integration(
            tenant_id="fleet",
            venue_id=f"venue-{n:05d}",
            provider="stripe",
            credentials={"api_key": key},
            base_url=url,
        )
        for n, key in enumerate(keys)
    ]


def _floor(integrations: Sequence[Any], concurrency: int, states: dict[str, Any]) -> float:
    """Seconds to read every mapped resource of every integration through its connector, from
    `states` (the committed cursors; none: everything), in `concurrency` threads."""
    from connectors.stripe.client import StripeConnector
    from pipelines.specs import MappingCatalog

    names = MappingCatalog().mapped_resources("stripe")

    def read(integration: Any) -> int:
        connector = StripeConnector(integration.credentials, integration.base_url)
        mine = states.get(integration.id, {})
        try:
            return sum(
                len(page.records)
                for name in names
                for page in connector.read(name, mine.get(name, {}), full_refresh=False)
            )
        finally:
            connector.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        sum(pool.map(read, integrations))
    return time.perf_counter() - started


def _sync(env: dict[str, str], concurrency: int) -> tuple[float, float]:
    """Wall and CPU seconds of `intsync sync --all` (every integration must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [INTSYNC, "sync", "--all", "--concurrency", str(concurrency), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    failed = [r for r in results if r["status"] != "success"]
    if done.returncode != 0 or failed:
        raise SystemExit(f"sync failed: {failed[:2]}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _through_prefect(env: dict[str, str], ids: list[str], concurrency: int) -> float:
    """Wall seconds of syncing `ids` (nothing new) as sync-batch flow runs, in a process of its
    own with a local Prefect server (see `_run_batches`)."""
    listed = Path(env["INTSYNC_HOME"]) / "batch-ids.json"
    listed.write_text(json.dumps(ids))
    done = subprocess.run(
        [sys.executable, __file__, "--prefect-batches", str(listed), "--concurrency",
         str(concurrency)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the sync-batch runs failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def _run_batches(listed: Path, concurrency: int) -> None:
    """Start a local Prefect server, warm it with one small batch, then time sync-batch runs of
    BATCH_SIZE over every integration in `listed`; prints the seconds."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.batch import sync_batch_flow

    ids = json.loads(listed.read_text())
    with prefect_test_harness(server_startup_timeout=180):
        sync_batch_flow(ids[:2], concurrency=concurrency)
        started = time.perf_counter()
        for first in range(0, len(ids), BATCH_SIZE):
            # a batch with a failed integration raises BatchFailedError
            sync_batch_flow(ids[first : first + BATCH_SIZE], concurrency=concurrency)
        print(time.perf_counter() - started)


def _states(env: dict[str, str], ids: list[str]) -> dict[str, Any]:
    from warehouse.cursors import read_cursors

    warehouse = _warehouse(env)
    with warehouse.writer() as held:
        return read_cursors(warehouse, ids, held)


def _catalogue(env: dict[str, str]) -> tuple[int, int]:
    """How many schemas and tables the warehouse holds."""
    warehouse = _warehouse(env)
    (schemas,) = warehouse.query("select count(*) from information_schema.schemata")
    (tables,) = warehouse.query("select count(*) from information_schema.tables")
    return schemas[0], tables[0]


def _warehouse(env: dict[str, str]) -> Any:
    from warehouse.destinations import Warehouse

    default = f"duckdb:///{Path(env['INTSYNC_HOME']) / 'warehouse.duckdb'}"
    return Warehouse(env.get("INTSYNC_WAREHOUSE", default))


def _change_one_percent(url: str, keys: Sequence[str]) -> None:
    """A tenth of the objects of the changing resources in a tenth of the accounts: 1% of them."""
    for key in keys[::10]:
        for name in CHANGED:
            body = {"action": "touch", "account": key, "resource": name, "fraction": 0.1}
            request = urllib.request.Request(
                f"{url}/_sandbox/mutate",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            urllib.request.urlopen(request).read()


if __name__ == "__main__":
    os.environ.setdefault("INTSYNC_SECRET_KEY", SECRET)
    main()
