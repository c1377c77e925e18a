"""Overhead of Prefect on syncs with nothing new, against calling the pipeline directly, in the
same run:
  one integration: the sync-integration flow (test server, tasks, events, account limit);
  a fleet of BATCH integrations: one sync-batch flow run of all of them, and a sync-integration
  run each (what sync-due started before batches), against one direct batch of all of them."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.common.retry import NO_RETRY  # noqa: E402
from connectors.sandbox import SandboxServer, SeedSpec  # noqa: E402
from connectors.stripe.client import StripeConnector  # noqa: E402
from connectors.stripe.sandbox.app import StripeSandbox  # noqa: E402
from flows.runtime import use_context  # noqa: E402
from pipelines.runs import SyncContext  # noqa: E402
from pipelines.specs import MappingCatalog  # noqa: E402
from pipelines.sync import sync_batch, sync_integration  # noqa: E402
from warehouse.destinations import Warehouse  # noqa: E402
from warehouse.store import open_store  # noqa: E402

SPECS = Path(__file__).resolve().parents[1] / "tests" / "flows" / "specs"
KEY = "sk_test_bench_1"
ROUNDS = 5
BATCH = 20


def main() -> None:
    from prefect.testing.utilities import prefect_test_harness

    from flows.sync import sync_integration_flow

    tmp = Path(tempfile.mkdtemp())
    keys = [KEY] + [f"sk_test_bench_fleet_{n}" for n in range(BATCH)]
    app = StripeSandbox(
        {
            key: SeedSpec(seed=3 + n, counts={"customers": 50, "charges": 200})
            for n, key in enumerate(keys)
        }
    )
    with SandboxServer(app) as server, prefect_test_harness(server_startup_timeout=120):
        store = open_store(f"sqlite:///{tmp / 's.db'}", "bench-secret-key-0123456789")
        integration = store.add_integration(
            tenant_id="t",
            venue_id="v",
            provider="stripe",
            credentials={"api_key": KEY},
            base_url=server.url,
        )
        ctx = SyncContext(
            store=store,
            warehouse=Warehouse(f"duckdb:///{tmp / 'w.duckdb'}"),
            catalog=MappingCatalog(specs_dir=SPECS),
            dlt_dir=tmp / "dlt",
            connector_factory=lambda i, s: StripeConnector(
                i.credentials, i.base_url, retry_policy=NO_RETRY, rate_per_second=1000
            ),
        )
        use_context(ctx)
        resources = ["customers", "charges"]
        sync_integration(integration, ctx, resources=resources)  # first load
        sync_integration_flow(integration.id, resources=resources)  # warm Prefect
        direct, flow = [], []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            sync_integration(integration, ctx, resources=resources)
            direct.append(time.perf_counter() - t)
            t = time.perf_counter()
            sync_integration_flow(integration.id, resources=resources)
            flow.append(time.perf_counter() - t)
        fleet = [
            store.add_integration(
                tenant_id="t",
                venue_id=f"v{n}",
                provider="stripe",
                credentials={"api_key": key},
                base_url=server.url,
            )
            for n, key in enumerate(keys[1:])
        ]
        batch = _fleet_rounds(ctx, fleet, resources)
    d, f = statistics.median(direct), statistics.median(flow)
    print(f"nothing-new sync, 2 resources, median of {ROUNDS}:")
    print(f"  pipeline directly      {d:7.3f} s")
    print(f"  sync-integration flow  {f:7.3f} s")
    print(f"  Prefect overhead       {f - d:7.3f} s  ({f / d:.2f}x)")
    b_direct, b_flow, b_each = (statistics.median(batch[k]) for k in ("direct", "batch", "each"))
    print(f"nothing-new sync of {BATCH} integrations, median of {FLEET_ROUNDS}:")
    print(f"  one batch, directly          {b_direct:7.3f} s")
    print(f"  one sync-batch flow run      {b_flow:7.3f} s  ({b_flow / b_direct:.2f}x)")
    print(f"  a sync-integration run each  {b_each:7.3f} s  ({b_each / b_direct:.2f}x)")
    print(
        "  Prefect overhead per integration: "
        f"batch {(b_flow - b_direct) / BATCH:.3f} s, run each {(b_each - b_direct) / BATCH:.3f} s"
    )


FLEET_ROUNDS = 3


def _fleet_rounds(ctx: Any, fleet: list[Any], resources: list[str]) -> dict[str, list[float]]:
    """Seconds of a nothing-new sync of the whole fleet, three ways, alternated per round."""
    from flows.batch import sync_batch_flow
    from flows.sync import sync_integration_flow

    ids = [integration.id for integration in fleet]
    sync_batch(fleet, ctx, concurrency=8)  # first load
    sync_batch_flow(ids, concurrency=8)  # warm Prefect
    times: dict[str, list[float]] = {"direct": [], "batch": [], "each": []}
    for _ in range(FLEET_ROUNDS):
        t = time.perf_counter()
        sync_batch(fleet, ctx, concurrency=8)
        times["direct"].append(time.perf_counter() - t)
        t = time.perf_counter()
        sync_batch_flow(ids, concurrency=8)
        times["batch"].append(time.perf_counter() - t)
        t = time.perf_counter()
        for integration_id in ids:
            sync_integration_flow(integration_id, resources=resources)
        times["each"].append(time.perf_counter() - t)
    return times


if __name__ == "__main__":
    main()
