"""`intsync sync`: run syncs now, with progress on a terminal and a readable or JSON summary."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
import orjson

from intsync.cli.composition import select_integrations, sync_context
from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import SyncProgress, print_summary

if TYPE_CHECKING:
    from pipelines.sync import SyncResult


@click.command("sync")
@click.option("--integration", "integration_id", help="Sync one integration by id.")
@click.option("--venue", help="Sync every integration of this venue.")
@click.option("--all", "all_", is_flag=True, help="Sync every integration (the default).")
@click.option("--resource", "resources", multiple=True, help="Only these resources (repeatable).")
@click.option("--full-refresh", is_flag=True, help="Read everything again, ignoring cursors.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Integrations read at once; those read are loaded together.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per integration on stdout.")
@pass_app
def sync(
    app: AppContext,
    integration_id: str | None,
    venue: str | None,
    all_: bool,
    resources: tuple[str, ...],
    full_refresh: bool,
    concurrency: int,
    as_json: bool,
) -> None:
    """Run the syncs now; exit 0 only when every requested resource synced. An open circuit
    breaker refuses its integration's sync; each run counts on the breakers."""
    from pipelines.breakers import guarded_batch

    if sum(bool(x) for x in (integration_id, venue, all_)) > 1:
        raise BadUsage("give at most one of --integration, --venue, --all")
    integrations = select_integrations(app, integration_id, venue, all_)
    # one live display at a time: with several integrations read at once, summaries only
    show_progress = not as_json and sys.stderr.isatty() and concurrency == 1
    results: list[SyncResult] = []
    with SyncProgress(enabled=show_progress) as progress:

        def ended(result: SyncResult) -> None:
            results.append(result)
            if as_json:
                click.echo(orjson.dumps(result.to_dict(), default=str).decode())
            else:
                progress.stop()
                print_summary(result)

        guarded_batch(
            integrations,
            sync_context(app, on_page=progress.page),
            resources=list(resources) or None,
            full_refresh=full_refresh,
            concurrency=concurrency,
            on_start=progress.start,
            on_result=ended,
        )
    if not all(result.ok for result in results):
        sys.exit(1)
