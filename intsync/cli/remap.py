"""`intsync remap`: rebuild mapped tables from the raw landing zone, calling no provider."""

from __future__ import annotations

import uuid
from typing import Any

import click
import orjson

from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import console


@click.command("remap")
@click.option("--table", help="Only the resources that feed this staging or core table.")
@click.option("--venue", help="Only this venue's integrations.")
@click.option("--integration", "integration_id", help="Only this integration.")
@click.option(
    "--dry-run", is_flag=True, help="Map and count, print what would change, write nothing."
)
@click.option(
    "--drop-unmapped",
    is_flag=True,
    help="Drop the columns no spec maps any more (the table is rebuilt); kept otherwise.",
)
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
@pass_app
def remap(
    app: AppContext,
    table: str | None,
    venue: str | None,
    integration_id: str | None,
    dry_run: bool,
    drop_unmapped: bool,
    as_json: bool,
) -> None:
    """Map every stored raw record again with the current specs and write the rows.

    A table where a column changed type is rebuilt whole and swapped in at once: readers see
    the old table or the new one. Values that do not convert are quarantined with reasons."""
    from intsync.cli.composition import select_integrations, sync_context
    from pipelines.remap import RemapRefusedError
    from pipelines.remap import remap as run_remap

    if venue and integration_id:
        raise BadUsage("give --venue or --integration, not both")
    ctx = sync_context(app)
    specs = specs_for_table(ctx.catalog.spec_set, table)
    scoped = bool(venue or integration_id)
    integrations = select_integrations(app, integration_id, venue, False) if scoped else None
    if integrations is None:
        integrations = app.store.list_integrations()
    try:
        report = run_remap(
            ctx,
            specs,
            integrations,
            scoped=scoped,
            dry_run=dry_run,
            drop_unmapped=drop_unmapped,
            run_id=uuid.uuid4().hex,
        )
    except RemapRefusedError as exc:
        raise BadUsage(str(exc)) from exc
    if as_json:
        click.echo(orjson.dumps(report.to_dict()).decode())
    else:
        _print(report)
    if report.not_rebuilt:
        raise SystemExit(1)


def specs_for_table(spec_set: Any, table: str | None) -> list[Any]:
    """The specs a remap covers: those writing `table`, or all; a did-you-mean when none."""
    if not table:
        return list(spec_set.all())
    found = spec_set.for_table(table)
    if found:
        return list(found)
    from mappings.checks import did_you_mean

    names = sorted(
        {s.table for s in spec_set.all()}
        | {c.table for s in spec_set.all() for c in s.children}
        | {f"{s.dataset}.{s.table}" for s in spec_set.all()}
    )
    hint = did_you_mean(table, names)
    raise BadUsage(f"no spec writes table {table!r}{hint}: see `intsync mappings validate`")


def _print(report: Any) -> None:
    from pipelines.plan import describe

    for r in report.results:
        done = "to re-map" if report.dry_run else "rows re-mapped"
        console.print(
            f"{r.integration_id} {r.resource}: {r.rows:,} {done}, {r.quarantined:,} quarantined",
            highlight=False,
        )
    if not report.results:
        console.print("nothing to remap: no raw records yet (run `intsync sync` first)")
    for line in describe(p for p in report.plans if p.name not in report.rebuilt):
        console.print(line, highlight=False, markup=False)
    for table, rows in report.rebuilt.items():
        console.print(f"{table}: rebuilt with the new column types, {rows:,} rows", highlight=False)
    for table, why in report.not_rebuilt.items():
        console.print(f"[red]{table} not rebuilt[/red]: {why}", highlight=False)
    for table, columns in report.dropped.items():
        console.print(f"{table}: dropped {', '.join(columns)}", highlight=False)
    if report.dry_run:
        rows = ", ".join(f"{t} {n:,}" for t, n in sorted(report.rows_by_table.items()))
        console.print(f"rows that would be written: {rows or 'none'}", highlight=False)
        console.print("dry run: nothing was written", highlight=False)
