"""QuickBooks sync speed: N invoices in the sandbox (its own process) into DuckDB.

Reports records/s for
  (a) fetching and parsing the same pages with no load and no rate budget: the floor,
  (b) the sync pipeline in this process with the rate budget lifted: what intsync itself costs,
  (c) the straightforward way: `requests` pages parsed with `.json()`, each invoice a dict through
      a plain dlt resource with dlt's defaults (its normalizer unnests Line into a child table),
  (d) `intsync sync` as a process, under Intuit's budget of 500 requests a minute per realm,
and an incremental `intsync sync` after 1% of the invoices changed, as a fraction of the full (d).

    .venv/bin/python bench/sync_quickbooks.py [--invoices 100000] [--baseline-limit N]

Invoices come 1000 a query page, so (d) makes about N / 1000 requests; the budget lets 50 go at
once and then 500 a minute.
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

REALM = "9130357000000001"
UNLIMITED = 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--baseline-limit", type=int, default=20_000, help="invoices for (c)")
    args = parser.parse_args()
    work, env = bench_env("intsync-bench-quickbooks-")
    sandbox = start_sandbox(
        "quickbooks", "--api-key", REALM, "--count", f"invoices={args.invoices}",
        "--count", "payments=0", env=env, timeout=900,
    )  # fmt: skip
    url = sandbox.urls["quickbooks"]
    n = args.invoices
    try:
        creds = _credentials(url)
        floor = timed(lambda: _fetch_only(url, creds))
        pipeline_id = _add_integration(env, url, "bench-pipeline", creds)
        in_process = timed(lambda: _pipeline_unbudgeted(env, pipeline_id))
        cli_id = _add_integration(env, url, "bench-cli", creds)
        full = timed(lambda: cli(env, "sync", "--integration", cli_id, "--resource", "invoices"))
        requests.post(
            f"{url}/_sandbox/mutate",
            json={"action": "touch", "resource": "invoices", "count": max(1, n // 100),
                  "realm": REALM},
            timeout=300,
        ).raise_for_status()  # fmt: skip
        incremental = timed(
            lambda: cli(env, "sync", "--integration", cli_id, "--resource", "invoices")
        )
        limit = min(args.baseline_limit or n, n)
        naive = timed(lambda: _requests_and_dlt_defaults(url, creds, limit, work))
    finally:
        stop(sandbox.process)
        shutil.rmtree(work, ignore_errors=True)
    rate_a, rate_b, rate_c, rate_d = n / floor, n / in_process, limit / naive, n / full
    pages = -(-n // 1000) + 1
    print(f"invoices: {n:,} (baseline c over {limit:,})")
    print(f"(a) fetch + parse, no load, no budget  : {rate_a:>9,.0f} records/s  ({floor:.1f} s)")
    print(
        f"(b) sync pipeline, budget lifted       : {rate_b:>9,.0f} records/s  ({in_process:.1f} s)"
    )
    print(f"(c) requests .json() + dlt rows        : {rate_c:>9,.0f} records/s  ({naive:.1f} s)")
    print(f"(d) intsync sync, 500 requests/min     : {rate_d:>9,.0f} records/s  ({full:.1f} s)")
    print(f"b/a = {rate_b / rate_a:.2f}   (goal >= 0.5)")
    print(f"b/c = {rate_b / rate_c:.1f}")
    print(f"d floor from the budget: {max(0, pages - 50) / (500 / 60):.1f} s for {pages} requests")
    print(
        f"incremental after 1% changed: {incremental:.2f} s = {incremental / full:.3f} of the "
        "full sync (goal <= 0.05)"
    )


def _credentials(url: str) -> dict[str, str]:
    info = requests.get(f"{url}/_sandbox/info", timeout=30).json()
    found = dict(item.split("=", 1) for item in info["credentials"][:2])
    found.update(part.split("=", 1) for part in info["credentials"][2].split())
    return found


def _fetch_only(url: str, creds: dict[str, str]) -> int:
    from connectors.common.rate import forget_budgets
    from connectors.quickbooks.client import QuickBooksConnector

    forget_budgets()
    connector = QuickBooksConnector(creds, url, rate_per_minute=UNLIMITED)
    count = sum(len(page.records) for page in connector.read("invoices", {}))
    connector.close()
    forget_budgets()
    return count


def _pipeline_unbudgeted(env: dict[str, str], integration_id: str) -> None:
    from connectors.common.rate import forget_budgets
    from connectors.quickbooks.client import QuickBooksConnector
    from connectors.quickbooks.tokens import IntegrationTokenStore
    from intsync.config import load_settings
    from pipelines.context import build_sync_context
    from pipelines.sync import sync_integration
    from warehouse.errors import ConcurrentUpdateError

    forget_budgets()
    ctx = build_sync_context(load_settings(env))
    ctx.connector_factory = lambda integration, store: QuickBooksConnector(
        integration.credentials,
        integration.base_url,
        token_store=IntegrationTokenStore(store, integration.id, ConcurrentUpdateError),
        rate_per_minute=UNLIMITED,
    )
    result = sync_integration(
        ctx.store.get_integration(integration_id), ctx, resources=["invoices"]
    )
    if not result.ok:
        raise SystemExit(f"in-process sync failed: {result.error}")
    forget_budgets()


def _add_integration(env: dict[str, str], url: str, venue: str, creds: dict[str, str]) -> str:
    keys = ("client_id", "client_secret", "realm_id", "refresh_token")
    return add_integration(env, "quickbooks", url, {k: creds[k] for k in keys}, venue)


def _requests_and_dlt_defaults(url: str, creds: dict[str, str], limit: int, work: Path) -> None:
    import dlt

    session = requests.Session()
    token = session.post(
        f"{url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]},
        auth=(creds["client_id"], creds["client_secret"]),
        timeout=60,
    ).json()["access_token"]

    @dlt.resource(name="invoices", write_disposition="merge", primary_key="Id")
    def invoices():
        start = 1
        while start <= limit:
            query = f"select * from Invoice STARTPOSITION {start} MAXRESULTS 1000"
            body = session.get(
                f"{url}/v3/company/{REALM}/query",
                params={"query": query, "minorversion": "75"},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=60,
            ).json()
            page = body["QueryResponse"].get("Invoice", [])
            yield from page[: limit - start + 1]
            if len(page) < 1000:
                return
            start += 1000

    pipeline = dlt.pipeline(
        "bench_quickbooks_naive",
        destination=dlt.destinations.duckdb(str(work / "baseline.duckdb")),
        dataset_name="naive",
        pipelines_dir=str(work / "naive-dlt"),
    )
    pipeline.run(invoices())


if __name__ == "__main__":
    main()
