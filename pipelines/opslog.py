"""Copy sync logs from the operational store to `ops.sync_logs`, for analysts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from pipelines.spool import Spool

if TYPE_CHECKING:
    from warehouse.store import Store

SYNC_LOG_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("run_id", pa.string()),
        ("tenant_id", pa.string()),
        ("venue_id", pa.string()),
        ("integration_id", pa.string()),
        ("provider", pa.string()),
        ("resource", pa.string()),
        ("status", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("rows_extracted", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_deleted", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("cursor_before", pa.string()),
        ("cursor_after", pa.string()),
        ("error_class", pa.string()),
        ("error_message", pa.string()),
        ("details", pa.string()),
        ("spec_versions", pa.string()),
    ]
)
SYNC_LOG_HINTS: dict[str, Any] = {
    "primary_key": ["id"],
    "write_disposition": "merge",
    "columns": {
        "details": {"data_type": "json", "nullable": True},
        # the version (content hash) of each spec the resource was mapped with, by table
        "spec_versions": {"data_type": "json", "nullable": True},
    },
}


def spool_sync_logs(store: Store, log_ids: Sequence[int], spool: Spool) -> int:
    """Spool these sync log rows (read from the store in one query) for ops.sync_logs (merged
    on id); returns rows spooled."""
    if not log_ids:
        return 0
    rows = [
        {name: _value(getattr(entry, name, None)) for name in SYNC_LOG_SCHEMA.names}
        for entry in store.get_sync_logs(list(log_ids))
    ]
    table = pa.Table.from_pylist(rows, schema=SYNC_LOG_SCHEMA)
    spool.write("ops", "sync_logs", "sync_logs", table, SYNC_LOG_HINTS)
    return len(rows)


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        return orjson.dumps(value, default=str).decode()
    return value
