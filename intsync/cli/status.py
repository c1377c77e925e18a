"""`intsync status`: which venues are behind, failing, or waiting for a reconnect."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click
import orjson

from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import console
from intsync.cli.tables import print_table

if TYPE_CHECKING:
    from warehouse.venue_status import Outcome

HEADERS = (
    "venue",
    "provider",
    "integration",
    "state",
    "last success",
    "last failure",
    "breaker",
    "lag",
    "quarantine",
    "dead letters",
)


@click.command("status")
@click.option("--venue", help="Only this venue.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_app
def status(app: AppContext, venue: str | None, as_json: bool) -> None:
    """Per venue and integration: the last success, the last failure and why, reconnect
    needed, the breaker, the data lag (the resource furthest behind), open quarantine and
    dead letters. `--json` adds each resource's lag and newest row."""
    from warehouse.destinations import Warehouse
    from warehouse.venue_status import collect_status

    report = collect_status(app.store, Warehouse(app.settings.warehouse_url), venue)
    if as_json:
        click.echo(orjson.dumps(report.to_dict()).decode())
        return
    if venue and not report.venues:
        raise BadUsage(f"no integrations for venue {venue!r}: see `intsync integrations list`")
    if not report.venues:
        console.print("no integrations yet: add one with `intsync integrations add`")
        return
    rows = []
    for v in report.venues:
        for i in v.integrations:
            rows.append(
                (
                    v.venue_id,
                    i.provider,
                    i.integration_id,
                    _state(i.status, i.failing),
                    _when(i.last_success.at if i.last_success else None, report.generated_at),
                    _failure(i.last_failure, report.generated_at),
                    i.breaker,
                    _age(i.lag_seconds),
                    str(v.open_quarantine),
                    str(i.dead_letters),
                )
            )
    print_table(HEADERS, rows, wrap=("last failure",))
    if report.warehouse_problem:
        console.print(f"lag and quarantine unknown: {report.warehouse_problem}", markup=False)


def _state(status: str, failing: bool) -> str:
    if status == "needs_reconnect":
        return "needs reconnect"
    return "failing" if failing and status == "active" else status


def _failure(outcome: Outcome | None, now: datetime) -> str:
    if outcome is None:
        return ""
    why = outcome.message or outcome.error_class or "failed"
    return f"{_when(outcome.at, now)} {outcome.resource}: {why}"


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    return f"{at.strftime('%Y-%m-%d %H:%M')} ({_age((now - at).total_seconds())} ago)"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size:.0f}{unit}"
    return f"{seconds:.0f}s"
