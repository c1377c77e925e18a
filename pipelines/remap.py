"""Rebuild mapped tables from the raw landing zone with the current specs, calling no provider."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson

from connectors.base import Page
from pipelines.extract import ResourceReader, mapping_context
from pipelines.landing import raw_table_name
from pipelines.loaders import IntegrationLoaders
from pipelines.spool import Spool
from pipelines.sync import SyncContext

BATCH = 5_000


@dataclass
class RemapResult:
    """Rows re-mapped per integration and resource."""

    integration_id: str
    resource: str
    rows: int
    quarantined: int


def remap_integration(
    integration: Any, ctx: SyncContext, resources: list[str], run_id: str
) -> list[RemapResult]:
    """Map every raw record of these resources again and merge the rows; cursors stay as they are."""
    loaders = IntegrationLoaders.of(integration, ctx.warehouse, ctx.dlt_dir)
    spool = Spool.temporary(ctx.dlt_dir / "spool", "remap-")
    context = mapping_context(integration, run_id)
    results = []
    try:
        for resource in resources:
            table = raw_table_name(integration.provider, resource)
            if not ctx.warehouse.table_exists("raw", table):
                continue
            compiled = ctx.catalog.compiled_for(
                integration.provider, resource, integration.venue_id
            )
            reader = _RawReplay(resource, compiled, context, spool, land_raw=False)
            outcome = reader.replay(_raw_pages(ctx, table, integration.id))
            results.append(
                RemapResult(integration.id, resource, outcome.rows_loaded, outcome.rows_quarantined)
            )
        with loaders.writing():
            loaders.finish_pending()
            loaders.load(spool, {})
    finally:
        spool.close()
    return results


class _RawReplay(ResourceReader):
    """A ResourceReader fed from raw rows instead of a connector, writing no raw rows back."""

    def replay(self, pages: Iterator[Page]) -> Any:
        from pipelines.extract import ResourceOutcome

        outcome = ResourceOutcome(self.resource, cursor_before={})
        for page in pages:
            self.take(page, outcome)
        return outcome


def _raw_pages(ctx: SyncContext, table: str, integration_id: str) -> Iterator[Page]:
    wh = ctx.warehouse
    # raw keeps every version as it arrived; the newest per object is the one to map
    sql = (
        "select record, _deleted_at from ("
        " select record, _deleted_at, id,"
        " row_number() over (partition by id order by _synced_at desc) as version"
        f' from raw."{table}" where integration_id = {wh.placeholder}'
        ") newest where version = 1 order by id"
    )
    with wh.connect() as con:
        cur = con.cursor()
        cur.execute(sql, (integration_id,))
        while rows := cur.fetchmany(BATCH):
            records = [r[0] if isinstance(r[0], dict) else orjson.loads(r[0]) for r in rows]
            deleted = [r[1].astimezone(UTC).isoformat() if r[1] else None for r in rows]
            yield Page(records=records, deleted_at=deleted if any(deleted) else None)
