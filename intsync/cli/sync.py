"""`intsync sync`: run syncs now, with progress on a terminal and a readable or JSON summary."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
import orjson

from intsync.cli.composition import select_integrations, selection_options, sync_context
from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import SyncProgress, print_summary

if TYPE_CHECKING:
    from pipelines.runs import SyncResult


@click.command("sync")
@selection_options
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Integrations read at once; those read are loaded together.",
)
@click.option(
    "--via",
    type=click.Choice(["process", "prefect"]),
    default="process",
    show_default=True,
    help="Run here, or queue flow runs on the Prefect pool (high) and follow them.",
)
@click.option("--no-wait", is_flag=True, help="With --via prefect: print the run ids, return.")
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
    via: str,
    no_wait: bool,
    as_json: bool,
) -> None:
    """Run the syncs now; exit 0 only when every requested resource synced. An open circuit
    breaker refuses its integration's sync; each run counts on the breakers. With --via
    prefect, the runs go on the Prefect pool's high queue (`intsync orchestrate run`)."""
    from pipelines.breakers import guarded_batch

    if sum(bool(x) for x in (integration_id, venue, all_)) > 1:
        raise BadUsage("give at most one of --integration, --venue, --all")
    if no_wait and via != "prefect":
        raise BadUsage("--no-wait goes with --via prefect")
    if via == "prefect":
        from intsync.cli.orchestrate import run

        click.get_current_context().invoke(
            run,
            integration_id=integration_id,
            venue=venue,
            all_=all_,
            resources=resources,
            full_refresh=full_refresh,
            priority="high",
            no_wait=no_wait,
            as_json=as_json,
        )
        return
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
