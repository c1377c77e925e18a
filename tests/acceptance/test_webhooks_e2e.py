"""The Stripe sandbox delivers signed webhooks, duplicated and out of order, to a running
`intsync web`; applying the inbox puts every event's object in the warehouse exactly once."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests

from tests.acceptance.conftest import INTSYNC, Cli, Sandbox, start_sandbox, stop
from warehouse.destinations import Warehouse

pytestmark = pytest.mark.slow

KEY = "sk_test_webhooks_harbour"
WHSEC = "whsec_e2e_0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(env: dict[str, str], port: int, *extra: str, timeout: float = 60) -> subprocess.Popen:
    """`intsync web --port P` as a process, once /health answers."""
    process = subprocess.Popen(
        [INTSYNC, "web", "--port", str(port), "--log-level", "warning", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"intsync web exited: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except requests.RequestException:  # not listening yet, or too busy to answer in 1 s
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("intsync web did not answer /health")


@pytest.fixture
def sandbox(cli: Cli) -> Iterator[Sandbox]:
    sandbox = start_sandbox("stripe", f"--api-key={KEY}", "--count", "charges=40", env=cli.env)
    try:
        yield sandbox
    finally:
        stop(sandbox.process)


@pytest.fixture
def web(cli: Cli) -> Iterator[str]:
    port = free_port()
    process = start_web(cli.env, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def apply_inbox(cli: Cli, integration_id: str) -> int:
    """What the apply-webhook-events flow does, run here: claim, parse, apply, mark done."""
    from intsync.config import load_settings
    from pipelines.context import build_sync_context, parse_webhook
    from pipelines.events import apply_webhook_events

    settings = load_settings(cli.env)
    settings.dlt_dir.mkdir(parents=True, exist_ok=True)  # apply_webhook_events expects it
    ctx = build_sync_context(settings)
    integration = ctx.store.get_integration(integration_id)
    applied = 0
    while rows := ctx.store.claim_inbox_events(limit=200, integration_id=integration_id):
        events = [e for row in rows for e in parse_webhook(row.provider, row.headers, row.body)]
        apply_webhook_events(integration, events, ctx)
        ctx.store.mark_inbox_events([row.id for row in rows], "done")
        applied += len(rows)
    return applied


def test_every_delivered_event_lands_in_the_warehouse_once(
    cli: Cli, sandbox: Sandbox, web: str
) -> None:
    integration_id = cli.add_integration(
        "tenant-w", "venue-w", "stripe", sandbox.urls["stripe"], api_key=KEY, webhook_secret=WHSEC
    )
    sandbox.admin(
        "stripe", "mutate", {"action": "touch", "account": KEY, "resource": "charges", "count": 10}
    )
    url = f"{web}/api/v1/integrations/webhooks/stripe/{integration_id}"
    answer = sandbox.admin(
        "stripe",
        "webhooks",
        {
            "url": url,
            "secret": WHSEC,
            "account": KEY,
            "duplicate_probability": 0.3,
            "shuffle": True,
            "seed": 5,
        },
    )
    deliveries = answer["deliveries"]
    assert deliveries and all(d["status"] == 200 for d in deliveries), deliveries[:3]
    assert any(d["duplicate"] for d in deliveries)
    # A second delivery round of the same events, as a provider retry would send.
    events = sorted({d["event_id"] for d in deliveries})
    again = sandbox.admin(
        "stripe", "webhooks", {"url": url, "secret": WHSEC, "account": KEY, "events": events[:5]}
    )
    assert all(
        d["status"] == 200 and orjson.loads(d["body"])["duplicates"] == 1
        for d in again["deliveries"]
    )

    assert apply_inbox(cli, integration_id) == len(events), "one inbox row per distinct event"

    charge_ids = {
        e["data"]["object"]["id"]
        for e in sandbox.admin("stripe", f"objects/events?account={KEY}")
        if e["id"] in events and e["data"]["object"].get("object") == "charge"
    }
    assert len(charge_ids) >= 10  # at least the touched ones
    warehouse = Warehouse(cli.env["INTSYNC_WAREHOUSE"])
    rows = warehouse.query(
        "select id, count(*) from staging.stripe_charges where venue_id = 'venue-w' group by id"
    )
    counts: dict[str, Any] = dict(rows)
    assert set(counts) == charge_ids
    assert set(counts.values()) == {1}
