"""`intsync dlq`: work given up on after its retries: list it, replay it, or drop it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, cast

import click
import orjson
from rich.table import Table

from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import console

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

    from warehouse.store.models import DeadLetter

SYNC_DEPLOYMENT = "sync-integration/sync-integration"
EVENTS_DEPLOYMENT = "apply-webhook-events/apply-webhook-events"
BACKFILL_DEPLOYMENT = "backfill/backfill"


@click.group("dlq")
def dlq() -> None:
    """Dead letters: webhook events and syncs that exhausted their retries."""


@dlq.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="A JSON array on stdout.")
@pass_app
def list_(app: AppContext, limit: int, as_json: bool) -> None:
    """Dead letters, newest first, with the reason each was given up on."""
    letters = app.store.list_dead_letters(limit=limit)
    if as_json:
        click.echo(orjson.dumps([d.to_dict() for d in letters]).decode())
        return
    if not letters:
        console.print("no dead letters")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("id", "created", "kind", "integration", "attempts", "reason"):
        table.add_column(name)
    for d in letters:
        table.add_row(
            str(d.id),
            d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            d.kind,
            d.integration_id or "",
            str(d.attempts),
            d.reason,
        )
    console.print(table)


@dlq.command("replay")
@click.argument("letter_id", type=int)
@pass_app
def replay(app: AppContext, letter_id: int) -> None:
    """Try the work again: a webhook event goes back to the inbox (and a batch run starts when a
    Prefect API is configured); a sync starts on the `high` queue, a backfill on `low`, or either
    runs here without Prefect. The dead letter is removed once the work is handed over (or, run
    here, succeeded)."""
    letter = _letter(app, letter_id)
    if letter.kind == "webhook":
        app.store.mark_inbox_events([int(letter.payload["inbox_id"])], "pending")
        _start(app, EVENTS_DEPLOYMENT, {"integration_id": letter.integration_id}, "critical")
    elif letter.kind == "sync":
        params = {
            "integration_id": letter.payload["integration_id"],
            "resources": letter.payload.get("resources"),
            "full_refresh": bool(letter.payload.get("full_refresh")),
            "priority": "high",
        }
        if not _start(app, SYNC_DEPLOYMENT, params, "high") and not _sync_here(app, params):
            click.echo(f"dead letter {letter_id}: the sync failed again; kept", err=True)
            sys.exit(1)
    elif letter.kind == "backfill":
        params = {k: letter.payload.get(k) for k in ("integration_id", "start", "end", "resources")}
        if not _start(app, BACKFILL_DEPLOYMENT, params, "low") and not _backfill_here(app, params):
            click.echo(f"dead letter {letter_id}: the backfill failed again; kept", err=True)
            sys.exit(1)
    else:
        raise BadUsage(f"dead letter {letter_id} is of kind {letter.kind!r}, which cannot replay")
    app.store.delete_dead_letter(letter_id)
    click.echo(f"replayed dead letter {letter_id} ({letter.kind})")


@dlq.command("drop")
@click.argument("letter_id", type=int)
@pass_app
def drop(app: AppContext, letter_id: int) -> None:
    """Remove a dead letter without replaying it."""
    _letter(app, letter_id)
    app.store.delete_dead_letter(letter_id)
    click.echo(f"dropped dead letter {letter_id}")


def _letter(app: AppContext, letter_id: int) -> DeadLetter:
    from warehouse.errors import NotFoundError

    try:
        return app.store.get_dead_letter(letter_id)
    except NotFoundError as exc:
        raise BadUsage(f"{exc} (see `intsync dlq list`)") from exc


def _start(app: AppContext, deployment: str, parameters: dict, queue: str) -> bool:
    """Start a run of `deployment` when a Prefect API is configured; whether one started."""
    if not app.settings.prefect_api_url:
        return False
    from prefect.deployments import run_deployment

    run = cast(  # called outside an event loop: the run itself, not a coroutine
        "FlowRun",
        run_deployment(
            deployment, parameters=parameters, work_queue_name=queue, timeout=0, as_subflow=False
        ),
    )
    click.echo(f"started flow run {run.id} on queue {queue}")
    return True


def _sync_here(app: AppContext, params: dict) -> bool:
    from intsync.cli.composition import sync_context
    from pipelines.sync import sync_integration

    integration = app.store.get_integration(params["integration_id"])
    result = sync_integration(
        integration,
        sync_context(app),
        resources=params["resources"],
        full_refresh=params["full_refresh"],
    )
    return result.ok


def _backfill_here(app: AppContext, params: dict) -> bool:
    """Whole UTC days start through end, as the backfill flow reads them."""
    from datetime import UTC, date, datetime, time, timedelta

    from intsync.cli.composition import sync_context
    from pipelines.sync import sync_integration

    start, end = (date.fromisoformat(params[k]) for k in ("start", "end"))
    window = (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )
    result = sync_integration(
        app.store.get_integration(params["integration_id"]),
        sync_context(app),
        resources=params["resources"],
        window=window,
    )
    return result.ok
