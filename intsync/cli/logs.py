"""`intsync logs`: sync history, newest first."""

from __future__ import annotations

import click
import orjson

from intsync.cli.context import AppContext, pass_app
from intsync.cli.progress import console
from intsync.cli.tables import print_table


@click.command("logs")
@click.option("--venue", help="Only this venue's logs.")
@click.option("--integration", "integration_id", help="Only this integration's logs.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="A JSON array on stdout.")
@pass_app
def logs(
    app: AppContext, venue: str | None, integration_id: str | None, limit: int, as_json: bool
) -> None:
    """Show sync history: one line per integration, resource and run."""
    entries = app.store.list_sync_logs(venue_id=venue, integration_id=integration_id, limit=limit)
    if as_json:
        click.echo(orjson.dumps([e.to_dict() for e in entries], default=str).decode())
        return
    if not entries:
        console.print("no sync logs yet: run `intsync sync`")
        return
    rows = []
    for e in entries:
        message = e.error_message or "; ".join((e.details or {}).get("notes") or [])
        rows.append(
            (
                e.started_at.strftime("%Y-%m-%d %H:%M:%S") if e.started_at else "",
                e.venue_id,
                e.provider,
                e.resource,
                e.status,
                str(e.rows_extracted),
                str(e.rows_loaded),
                str(e.rows_deleted),
                message or "",
            )
        )
    print_table(
        (
            "started",
            "venue",
            "provider",
            "resource",
            "status",
            "read",
            "loaded",
            "deleted",
            "message",
        ),
        rows,
        wrap=("message",),
    )
