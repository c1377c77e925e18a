"""How fast the Stripe sandbox seeds and serves, against werkzeug's threaded server in the same run.

  (a) seeding: seconds and resident memory for N charges in one account;
  (b) the app alone: microseconds to build one page of 100 charges (WSGI call, no socket);
  (c) serving: pages/s of 100 charges to a client in another process (one keep-alive connection,
      cursors known in advance so the client does not parse), on the sandbox's own server and on
      werkzeug's `make_server(threaded=True)` serving the same app.

Usage: python bench/sandbox_stripe.py [--charges 200000] [--pages 2000]
"""

from __future__ import annotations

import argparse
import http.client
import io
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.sandbox import SandboxServer, SeedSpec  # noqa: E402
from connectors.stripe.sandbox.app import StripeSandbox  # noqa: E402

KEY = "sk_test_bench_0001"


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 1e6


def client(port: int, cursors: list[str | None], out: mp.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    started, size = time.perf_counter(), 0
    for after in cursors:
        path = "/v1/charges?limit=100" + (f"&starting_after={after}" if after else "")
        conn.request("GET", path, headers={"Authorization": f"Bearer {KEY}"})
        answer = conn.getresponse()
        size += len(answer.read())
        assert answer.status == 200, answer.status
    out.put((time.perf_counter() - started, size))


def serve_rate(port: int, cursors: list[str | None]) -> tuple[float, float]:
    """Pages per second and MB per second for one client process."""
    out: mp.Queue = mp.Queue()
    proc = mp.Process(target=client, args=(port, cursors, out))
    proc.start()
    proc.join()
    seconds, size = out.get()
    return len(cursors) / seconds, size / seconds / 1e6


def app_cost_us(sandbox: StripeSandbox, cursors: list[str | None]) -> float:
    started = time.perf_counter()
    for after in cursors:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/v1/charges",
            "QUERY_STRING": f"limit=100&starting_after={after}" if after else "limit=100",
            "HTTP_AUTHORIZATION": f"Bearer {KEY}",
            "wsgi.input": io.BytesIO(),
        }
        sandbox(environ, lambda status, headers: None)
    return (time.perf_counter() - started) / len(cursors) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=200_000)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()

    before = rss_mb()
    started = time.perf_counter()
    sandbox = StripeSandbox({KEY: SeedSpec(seed=1, counts={"charges": args.charges})})
    ids = list(sandbox.account(KEY).collections["charges"].ids())
    seeded = time.perf_counter() - started
    print(f"seed {args.charges} charges: {seeded:.1f} s, {rss_mb() - before:.0f} MB resident")

    cursors: list[str | None] = [None, *ids[99:-1:100]][: args.pages]
    print(f"app alone: {app_cost_us(sandbox, cursors):.0f} us per page of 100")

    with SandboxServer(sandbox) as server:
        ours, ours_mb = serve_rate(server.port, cursors)

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    baseline = make_server("127.0.0.1", 0, sandbox, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=baseline.serve_forever, daemon=True)
    thread.start()
    try:
        theirs, theirs_mb = serve_rate(baseline.server_port, cursors)
    finally:
        baseline.shutdown()
    print(f"sandbox server:  {ours:7.0f} pages/s ({ours_mb:.0f} MB/s) over {len(cursors)} pages")
    print(f"werkzeug server: {theirs:7.0f} pages/s ({theirs_mb:.0f} MB/s)")
    print(f"ratio sandbox/werkzeug: {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
