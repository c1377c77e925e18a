"""`intsync mappings plan`: what the specs would change in the warehouse's tables."""

from __future__ import annotations

import click
import orjson

from intsync.cli.context import AppContext, pass_app


@click.command("plan")
@click.option("--table", help="Only this table (`stripe_charges` or `core.payments`).")
@click.option("--json", "as_json", is_flag=True, help="Every table's plan as a JSON array.")
@pass_app
def plan_command(app: AppContext, table: str | None, as_json: bool) -> None:
    """Compare the specs with the warehouse's tables: columns to add, columns no spec maps any
    more, type changes, new tables. Changes nothing.

    Added columns and new tables appear with the next sync or remap; a type change needs
    `intsync remap --table T`; an unmapped column stays until `remap --drop-unmapped`."""
    from intsync.cli.composition import sync_context
    from intsync.cli.remap import specs_for_table
    from pipelines.plan import describe, plan

    ctx = sync_context(app)
    tables = None
    if table:
        specs = specs_for_table(ctx.catalog.spec_set, table)
        tables = {(s.dataset, t) for s in specs for t in [s.table, *(c.table for c in s.children)]}
    plans = plan(ctx.catalog.spec_set, ctx.warehouse, tables)
    if as_json:
        click.echo(orjson.dumps([p.to_dict() for p in plans]).decode())
        return
    lines = describe(plans)
    for line in lines:
        click.echo(line)
    changed = [p for p in plans if p.changed]
    if not changed:
        click.echo(f"{len(plans)} tables match their specs: nothing to change")
    else:
        rebuilds = sum(p.needs_rebuild for p in plans)
        click.echo(
            f"{len(changed)} of {len(plans)} tables differ from their specs"
            + (f"; {rebuilds} need `intsync remap --table T` to rebuild" if rebuilds else "")
        )
