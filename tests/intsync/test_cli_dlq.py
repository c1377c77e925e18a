"""`intsync dlq list/replay/drop` against the store in INTSYNC_HOME, without a Prefect server:
webhook letters go back to the inbox, sync letters run here against a served Stripe sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson
import pytest
from click.testing import CliRunner

from connectors.common.rate import forget_budgets
from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.sandbox.app import StripeSandbox
from intsync.cli.dlq import dlq
from warehouse.store import open_store

ENV_KEY = "test-secret-key-0123456789"  # what the intsync_env fixture sets
STRIPE_KEY = "sk_test_cli_dlq_0001"


@click.group()
def cli() -> None:
    """The `intsync` root with only this command group."""


cli.add_command(dlq)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def store(intsync_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    home = Path(intsync_env["INTSYNC_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    with open_store(f"sqlite:///{home / 'intsync.db'}", ENV_KEY) as opened:
        yield opened


@pytest.fixture
def sandbox() -> Iterator[tuple[StripeSandbox, SandboxServer]]:
    forget_budgets()
    app = StripeSandbox({STRIPE_KEY: SeedSpec(seed=8, counts={"customers": 7})})
    with SandboxServer(app) as server:
        yield app, server
    forget_budgets()


@pytest.fixture
def integration(store, sandbox) -> Any:
    return store.add_integration(
        tenant_id="t1",
        venue_id="v1",
        provider="stripe",
        credentials={"api_key": STRIPE_KEY},
        base_url=sandbox[1].url,
    )


def sync_letter(store, integration) -> int:
    return store.add_dead_letter(
        kind="sync",
        integration_id=integration.id,
        payload={"integration_id": integration.id, "resources": ["customers"]},
        reason="customers: RetriableAPIError: stripe customers: HTTP 503",
        attempts=4,
    )


def webhook_letter(store, integration) -> tuple[int, int]:
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
    return letter, row.id


def test_list_says_when_there_are_none(store):
    result = run("dlq", "list")

    assert result.exit_code == 0
    assert "no dead letters" in result.output


def test_list_shows_each_letter_newest_first_with_its_reason(store, integration):
    first = sync_letter(store, integration)
    second, _ = webhook_letter(store, integration)

    as_json = json.loads(run("dlq", "list", "--json").stdout)
    table = run("dlq", "list").output

    assert [(d["id"], d["kind"], d["attempts"], d["reason"]) for d in as_json] == [
        (second, "webhook", 3, "HTTP 503"),
        (first, "sync", 4, "customers: RetriableAPIError: stripe customers: HTTP 503"),
    ]
    rows = [line.split() for line in table.splitlines()]
    assert [row[0] for row in rows if row and row[0].isdigit()] == [str(second), str(first)]
    assert "webhook" in table and "sync" in table


def test_drop_removes_the_letter_without_replaying_it(store, integration):
    letter = sync_letter(store, integration)

    result = run("dlq", "drop", str(letter))

    assert result.output.strip() == f"dropped dead letter {letter}"
    assert store.list_dead_letters() == []
    assert store.list_sync_logs() == []


def test_an_unknown_letter_is_a_usage_error_pointing_at_the_list(store):
    result = CliRunner().invoke(cli, ["dlq", "drop", "999"])

    assert result.exit_code == 2
    assert "999" in result.output and "intsync dlq list" in result.output


def test_replaying_a_webhook_letter_puts_the_event_back_in_the_inbox(store, integration):
    letter, inbox_id = webhook_letter(store, integration)

    result = run("dlq", "replay", str(letter))

    assert result.output.strip() == f"replayed dead letter {letter} (webhook)"
    assert store.get_inbox_event(inbox_id).status == "pending"
    assert store.list_dead_letters() == []


def test_replaying_a_sync_letter_without_prefect_syncs_here_and_removes_it(store, integration):
    letter = sync_letter(store, integration)

    result = run("dlq", "replay", str(letter))

    assert result.exit_code == 0, result.output
    assert store.list_dead_letters() == []
    [log] = store.list_sync_logs(integration_id=integration.id)
    assert (log.resource, log.status, log.rows_loaded) == ("customers", "success", 7)


def test_a_replay_that_fails_again_keeps_the_letter(store, integration, sandbox):
    letter = sync_letter(store, integration)
    sandbox[0].injector.update({"revoked_credentials": [STRIPE_KEY]})

    result = CliRunner().invoke(cli, ["dlq", "replay", str(letter)])

    assert result.exit_code == 1
    assert f"dead letter {letter}: the sync failed again; kept" in result.output
    assert [d.id for d in store.list_dead_letters()] == [letter]
    assert STRIPE_KEY not in result.output


def test_replaying_a_backfill_letter_without_prefect_reads_its_range_here(
    store, integration, sandbox
):
    created = [
        c["created"] for c in orjson.loads(sandbox[0].objects("customers", {"account": STRIPE_KEY}))
    ]
    days = sorted({datetime.fromtimestamp(c, UTC).date() for c in created})
    letter = store.add_dead_letter(
        kind="backfill",
        integration_id=integration.id,
        payload={
            "integration_id": integration.id,
            "start": str(days[0]),
            "end": str(days[-1]),
            "resources": ["customers"],
        },
        reason="crashed and was rerun 4 times",
        attempts=5,
    )

    result = run("dlq", "replay", str(letter))

    assert result.output.strip() == f"replayed dead letter {letter} (backfill)"
    [log] = store.list_sync_logs(integration_id=integration.id)
    assert (log.status, log.rows_loaded, log.cursor_after) == ("success", 7, None)
    assert store.list_dead_letters() == []
