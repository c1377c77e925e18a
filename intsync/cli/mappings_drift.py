"""`intsync mappings drift`: fields the providers send that no spec maps."""

from __future__ import annotations

import difflib

import click
import orjson

from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import console

DEFAULT_SAMPLE = 1000  # pipelines.drift.DEFAULT_SAMPLE, without importing the pipelines here


@click.command("drift")
@click.option("--table", help="Only the resources that feed this table (`stripe_charges`).")
@click.option("--venue", help="Only this venue's records.")
@click.option(
    "--sample",
    default=DEFAULT_SAMPLE,
    show_default=True,
    help="Raw versions read per resource and venue, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per field.")
@pass_app
def drift(
    app: AppContext, table: str | None, venue: str | None, sample: int, as_json: bool
) -> None:
    """List the fields the providers send that no spec maps.

    Reads the newest --sample raw versions of each resource per venue (so the cost stays the
    same however large `raw` grows) and compares their fields with what the venue's specs read:
    a path maps that field, a field read whole (`metadata`, a child table's array, a reference)
    maps what is inside it; context values and constants map nothing. Prints each field with the
    sampled records that carry it and an example value."""
    from intsync.cli.composition import sync_context
    from pipelines.drift import field_drift

    ctx = sync_context(app)
    spec_set = ctx.catalog.spec_set
    specs = spec_set.for_table(table) if table else spec_set.all()
    if table and not specs:
        names = sorted({s.table if s.dataset == "staging" else f"core.{s.table}" for s in spec_set})
        close = difflib.get_close_matches(table, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise BadUsage(f"no spec writes table {table!r}{hint}: see `intsync mappings validate`")
    fields = field_drift(
        ctx.warehouse,
        spec_set,
        {(s.provider, s.resource) for s in specs},
        venue_id=venue,
        sample=sample,
    )
    if as_json:
        click.echo(orjson.dumps([f.__dict__ for f in fields]).decode())
        return
    for f in fields:
        console.print(
            f"{f.provider} {f.resource}: {f.field}  in {f.records:,} of {f.sampled:,} records"
            f" ({len(f.venues)} venue{'s' if len(f.venues) != 1 else ''}), e.g. {f.example}",
            markup=False,
        )
    if not fields:
        console.print("no unmapped fields in the sampled raw records", markup=False)
