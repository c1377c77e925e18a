"""Rows a full read no longer finds: the provider deleted them without telling us (no event, no
CDC entry, a search that skips deleted objects), so a full refresh marks them deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.base import Page
from connectors.common.times import iso_utc

# Deletions synthesised per page: each page looks up the rows' last known values in raw.
PAGE_SIZE = 500


def live_ids(
    warehouse: Any, tables: list[str], integration_id: str, before: datetime | None = None
) -> set[str]:
    """Ids of the integration's rows in these staging tables that are not marked deleted and,
    with `before` (when the run began), were synced before it: a row another run or a webhook
    wrote meanwhile may hold an object created after this run's listing passed its place."""
    ids: set[str] = set()
    mark = warehouse.placeholder
    for table in tables:
        if not warehouse.table_exists("staging", table):
            continue
        rows = warehouse.query(
            f'select id from staging."{table}" where integration_id = {mark}'
            " and _deleted_at is null" + (f" and _synced_at < {mark}" if before else ""),
            [integration_id, *([before] if before else [])],
        )
        ids.update(str(row[0]) for row in rows)
    return ids


def deletion_pages(gone: set[str], id_key: str, now: float) -> list[Page]:
    """Pages that report each id in `gone` deleted at `now` (unix seconds), id alone, sorted."""
    ordered = sorted(gone)
    when = iso_utc(int(now))
    chunks = [ordered[start : start + PAGE_SIZE] for start in range(0, len(ordered), PAGE_SIZE)]
    return [
        Page(records=[{id_key: record_id} for record_id in chunk], deleted_at=[when] * len(chunk))
        for chunk in chunks
    ]
