"""Webhook intake under load: signed Stripe events from 16 concurrent connections to `intsync web`.

For each store (SQLite, PostgreSQL) it starts `intsync web` on this machine, posts signed events to
the verify-only route (the baseline: verify, store nothing) and then to the real route (verify and
store durably), with a share of duplicates, and reports requests/s and p50/p99 latency of each,
their ratio, and the inbox counts afterwards: nothing lost, no duplicates stored.

    .venv/bin/python bench/webhooks.py [--events 50000] [--duplicates 0.05] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INTSYNC = str(Path(sys.executable).with_name("intsync"))
SECRET_KEY = "bench-secret-key-0123456789abcdef"
WHSEC = "whsec_bench_0123456789abcdef"
PG_ADMIN = os.environ.get("INTSYNC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def event(n: int) -> bytes:
    """A Stripe charge.updated event as Stripe sends it."""
    return orjson.dumps(
        {
            "id": f"evt_bench_{n:07d}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": "charge.updated",
            "data": {"object": {"id": f"ch_bench_{n:07d}", "object": "charge", "amount": 1000 + n,
                                "currency": "usd", "status": "succeeded"}},
            "livemode": False,
        }
    )  # fmt: skip


def signed(body: bytes) -> dict[str, str]:
    t = int(time.time())
    mac = hmac.new(WHSEC.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}


def post_all(port: int, path: str, bodies: list[bytes], concurrency: int) -> dict[str, Any]:
    """POST every body over `concurrency` keep-alive connections; rate, latencies, statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        codes: dict[int, int] = {}
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            body = bodies[index]
            started = time.perf_counter()
            for attempt in range(3):
                try:
                    conn.request("POST", path, body=body, headers=signed(body))
                    response = conn.getresponse()
                    response.read()
                    break
                except (ConnectionError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    if attempt == 2:
                        raise
            mine.append(time.perf_counter() - started)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "statuses": statuses,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [INTSYNC, "web", "--port", str(port), "--workers", str(workers), "--threads", str(threads),
         "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("intsync web did not start")


def postgres_database() -> tuple[str, Any]:
    import psycopg2

    name = f"intsync_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def run_store(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    from warehouse.store import open_store

    home = Path(tempfile.mkdtemp(prefix=f"bench-web-{kind}-"))
    drop = None
    if kind == "sqlite":
        database = f"sqlite:///{home / 'intsync.db'}"
    else:
        database, drop = postgres_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTSYNC_", "PREFECT_API"))}
    env.update(INTSYNC_HOME=str(home), INTSYNC_SECRET_KEY=SECRET_KEY, INTSYNC_DATABASE_URL=database)
    store = open_store(database, SECRET_KEY)
    integration = store.add_integration(
        tenant_id="bench", venue_id="bench-venue", provider="stripe",
        credentials={"api_key": "sk_test_bench", "webhook_secret": WHSEC},
    )  # fmt: skip
    port = free_port()
    process = start_web(env, port, args.workers, args.threads)
    try:
        unique = int(args.events / (1 + args.duplicates))
        bodies = [event(n) for n in range(unique)]
        rng = random.Random(7)
        full = bodies + [rng.choice(bodies) for _ in range(args.events - unique)]
        rng.shuffle(full)
        base = f"/api/v1/integrations/webhooks/stripe/{integration.id}"
        # The baseline runs half before and half after the full path, so that a machine that
        # slows down or speeds up during the run weighs on both alike.
        half = args.baseline_events // 2
        before = post_all(port, base + "/verify", full[:half], args.concurrency)
        stored = post_all(port, base, full, args.concurrency)
        after = post_all(port, base + "/verify", full[half : 2 * half], args.concurrency)
        baseline = _combined(before, after)
    finally:
        process.terminate()
        process.wait(timeout=30)
    stats = store.inbox_stats()
    store.engine.dispose()
    if drop:
        drop()
    return {"baseline": baseline, "full": stored, "unique": unique, "sent": len(full),
            "inbox_rows": stats["pending"] + stats["processing"] + stats["done"] + stats["failed"],
            "duplicates_dropped": stats["duplicates"]}  # fmt: skip


def _combined(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two runs of the same route as one: requests over the time both took; the worse p50/p99."""
    requests = first["requests"] + second["requests"]
    seconds = first["requests"] / first["rps"] + second["requests"] / second["rps"]
    statuses = dict(first["statuses"])
    for status, count in second["statuses"].items():
        statuses[status] = statuses.get(status, 0) + count
    return {"requests": requests, "rps": requests / seconds, "statuses": statuses,
            "p50_ms": max(first["p50_ms"], second["p50_ms"]),
            "p99_ms": max(first["p99_ms"], second["p99_ms"]),
            "rps_each": (first["rps"], second["rps"])}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of extra deliveries")
    parser.add_argument("--baseline-events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{args.events} signed Stripe events ({args.duplicates:.0%} duplicates), "
          f"{args.concurrency} connections, intsync web --workers {args.workers} --threads {args.threads}")  # fmt: skip
    for kind in args.stores.split(","):
        result = run_store(kind, args)
        b, f = result["baseline"], result["full"]
        print(f"\n[{kind}]")
        print(f"  verify only   {b['requests']:>6} req  {b['rps']:8.0f} req/s  p50 {b['p50_ms']:6.1f} ms  p99 {b['p99_ms']:6.1f} ms  {b['statuses']}")  # fmt: skip
        print(f"  verify+store  {f['requests']:>6} req  {f['rps']:8.0f} req/s  p50 {f['p50_ms']:6.1f} ms  p99 {f['p99_ms']:6.1f} ms  {f['statuses']}")  # fmt: skip
        print(
            f"  verify only before / after the full path: {b['rps_each'][0]:.0f} / {b['rps_each'][1]:.0f} req/s"
        )
        print(f"  ratio full/verify-only throughput: {f['rps'] / b['rps']:.2f} (goal >= 0.5)")
        lost = result["unique"] - result["inbox_rows"]
        print(f"  inbox: {result['inbox_rows']} rows for {result['unique']} distinct events "
              f"(lost {lost}), {result['duplicates_dropped']} duplicates dropped of "
              f"{result['sent'] - result['unique']} sent")  # fmt: skip


if __name__ == "__main__":
    main()
