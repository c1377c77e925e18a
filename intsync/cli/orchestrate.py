"""`intsync orchestrate`: set up Prefect (work pool, queues, account limits, rerun automation) and
register the deployments of prefect.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import orjson

from intsync.cli.composition import selection_options
from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.runs import QUEUES

ROOT = Path(__file__).resolve().parents[2]


@click.group("orchestrate")
def orchestrate() -> None:
    """Run syncs on Prefect: one-time setup, deployment, and queueing syncs on the pool."""


@orchestrate.command("setup")
@click.option("--normal-limit", default=6, show_default=True, type=click.IntRange(1))
@click.option("--low-limit", default=2, show_default=True, type=click.IntRange(1))
@click.option(
    "--rerun-after",
    default=180.0,
    show_default=True,
    type=click.FloatRange(31),
    help="Seconds without a heartbeat before a flow run is taken as dead and rerun.",
)
@pass_app
def setup(app: AppContext, normal_limit: int, low_limit: int, rerun_after: float) -> None:
    """Create (or bring in line) the `integrations` pool and its queues critical, high, normal,
    low; a concurrency limit per provider account; the automation that reruns dead runs.
    Safe to run again at any time, e.g. after adding integrations."""
    _need_prefect(app)
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    from flows.setup import setup as do_setup

    try:
        for line in do_setup(
            app.store.list_integrations(),
            normal_limit=normal_limit,
            low_limit=low_limit,
            rerun_after=rerun_after,
        ):
            click.echo(line)
    except (httpx.HTTPError, PrefectHTTPStatusError) as exc:
        raise click.ClickException(_server_trouble(app, exc)) from None


@orchestrate.command("deploy")
@click.option(
    "--code-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT,
    show_default=True,
    help="Where workers find this checkout (the same path on every worker machine).",
)
@pass_app
def deploy(app: AppContext, code_dir: Path) -> None:
    """Register every deployment in prefect.yaml with the Prefect server.

    Each deployment carries this shell's INTSYNC_SPECS (none: the shipped specs): its flow runs
    map with that folder's specs, whatever the worker's own environment says."""
    _need_prefect(app)
    specs = app.settings.specs_dir
    env = {
        **os.environ,
        "INTSYNC_CODE_DIR": str(code_dir.resolve()),
        "INTSYNC_SPECS": str(specs or ""),
    }
    prefect = str(Path(sys.executable).with_name("prefect"))
    done = subprocess.run(
        [prefect, "--no-prompt", "deploy", "--all"], cwd=ROOT, env=env, check=False
    )
    if done.returncode != 0:
        sys.exit(done.returncode)
    where = f"the specs in {specs} over the shipped ones" if specs else "the shipped specs"
    click.echo(f"flow runs of these deployments map with {where} (INTSYNC_SPECS)")


@orchestrate.command("run")
@selection_options
@click.option("--priority", type=click.Choice(QUEUES), default="high", show_default=True)
@click.option("--no-wait", is_flag=True, help="Print the run ids and return at once.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run on stdout.")
@pass_app
def run(
    app: AppContext,
    integration_id: str | None,
    venue: str | None,
    all_: bool,
    resources: tuple[str, ...],
    full_refresh: bool,
    priority: str,
    no_wait: bool,
    as_json: bool,
) -> None:
    """Queue one sync-integration flow run per integration on the Prefect pool (the `high`
    queue unless --priority says otherwise) for the workers to run, then follow them, a line per
    change of state; exit 0 only when every run completed. With --no-wait, print the run ids
    (one a line) and return."""
    from intsync.cli.composition import select_integrations
    from intsync.runs import SYNC_DEPLOYMENT, RunNotStarted, follow, start_run

    if sum(bool(x) for x in (integration_id, venue, all_)) > 1:
        raise BadUsage("give at most one of --integration, --venue, --all")
    _need_prefect(app)
    url = str(app.settings.prefect_api_url)
    integrations = select_integrations(app, integration_id, venue, all_)
    try:
        runs = [
            {
                "runId": start_run(
                    url,
                    SYNC_DEPLOYMENT,
                    _parameters(i.id, resources, full_refresh, priority),
                    priority,
                ),
                "integrationId": i.id,
                "venueId": i.venue_id,
                "provider": i.provider,
                "queue": priority,
            }
            for i in integrations
        ]
    except RunNotStarted as exc:
        raise click.ClickException(str(exc)) from None
    if no_wait:
        for r in runs:
            click.echo(orjson.dumps(r).decode() if as_json else r["runId"])
        return
    labels = {r["runId"]: f"{r['provider']} {r['venueId']} {r['runId']}" for r in runs}
    states = follow(
        url, list(labels), lambda s: click.echo(f"{labels[s.run_id]}: {s.name}", err=as_json)
    )
    for r, state in zip(runs, states, strict=True):
        r["state"] = state.name
        click.echo(orjson.dumps(r).decode() if as_json else f"{r['runId']} {state.name}")
    if any(s.kind != "COMPLETED" for s in states):
        sys.exit(1)


def _parameters(
    integration_id: str, resources: tuple[str, ...], full_refresh: bool, queue: str
) -> dict[str, object]:
    """The sync-integration flow's parameters, as the web service's triggers send them."""
    return {
        "integration_id": integration_id,
        "resources": list(resources) or None,
        "full_refresh": full_refresh,
        "priority": queue,
    }


def _need_prefect(app: AppContext) -> None:
    """PREFECT_API_URL is set (else exit 2) and its server answers (else exit 1), each said in
    one line."""
    url = app.settings.prefect_api_url
    if not url:
        raise BadUsage(
            "PREFECT_API_URL is not set: point it at the Prefect server, "
            "e.g. PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        raise click.ClickException(_server_trouble(app, exc)) from None


def _server_trouble(app: AppContext, exc: Exception) -> str:
    """One line: what failed talking to the Prefect server, and what to do."""
    from connectors.common.http import is_connect_failure

    url = app.settings.prefect_api_url
    if is_connect_failure(exc):
        what = f"the Prefect server at {url} does not answer ({type(exc).__name__})"
    else:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = f"the Prefect server at {url} failed: {first}"
    return (
        f"{what}: start it (`prefect server start`) or set PREFECT_API_URL to one that runs, "
        "then run this again"
    )
