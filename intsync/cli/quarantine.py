"""`intsync quarantine`: the open quarantine as a worklist, by table and reason."""

from __future__ import annotations

from collections.abc import Sized

import click
import orjson

from intsync.cli.context import AppContext, pass_app
from intsync.cli.progress import console


@click.command("quarantine")
@click.option("--venue", help="Only this venue's records.")
@click.option("--table", help="Only this table's records (`stripe_charges`, `core.payments`).")
@click.option("--records", is_flag=True, help="List the records themselves, newest first.")
@click.option("--limit", default=100, show_default=True, help="Records listed with --records.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of groups (or records).")
@pass_app
def quarantine(
    app: AppContext, venue: str | None, table: str | None, records: bool, limit: int, as_json: bool
) -> None:
    """List the open quarantine: records a mapping set aside and no later sync or remap mapped.

    Grouped by venue, table, field and reason (the record's own value taken out of the reason),
    most records first; with --records, the records. A record leaves the list when a sync or
    `intsync remap` maps it (ops.quarantine keeps it with `resolved_at` set)."""
    from warehouse.destinations import Warehouse
    from warehouse.quarantine import open_quarantine, open_records

    warehouse = Warehouse(app.settings.warehouse_url)
    if records:
        rows = open_records(warehouse, venue, table, limit)
        if as_json:
            click.echo(orjson.dumps(rows, default=str).decode())
            return
        for row in rows:
            console.print(
                f"{row['venue_id']} {row['table_name']} {row['record_id']}: {row['field']} = "
                f"{row['value']!r}: {row['reason']}",
                markup=False,
            )
        _nothing_open(rows, venue, table)
        return
    groups = open_quarantine(warehouse, venue, table)
    if as_json:
        click.echo(orjson.dumps([g.__dict__ for g in groups], default=str).decode())
        return
    for group in groups:
        console.print(
            f"{group.records:>7,}  {group.venue_id} {group.table_name}.{group.field}: "
            f"{group.reason}",
            markup=False,
        )
    if groups:
        total = sum(g.records for g in groups)
        console.print(f"{total:,} open; the records: intsync quarantine --records", markup=False)
    _nothing_open(groups, venue, table)


def _nothing_open(found: Sized, venue: str | None, table: str | None) -> None:
    if not found:
        scope = " ".join(x for x in (venue and f"venue {venue}", table and f"table {table}") if x)
        console.print(f"nothing open in quarantine{' for ' + scope if scope else ''}")
