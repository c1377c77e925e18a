"""Overhead of Prefect on a sync with nothing new: the sync-integration flow (test server, tasks,
events, account limit) against calling the pipeline directly, same integration, same run."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.common.retry import NO_RETRY  # noqa: E402
from connectors.sandbox import SandboxServer, SeedSpec  # noqa: E402
from connectors.stripe.client import StripeConnector  # noqa: E402
from connectors.stripe.sandbox.app import StripeSandbox  # noqa: E402
from flows.runtime import use_context  # noqa: E402
from pipelines.specs import MappingCatalog  # noqa: E402
from pipelines.sync import SyncContext, sync_integration  # noqa: E402
from warehouse.destinations import Warehouse  # noqa: E402
from warehouse.store import open_store  # noqa: E402

SPECS = Path(__file__).resolve().parents[1] / "tests" / "flows" / "specs"
KEY = "sk_test_bench_1"
ROUNDS = 5


def main() -> None:
    from prefect.testing.utilities import prefect_test_harness

    from flows.sync import sync_integration_flow

    tmp = Path(tempfile.mkdtemp())
    app = StripeSandbox({KEY: SeedSpec(seed=3, counts={"customers": 50, "charges": 200})})
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
    d, f = statistics.median(direct), statistics.median(flow)
    print(f"nothing-new sync, 2 resources, median of {ROUNDS}:")
    print(f"  pipeline directly      {d:7.3f} s")
    print(f"  sync-integration flow  {f:7.3f} s")
    print(f"  Prefect overhead       {f - d:7.3f} s  ({f / d:.2f}x)")


if __name__ == "__main__":
    main()
