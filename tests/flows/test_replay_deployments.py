"""`intsync dlq replay` with a Prefect API hands each kind of dead letter to its deployment, on its
queue, with parameters the flow accepts (the deployment names are the contract between them)."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from intsync.cli.dlq import dlq
from tests.flows.conftest import STORE_KEY, read_flow_run

pytestmark = pytest.mark.usefixtures("prefect_server", "deployments")


@click.group()
def cli() -> None:
    """The `intsync` root with only `dlq`."""


cli.add_command(dlq)


@pytest.fixture
def replay(store, tmp_path, monkeypatch: pytest.MonkeyPatch):
    """Run `intsync dlq replay ID` against this test's store and the test Prefect server."""
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    monkeypatch.setenv("INTSYNC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INTSYNC_DATABASE_URL", store.engine.url.render_as_string())
    monkeypatch.setenv("INTSYNC_SECRET_KEY", STORE_KEY)

    def run(letter_id: int):
        result = CliRunner().invoke(cli, ["dlq", "replay", str(letter_id)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        [run_id] = re.findall(r"started flow run (\S+) on queue", result.output)
        return read_flow_run(run_id)

    return run


def test_a_sync_letter_starts_sync_integration_on_high(integration, store, replay):
    letter = store.add_dead_letter(
        kind="sync",
        integration_id=integration.id,
        payload={"integration_id": integration.id, "resources": ["charges"], "full_refresh": True},
        reason="HTTP 503",
        attempts=4,
    )

    run = replay(letter)

    assert run.work_queue_name == "high"
    assert run.parameters == {
        "integration_id": integration.id,
        "resources": ["charges"],
        "full_refresh": True,
        "priority": "high",
    }
    assert store.list_dead_letters() == []


def test_a_backfill_letter_starts_backfill_on_low(integration, store, replay):
    payload = {
        "integration_id": integration.id,
        "start": "2024-01-01",
        "end": "2024-01-31",
        "resources": None,
    }
    letter = store.add_dead_letter(
        kind="backfill", integration_id=integration.id, payload=payload, reason="x", attempts=5
    )

    run = replay(letter)

    assert run.work_queue_name == "low"
    assert run.parameters == payload


def test_a_webhook_letter_requeues_the_event_and_starts_a_batch_on_critical(
    integration, store, replay
):
    store.add_inbox_event(
        provider="stripe",
        integration_id=integration.id,
        tenant_id="t1",
        venue_id="v1",
        event_id="evt_1",
        headers={},
        body=b"{}",
    )
    [row] = store.claim_inbox_events()
    store.mark_inbox_events([row.id], "failed", "gave up")
    letter = store.add_dead_letter(
        kind="webhook",
        integration_id=integration.id,
        payload={"inbox_id": row.id, "provider": "stripe", "event_id": "evt_1"},
        reason="HTTP 503",
        attempts=3,
    )

    run = replay(letter)

    assert run.work_queue_name == "critical"
    assert run.parameters == {"integration_id": integration.id}
    assert store.get_inbox_event(row.id).status == "pending"
