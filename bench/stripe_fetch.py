"""How fast the Stripe connector reads a sandbox account, against baselines in the same run:

  (a) the SDK's own list paging (`client.v1.charges.list(...).auto_paging_iter()`), which
      builds a StripeObject per record: the path the connector avoids;
  (b) the connector's full read of the same charges (raw pages parsed once with orjson);
  (c) parsing alone, per page: `json.loads(..., object_pairs_hook=OrderedDict)` (what the SDK's
      public `raw_request` does to every body) against `orjson.loads` (what the connector does).

Both reads go through one local sandbox over HTTP, so (a)/(b) includes the same server cost.
Usage: python bench/stripe_fetch.py [--charges 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import orjson
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.sandbox import SandboxServer, SeedSpec  # noqa: E402
from connectors.stripe.client import StripeConnector  # noqa: E402
from connectors.stripe.sandbox.app import StripeSandbox  # noqa: E402

KEY = "sk_test_bench_0001"


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """Fastest wall time of `repeat` runs, and the record count of the last."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - started)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sandbox = StripeSandbox({KEY: SeedSpec(seed=1, counts={"charges": args.charges})})
    with SandboxServer(sandbox) as server:
        client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
        connector = StripeConnector({"api_key": KEY}, server.url, rate_per_second=1e6)

        def sdk() -> int:
            return sum(1 for _ in client.v1.charges.list({"limit": 100}).auto_paging_iter())

        def ours() -> int:
            return sum(len(p.records) for p in connector.read("charges", {}))

        sdk_time, sdk_count = best_of(args.repeat, sdk)
        our_time, our_count = best_of(args.repeat, ours)
        page = client.raw_request("get", "/v1/charges", limit=100).body

    assert sdk_count == our_count == args.charges, (sdk_count, our_count)
    loops = 200

    def parse_stdlib() -> int:
        for _ in range(loops):
            json.loads(page, object_pairs_hook=OrderedDict)
        return loops

    def parse_orjson() -> int:
        for _ in range(loops):
            orjson.loads(page)
        return loops

    stdlib_time, _ = best_of(args.repeat, parse_stdlib)
    orjson_time, _ = best_of(args.repeat, parse_orjson)

    print(f"charges read: {args.charges} (pages of 100, best of {args.repeat})")
    print(f"(a) SDK auto-paging, StripeObjects : {sdk_count / sdk_time:10.0f} records/s")
    print(f"(b) connector, raw pages + orjson  : {our_count / our_time:10.0f} records/s")
    print(f"    ratio (b)/(a)                  : {sdk_time / our_time:10.1f}x")
    print(
        f"(c) one 100-charge page ({len(page) / 1024:.0f} KiB): json.loads+OrderedDict "
        f"{stdlib_time / loops * 1e6:.0f} us, orjson {orjson_time / loops * 1e6:.0f} us "
        f"({stdlib_time / orjson_time:.1f}x)"
    )


if __name__ == "__main__":
    main()
