"""`intsync sync`: run syncs now, with progress on a terminal and a readable or JSON summary."""

from __future__ import annotations

import sys

import click
import orjson

from intsync.cli.composition import select_integrations, sync_context
from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import SyncProgress, print_summary


@click.command("sync")
@click.option("--integration", "integration_id", help="Sync one integration by id.")
@click.option("--venue", help="Sync every integration of this venue.")
@click.option("--all", "all_", is_flag=True, help="Sync every integration (the default).")
@click.option("--resource", "resources", multiple=True, help="Only these resources (repeatable).")
@click.option("--full-refresh", is_flag=True, help="Read everything again, ignoring cursors.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per integration on stdout.")
@pass_app
def sync(
    app: AppContext,
    integration_id: str | None,
    venue: str | None,
    all_: bool,
    resources: tuple[str, ...],
    full_refresh: bool,
    as_json: bool,
) -> None:
    """Run the syncs now; exit 0 only when every requested resource synced. An open circuit
    breaker refuses its integration's sync; each run counts on the breakers."""
    from pipelines.breakers import guarded_sync

    if sum(bool(x) for x in (integration_id, venue, all_)) > 1:
        raise BadUsage("give at most one of --integration, --venue, --all")
    integrations = select_integrations(app, integration_id, venue, all_)
    show_progress = not as_json and sys.stderr.isatty()
    ok = True
    with SyncProgress(enabled=show_progress) as progress:
        ctx = sync_context(app, on_page=progress.page)
        for integration in integrations:
            progress.start(integration)
            result = guarded_sync(
                integration, ctx, resources=list(resources) or None, full_refresh=full_refresh
            )
            ok = ok and result.ok
            if as_json:
                click.echo(orjson.dumps(result.to_dict(), default=str).decode())
            else:
                progress.stop()
                print_summary(result)
    if not ok:
        sys.exit(1)
