"""Square sync speed: N payments over several locations in the sandbox (its own process) into DuckDB.

Reports records/s for
  (a) fetching and parsing the same pages with no load and no rate budget: the floor,
  (b) the sync pipeline in this process with the rate budget lifted: what intsync itself costs,
  (c) the straightforward way: the SDK's pager objects (pydantic) as dicts through a plain dlt
      resource with dlt's defaults,
  (d) `intsync sync` as a process, with the production budget (20 requests/s per merchant),
and an incremental `intsync sync` after 1% of the payments changed, as a fraction of the full (d).

    .venv/bin/python bench/sync_square.py [--payments 50000] [--locations 3] [--baseline-limit N]

Square pages payments 100 at a time, so (d) is bound by the budget: N / 100 / 20 seconds at least.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import add_integration, bench_env, cli, timed  # noqa: E402
from tests.acceptance.conftest import start_sandbox, stop  # noqa: E402

TOKEN = "EAAAbench_sync_square"
HISTORY = "2000-01-01T00:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=3)
    parser.add_argument(
        "--baseline-limit", type=int, default=10_000, help="payments for (c), slow: 4 ms each"
    )
    args = parser.parse_args()
    work, env = bench_env("intsync-bench-square-")
    sandbox = start_sandbox(
        "square", "--api-key", TOKEN, "--count", f"payments={args.payments}",
        "--count", f"locations={args.locations}", env=env, timeout=600,
    )  # fmt: skip
    url = sandbox.urls["square"]
    n = args.payments
    try:
        floor = timed(lambda: _fetch_only(url))
        pipeline_id = _add_integration(env, url, "bench-pipeline")
        in_process = timed(lambda: _pipeline_unbudgeted(env, pipeline_id))
        cli_id = _add_integration(env, url, "bench-cli")
        full = timed(lambda: cli(env, "sync", "--integration", cli_id, "--resource", "payments"))
        requests.post(
            f"{url}/_sandbox/mutate",
            json={"action": "touch", "resource": "payments", "count": max(1, n // 100),
                  "account": TOKEN},
            timeout=300,
        ).raise_for_status()  # fmt: skip
        incremental = timed(
            lambda: cli(env, "sync", "--integration", cli_id, "--resource", "payments")
        )
        limit = min(args.baseline_limit or n, n)
        naive = timed(lambda: _sdk_and_dlt_defaults(url, limit, work))
    finally:
        stop(sandbox.process)
        shutil.rmtree(work, ignore_errors=True)
    rate_a, rate_b, rate_c, rate_d = n / floor, n / in_process, limit / naive, n / full
    print(f"payments: {n:,} over {args.locations} locations (baseline c over {limit:,})")
    print(f"(a) fetch + parse, no load, no budget : {rate_a:>9,.0f} records/s  ({floor:.1f} s)")
    print(
        f"(b) sync pipeline, budget lifted       : {rate_b:>9,.0f} records/s  ({in_process:.1f} s)"
    )
    print(f"(c) SDK objects + dlt rows             : {rate_c:>9,.0f} records/s  ({naive:.1f} s)")
    print(f"(d) intsync sync, 20 requests/s budget : {rate_d:>9,.0f} records/s  ({full:.1f} s)")
    print(f"b/a = {rate_b / rate_a:.2f}   (goal >= 0.5)")
    print(f"b/c = {rate_b / rate_c:.1f}")
    print(f"d floor from the budget: {n / 100 / 20:.1f} s of requests at 20/s")
    print(
        f"incremental after 1% changed: {incremental:.2f} s = {incremental / full:.3f} of the "
        "full sync (goal <= 0.05)"
    )


def _fetch_only(url: str) -> int:
    from connectors.square.client import SquareConnector

    connector = SquareConnector({"access_token": TOKEN}, url, rate_per_second=1_000_000)
    count = sum(len(page.records) for page in connector.read("payments", {}))
    connector.close()
    return count


def _pipeline_unbudgeted(env: dict[str, str], integration_id: str) -> None:
    from connectors.common.rate import forget_budgets
    from connectors.square.client import SquareConnector
    from connectors.square.oauth import StoreTokens
    from intsync.config import load_settings
    from pipelines.context import build_sync_context
    from pipelines.sync import sync_integration

    forget_budgets()
    ctx = build_sync_context(load_settings(env))
    ctx.connector_factory = lambda integration, store: SquareConnector(
        integration.credentials,
        integration.base_url,
        token_store=StoreTokens(store, integration.id),
        rate_per_second=1_000_000,
    )
    result = sync_integration(
        ctx.store.get_integration(integration_id), ctx, resources=["payments"]
    )
    if not result.ok:
        raise SystemExit(f"in-process sync failed: {result.error}")
    forget_budgets()


def _add_integration(env: dict[str, str], url: str, venue: str) -> str:
    return add_integration(env, "square", url, {"access_token": TOKEN}, venue)


def _sdk_and_dlt_defaults(url: str, limit: int, work: Path) -> None:
    import dlt
    from square import Square

    client = Square(token=TOKEN, base_url=url)

    @dlt.resource(name="payments", write_disposition="merge", primary_key="id")
    def payments():
        taken = 0
        for place in client.locations.list().locations or []:
            listed = client.payments.list(
                location_id=place.id, begin_time=HISTORY, sort_field="UPDATED_AT"
            )
            for payment in listed:
                if taken >= limit:
                    return
                taken += 1
                yield payment.model_dump(mode="json", exclude_none=True)

    pipeline = dlt.pipeline(
        "bench_square_naive",
        destination=dlt.destinations.duckdb(str(work / "baseline.duckdb")),
        dataset_name="naive",
        pipelines_dir=str(work / "naive-dlt"),
    )
    pipeline.run(payments())


if __name__ == "__main__":
    main()
