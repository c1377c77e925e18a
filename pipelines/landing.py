"""The raw landing zone: every record as the provider sent it, so mappings can be replayed.

Raw tables are append-only: each sync adds the versions it read, so they hold each object's
history as intsync saw it; the newest `_synced_at` per (venue_id, id) is the current one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from warehouse.layout import COMPRESSED_HINT

# Nullability as in RAW_HINTS: dlt imports the spooled files unchanged only when they agree.
RAW_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        pa.field("venue_id", pa.string(), nullable=False),
        ("integration_id", pa.string()),
        pa.field("id", pa.string(), nullable=False),
        ("_synced_at", pa.timestamp("us", tz="UTC")),
        ("_deleted_at", pa.timestamp("us", tz="UTC")),
        ("record", pa.string()),
    ]
)

_TS = pa.timestamp("us", tz="UTC")

RAW_HINTS: dict[str, Any] = {
    "write_disposition": "append",
    "columns": {
        "tenant_id": {"data_type": "text", "nullable": True},
        "venue_id": {"data_type": "text", "nullable": False},
        "integration_id": {"data_type": "text", "nullable": True},
        "id": {"data_type": "text", "nullable": False},
        "_synced_at": {"data_type": "timestamp", "nullable": True},
        "_deleted_at": {"data_type": "timestamp", "nullable": True},
        # text, not json: the warehouse would parse every record on load; cast when querying
        "record": {"data_type": "text", "nullable": True, COMPRESSED_HINT: True},
    },
}


def raw_table_name(provider: str, resource: str) -> str:
    """`raw.<provider>_<resource>`, the same name as the staging table it feeds."""
    return f"{provider}_{resource}"


def raw_page(
    records: list[dict[str, Any]],
    ids: list[str],
    deleted_at: list[str | None] | None,
    context: dict[str, Any],
) -> pa.Table:
    """One page of raw records as an Arrow table keyed like the staging tables.

    Context columns are repeated scalars and records go in as UTF-8 bytes, not Python strings:
    building a page costs little more than serialising its records once."""
    n = len(records)
    synced_at: datetime = context["synced_at"]
    deleted = (
        pa.array(deleted_at, pa.string()).cast(_TS) if deleted_at is not None else pa.nulls(n, _TS)
    )
    body = _json_column([orjson.dumps(r) for r in records])
    return pa.table(
        [
            pa.repeat(pa.scalar(context["tenant_id"], pa.string()), n),
            pa.repeat(pa.scalar(context["venue_id"], pa.string()), n),
            pa.repeat(pa.scalar(context["integration_id"], pa.string()), n),
            pa.array(ids, pa.string()),
            pa.repeat(pa.scalar(synced_at, _TS), n),
            deleted,
            body,
        ],
        schema=RAW_SCHEMA,
    )


def _json_column(texts: list[bytes]) -> pa.Array:
    """A string array over orjson's output, built from its bytes and their lengths (orjson
    writes valid UTF-8, so the check a cast from binary makes is skipped)."""
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)), out=offsets[1:])
    if offsets[-1] >= 2**31:
        return pa.array(texts, pa.binary()).cast(pa.string())
    data = pa.py_buffer(b"".join(texts))
    return pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets.astype(np.int32)), data)


def last_known_records(
    warehouse: Any, provider: str, resource: str, integration_id: str, ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The newest raw record of each of these ids for an integration (none before a first sync)."""
    table = raw_table_name(provider, resource)
    if not ids or not warehouse.table_exists("raw", table):
        return {}
    mark = warehouse.placeholder
    sql = (
        "select id, record from ("
        " select id, record, row_number() over (partition by id order by _synced_at desc) as version"
        f' from raw."{table}" where integration_id = {mark}'
        f" and id in ({', '.join([mark] * len(ids))})"
        ") newest where version = 1"
    )
    rows = warehouse.query(sql, [integration_id, *ids])
    return {row[0]: row[1] if isinstance(row[1], dict) else orjson.loads(row[1]) for row in rows}
