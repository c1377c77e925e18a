"""`intsync remap`: rebuild mapped tables from the raw landing zone, calling no provider."""

from __future__ import annotations

import uuid

import click
import orjson

from intsync.cli.context import AppContext, BadUsage, pass_app
from intsync.cli.progress import console


@click.command("remap")
@click.option("--table", help="Only the resources that feed this staging or core table.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of per-resource counts.")
@pass_app
def remap(app: AppContext, table: str | None, as_json: bool) -> None:
    """Map every stored raw record again with the current specs and merge the rows."""
    from intsync.cli.composition import sync_context
    from pipelines.remap import remap_integration

    ctx = sync_context(app)
    specs = ctx.catalog.spec_set.for_table(table) if table else ctx.catalog.spec_set.all()
    if table and not specs:
        raise BadUsage(f"no spec writes table {table!r}: see `intsync mappings validate`")
    wanted = {(s.provider, s.resource) for s in specs}
    run_id = uuid.uuid4().hex
    results = []
    for integration in app.store.list_integrations():
        resources = sorted(r for p, r in wanted if p == integration.provider)
        if resources:
            results += remap_integration(integration, ctx, resources, run_id)
    if as_json:
        click.echo(orjson.dumps([r.__dict__ for r in results]).decode())
        return
    for r in results:
        console.print(
            f"{r.integration_id} {r.resource}: {r.rows:,} rows re-mapped, {r.quarantined:,} quarantined"
        )
    if not results:
        console.print("nothing to remap: no raw records yet (run `intsync sync` first)")
