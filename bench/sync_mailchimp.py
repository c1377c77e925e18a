"""Mailchimp sync speed: N members over several audiences in the sandbox (its own process),
synced into DuckDB.

Reports records/s for
  (a) fetching and parsing the same pages with no load: the floor,
  (b) `intsync sync --resource members` (a separate process, start-up included),
  (c) the straightforward way: the SDK's `lists.get_list_members_info` (a new connection and
      `json.loads` per page) as dicts through a plain dlt resource with dlt's defaults,
and an incremental `intsync sync` after 1% of the members changed, as a fraction of the full one.

    .venv/bin/python bench/sync_mailchimp.py [--members 100000] [--baseline-limit N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import add_integration, bench_env, cli, timed  # noqa: E402
from tests.acceptance.conftest import start_sandbox, stop  # noqa: E402

KEY = "0000000000000000000000000000bench-us6"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--lists", type=int, default=4)
    parser.add_argument(
        "--baseline-limit", type=int, default=None, help="members for (c); default: all"
    )
    args = parser.parse_args()
    work, env = bench_env("intsync-bench-mc-")
    sandbox = start_sandbox(
        "mailchimp", "--api-key", KEY, "--count", f"members={args.members}",
        "--count", f"lists={args.lists}", env=env, timeout=600,
    )  # fmt: skip
    url = sandbox.urls["mailchimp"]
    try:
        n = args.members
        floor = timed(lambda: _fetch_only(url))
        integration = _add_integration(env, url)
        sync = ("sync", "--integration", integration, "--resource", "members", "--json")
        full = timed(lambda: cli(env, *sync))
        requests.post(
            f"{url}/_sandbox/mutate",
            json={"action": "touch_members", "count": n // 100, "account": KEY},
            timeout=300,
        ).raise_for_status()
        incremental = timed(lambda: _check_incremental(cli(env, *sync), n // 100))
        limit = args.baseline_limit or n
        naive = timed(lambda: _sdk_and_dlt_defaults(url, limit, work))
    finally:
        stop(sandbox.process)
        shutil.rmtree(work, ignore_errors=True)
    rate_a, rate_b, rate_c = n / floor, n / full, limit / naive
    print(f"members: {n:,} in {args.lists} audiences (baseline c over {limit:,})")
    print(f"(a) fetch + parse, no load : {rate_a:>10,.0f} records/s  ({floor:.1f} s)")
    print(f"(b) intsync sync            : {rate_b:>10,.0f} records/s  ({full:.1f} s)")
    print(f"(c) SDK dicts + dlt rows    : {rate_c:>10,.0f} records/s  ({naive:.1f} s)")
    print(f"b/a = {rate_b / rate_a:.2f}")
    print(f"b/c = {rate_b / rate_c:.1f}")
    print(
        f"incremental after 1% changed: {incremental:.2f} s = "
        f"{incremental / full:.3f} of the full sync"
    )


def _fetch_only(url: str) -> int:
    from connectors.mailchimp.client import MailchimpConnector

    connector = MailchimpConnector({"api_key": KEY}, url)
    count = sum(len(page.records) for page in connector.read("members", {}))
    connector.close()
    return count


def _check_incremental(out: str, changed: int) -> None:
    result = json.loads(out.strip().splitlines()[-1])
    read = sum(o["rows_extracted"] for o in result["resources"])
    if not changed <= read <= changed + 10:
        raise SystemExit(f"incremental sync read {read} members, expected about {changed}")


def _add_integration(env: dict[str, str], url: str) -> str:
    return add_integration(env, "mailchimp", url, {"api_key": KEY})


def _sdk_and_dlt_defaults(url: str, limit: int, work: Path) -> None:
    import dlt
    from mailchimp_marketing import Client

    client = Client({"api_key": KEY})
    client.api_client.host = url + "/3.0"

    @dlt.resource(name="members", write_disposition="merge", primary_key=["list_id", "id"])
    def members():
        taken = 0
        for audience in client.lists.get_all_lists(count=1000)["lists"]:
            offset = 0
            while taken < limit:
                page = client.lists.get_list_members_info(audience["id"], count=1000, offset=offset)
                yield from page["members"][: limit - taken]
                taken += min(len(page["members"]), limit - taken)
                offset += 1000
                if offset >= page["total_items"]:
                    break

    pipeline = dlt.pipeline(
        "bench_naive_mailchimp",
        destination=dlt.destinations.duckdb(str(work / "baseline.duckdb")),
        dataset_name="naive",
        pipelines_dir=str(work / "naive-dlt"),
    )
    pipeline.run(members())


if __name__ == "__main__":
    main()
