"""Flows against a served Stripe sandbox, a SQLite store and a DuckDB warehouse; orchestration
tests share one session-scoped Prefect test harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.common.rate import forget_budgets
from connectors.common.retry import NO_RETRY
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.client import StripeConnector
from connectors.stripe.sandbox.app import StripeSandbox
from flows.runtime import use_context
from pipelines.runs import SyncContext
from pipelines.specs import MappingCatalog
from warehouse.destinations import Warehouse
from warehouse.store import open_store

KEY = "sk_test_flows_0001"
STORE_KEY = "flows-test-secret-key-0123"
COUNTS = {"customers": 12, "charges": 30, "refunds": 3}
RESOURCES = ["customers", "charges"]
SPECS = Path(__file__).parent / "specs"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for every orchestration test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Three retries a few hundredths of a second apart; breakers open after three failures."""
    monkeypatch.setenv("INTSYNC_TASK_RETRIES", "3")
    monkeypatch.setenv("INTSYNC_RETRY_BASE_SECONDS", "0.02")
    monkeypatch.setenv("INTSYNC_BREAKER_FAILURES", "3")
    monkeypatch.setenv("INTSYNC_BREAKER_COOLDOWN_SECONDS", "600")
    forget_budgets()
    yield
    forget_budgets()
    use_context(None)


@pytest.fixture
def sandbox() -> Iterator[tuple[StripeSandbox, SandboxServer]]:
    app = StripeSandbox({KEY: SeedSpec(seed=21, counts=COUNTS)})
    with SandboxServer(app) as server:
        yield app, server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}", STORE_KEY)
    yield opened
    opened.close()


def _connector(integration: Any, store: Any) -> StripeConnector:
    # No connector-level retries: each fault reaches the task, where Prefect's retries act.
    return StripeConnector(
        integration.credentials, integration.base_url, retry_policy=NO_RETRY, rate_per_second=1000
    )


@pytest.fixture
def ctx(tmp_path: Path, store: Any) -> SyncContext:
    """The context the flows run with in this test (installed for the flows module)."""
    made = SyncContext(
        store=store,
        warehouse=Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}"),
        catalog=MappingCatalog(specs_dir=SPECS),
        dlt_dir=tmp_path / "dlt",
        connector_factory=_connector,
    )
    use_context(made)
    return made


@pytest.fixture
def integration(store: Any, sandbox: tuple[StripeSandbox, SandboxServer]) -> Any:
    return store.add_integration(
        tenant_id="t1",
        venue_id="v1",
        provider="stripe",
        credentials={"api_key": KEY, "webhook_secret": "whsec_flows"},
        base_url=sandbox[1].url,
    )


def staging_count(ctx: SyncContext, table: str) -> tuple[int, int]:
    """(rows, distinct ids) of staging.<table>."""
    import duckdb

    path = ctx.warehouse.url.removeprefix("duckdb:///")
    with duckdb.connect(path, read_only=True) as conn:
        rows = conn.execute(f"select count(*), count(distinct id) from staging.{table}").fetchone()
    return int(rows[0]), int(rows[1])


@pytest.fixture
def emitted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Events the flows emit, captured by Prefect's own asserting events client."""
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)

    def events() -> list[Any]:
        worker.wait_until_empty()
        return list(worker._client.events)

    try:
        yield events
    finally:
        worker.drain()
        worker._client.events = []


def touched_events(sandbox: StripeSandbox, resource: str, count: int) -> list[dict[str, Any]]:
    """Update `count` objects of `resource` in the sandbox; the `*.updated` events recorded."""
    account = sandbox.account(KEY)
    touched = set(account.touch(resource, count, seed=3))
    events = account.collections["events"]
    found = [events.get(i) for i in events.ids()]
    return [e for e in found if e and e["data"]["object"]["id"] in touched]


def store_events(store: Any, integration: Any, events: list[dict[str, Any]]) -> list[bool]:
    """Put verified Stripe events in the inbox as the webhook route does; True for each new one."""
    import orjson

    return [
        store.add_inbox_event(
            provider="stripe",
            integration_id=integration.id,
            tenant_id=integration.tenant_id,
            venue_id=integration.venue_id,
            event_id=event["id"],
            headers={"content-type": "application/json"},
            body=orjson.dumps(event),
        )
        for event in events
    ]


def backdate(store: Any, table_name: str, column: str, days: float) -> None:
    """Move `column` of every row of store table `table_name` `days` into the past."""
    from datetime import timedelta

    import sqlalchemy as sa

    from warehouse.store import schema

    table = getattr(schema, table_name)
    with store.engine.begin() as conn:
        for row_id, value in conn.execute(sa.select(table.c.id, table.c[column])).all():
            if value is not None:
                conn.execute(
                    sa.update(table)
                    .where(table.c.id == row_id)
                    .values({column: value - timedelta(days=days)})
                )


@pytest.fixture
def deployments(prefect_server: None) -> None:
    """The `integrations` pool with its queues, and the deployments others start by name."""
    from prefect.client.orchestration import get_client

    from flows.backfill import backfill_flow
    from flows.batch import sync_batch_flow
    from flows.setup import POOL, ensure_pool, queues
    from flows.sync import sync_integration_flow
    from flows.webhooks import apply_webhook_events_flow

    with get_client(sync_client=True) as client:
        ensure_pool(client, queues())
    for made, queue in (
        (sync_integration_flow, "high"),
        (sync_batch_flow, "normal"),
        (apply_webhook_events_flow, "critical"),
        (backfill_flow, "low"),
    ):
        made.to_deployment(name=made.name, work_pool_name=POOL, work_queue_name=queue).apply()


def read_flow_run(run_id: Any) -> Any:
    """A flow run as the Prefect server has it."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)
