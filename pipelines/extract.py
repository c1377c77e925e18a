"""Read one resource from a connector, page by page, into the run's spool: raw, mapped, quarantined."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import pyarrow as pa

from connectors.base import Connector, Page
from connectors.common.splits import SplitsReads
from mappings.page import QuarantinedRow
from pipelines.errors import Failure
from pipelines.fields import FieldPath, page_fields
from pipelines.landing import RAW_HINTS, raw_page, raw_table_name
from pipelines.prefetch import prefetched
from pipelines.spool import Spool, SpooledTable
from pipelines.unlisted import deletion_pages
from warehouse.quarantine import QUARANTINE_HINTS, QUARANTINE_SCHEMA, QUARANTINE_TABLE

if TYPE_CHECKING:
    from connectors.common.splits import Split
    from warehouse.store import Integration

PageCallback = Callable[[str, int], None]
# ids -> {id: the newest raw record the warehouse holds for it}
LastKnown = Callable[[list[str]], dict[str, dict[str, Any]]]
# () -> ids of the rows the warehouse holds for this resource, not marked deleted
LiveIds = Callable[[], set[str]]
# fields remembered per resource and run: enough for any provider's objects, bounded for keys
# that are data (metadata keyed by order number, say)
MAX_FIELDS = 2000


@dataclass
class ResourceOutcome:
    """What reading one resource produced, for the sync log and the summary."""

    resource: str
    cursor_before: dict[str, Any]
    cursor_after: dict[str, Any] | None = None
    status: str = "running"
    rows_extracted: int = 0
    rows_loaded: int = 0
    rows_deleted: int = 0
    rows_quarantined: int = 0
    expected_total: int | None = None
    notes: list[str] = field(default_factory=list)
    error_class: str | None = None
    error_message: str | None = None
    # what the runners do about the error (retry, count on the breakers); None unless failed
    failure: Failure | None = None
    # the fields the records carried (pipelines.fields), at most MAX_FIELDS of them
    fields: set[FieldPath] = field(default_factory=set)


def mapping_context(integration: Integration, run_id: str) -> dict[str, Any]:
    """What every mapped row of a run carries: who it belongs to, and when it was written."""
    return {
        "tenant_id": integration.tenant_id,
        "venue_id": integration.venue_id,
        "integration_id": integration.id,
        "provider": integration.provider,
        "synced_at": datetime.now(UTC),
        "run_id": run_id,
    }


def mapping_hints(compiled: Any) -> dict[str, Any]:
    """dlt table hints for a compiled mapping's main table (merges keep deduplicating staged
    rows: see loaders._table_resource)."""
    return {
        "primary_key": list(compiled.primary_key),
        "write_disposition": compiled.write_disposition,
        "columns": compiled.column_hints,
    }


def child_hints(child: Any) -> dict[str, Any]:
    """Child rows are replaced per parent: delete the parent's old rows, insert the new ones.

    The parent is named with its venue (and provider in core tables): providers such as
    QuickBooks number each company's objects from 1, so a bare parent id recurs across venues.
    """
    scope = [name for name in ("venue_id", "provider") if name in child.column_hints]
    return {
        "primary_key": [],
        "merge_key": [*scope, *child.parent_key],
        "write_disposition": "merge",
        "columns": child.column_hints,
    }


class PartReads(Protocol):
    """Worker processes that read the parts of a split full read (pipelines.partread.PartPool).
    They import this module to read; this module knows them only by this face."""

    @property
    def usable(self) -> bool:
        """Whether to split at all."""
        ...

    @property
    def parts(self) -> int:
        """How many parts to cut a full read into."""
        ...

    def read(
        self, reader: ResourceReader, connector: Any, split: Split, outcome: ResourceOutcome
    ) -> None:
        """Read every part of `split` into `reader` (its `adopt`); the joined cursor into
        `outcome`."""
        ...


class ResourceReader:
    """Spools the pages of one resource through its compiled mappings."""

    def __init__(
        self,
        resource: str,
        mappings: list[Any],
        context: Mapping[str, Any],
        spool: Spool,
        *,
        id_key: str = "id",
        on_page: PageCallback | None = None,
        land_raw: bool = True,
        last_known: LastKnown | None = None,
        live_ids: LiveIds | None = None,
    ) -> None:
        self.resource = resource
        self.mappings = mappings
        self.context = dict(context)
        self.spool = spool
        self.id_key = id_key
        self.on_page = on_page
        self.land_raw = land_raw
        self.last_known = last_known
        self.live_ids = live_ids
        self._seen: set[str] = set()
        self._roots: set[str] = set()  # top-level keys met so far (see page_fields)
        # the outcome of the latest read, as far as it got (kept when the read raises)
        self.outcome: ResourceOutcome | None = None

    def read(
        self,
        connector: Connector,
        state: Mapping[str, Any],
        *,
        full_refresh: bool,
        pool: PartReads | None = None,
    ) -> ResourceOutcome:
        """Read every page; connector errors propagate, the outcome so far kept as `outcome`.

        With a `pool`, a full read that the connector can split is read by its worker processes.
        With `live_ids`, a read to the end that listed everything (a full refresh, a split read,
        or one whose last page says so: `Page.listed_all`) marks deleted the rows it no longer
        found (their last known values kept)."""
        outcome = self.outcome = ResourceOutcome(self.resource, cursor_before=dict(state))
        split = self._split(connector, state, full_refresh, pool)
        listed_all = full_refresh or split is not None  # connectors split full reads only
        if split is not None:
            assert pool is not None
            pool.read(self, connector, split, outcome)
        else:
            pages = connector.read(self.resource, state, full_refresh=full_refresh)
            for page in prefetched(pages):
                listed_all = listed_all or page.listed_all
                self.take(page, outcome)
        if listed_all and self.live_ids is not None:
            self._mark_unlisted(outcome)
        return outcome

    def _split(
        self,
        connector: Connector,
        state: Mapping[str, Any],
        full_refresh: bool,
        pool: PartReads | None,
    ) -> Split | None:
        if pool is None or not pool.usable or not isinstance(connector, SplitsReads):
            return None
        return connector.split(self.resource, state, full_refresh=full_refresh, parts=pool.parts)

    def adopt(
        self,
        tables: list[SpooledTable],
        part: ResourceOutcome,
        ids: list[str] | None,
        outcome: ResourceOutcome,
    ) -> None:
        """Take in what another process read: its spooled tables, counts and ids (it reported
        its progress as it went)."""
        for spooled in tables:
            self.spool.adopt(spooled)
        outcome.rows_extracted += part.rows_extracted
        outcome.rows_loaded += part.rows_loaded
        outcome.rows_deleted += part.rows_deleted
        outcome.rows_quarantined += part.rows_quarantined
        outcome.notes.extend(part.notes)
        outcome.fields |= part.fields
        if ids:
            self._seen.update(ids)

    def seen_ids(self) -> list[str]:
        """The ids this reader has taken so far."""
        return list(self._seen)

    def _mark_unlisted(self, outcome: ResourceOutcome) -> None:
        assert self.live_ids is not None
        gone = self.live_ids() - self._seen
        if not gone:
            return
        synced_at: datetime = self.context["synced_at"]
        for page in deletion_pages(gone, self.id_key, synced_at.timestamp()):
            self.take(page, outcome)
        outcome.notes.append(
            f"full read: {len(gone)} rows the provider no longer lists marked deleted"
        )

    def take(self, page: Page, outcome: ResourceOutcome) -> None:
        """Spool one page: drop repeats of ids already seen in this run, map, count."""
        records, deleted_at, ids = self._first_occurrences(page, outcome)
        if page.state is not None:
            outcome.cursor_after = page.state
        if page.expected_total is not None:
            outcome.expected_total = page.expected_total
        outcome.notes.extend(page.notes)
        if deleted_at is not None and self.last_known is not None:
            records = self._fill_deleted(records, deleted_at, ids)
        if records:
            self._spool(records, deleted_at, ids, outcome)
        if self.on_page is not None:
            self.on_page(self.resource, outcome.rows_extracted)

    def _fill_deleted(
        self, records: list[dict[str, Any]], deleted_at: list[str | None], ids: list[str]
    ) -> list[dict[str, Any]]:
        """A deleted object keeps its last known values (and child rows): providers such as
        QuickBooks report a deletion with the id alone. What the deletion says wins."""
        gone = [i for i, mark in enumerate(deleted_at) if mark]
        if not gone:
            return records
        assert self.last_known is not None
        known = self.last_known([ids[i] for i in gone])
        filled = list(records)
        for i in gone:
            before = known.get(ids[i])
            if before is not None:
                filled[i] = {**before, **records[i]}
        return filled

    def _first_occurrences(
        self, page: Page, outcome: ResourceOutcome
    ) -> tuple[list[dict[str, Any]], list[str | None] | None, list[str]]:
        seen, key = self._seen, self.id_key
        records: list[dict[str, Any]] = []
        deleted: list[str | None] = []
        ids: list[str] = []
        marks = page.deleted_at or [None] * len(page.records)
        for record, mark in zip(page.records, marks, strict=True):
            raw_id = record.get(key)
            if raw_id is None:
                self._quarantine_without_id(record, outcome)
                continue
            record_id = str(raw_id)
            if record_id in seen:
                continue
            seen.add(record_id)
            records.append(record)
            deleted.append(mark)
            ids.append(record_id)
        return records, (deleted if page.deleted_at is not None else None), ids

    def _spool(
        self,
        records: list[dict[str, Any]],
        deleted_at: list[str | None] | None,
        ids: list[str],
        outcome: ResourceOutcome,
    ) -> None:
        ctx, resource = self.context, self.resource
        outcome.rows_extracted += len(records)
        if len(outcome.fields) < MAX_FIELDS:
            outcome.fields |= page_fields(records, self._roots)
        if deleted_at is not None:
            outcome.rows_deleted += sum(1 for mark in deleted_at if mark)
        if self.land_raw:
            raw = raw_page(records, ids, deleted_at, ctx)
            self.spool.write(
                "raw", resource, raw_table_name(ctx["provider"], resource), raw, RAW_HINTS
            )
        for compiled in self.mappings:
            mapped = compiled.map_page(records, ctx, deleted_at)
            self.spool.write(
                compiled.dataset, resource, compiled.table, mapped.table, mapping_hints(compiled)
            )
            for child in compiled.children:
                rows = mapped.children.get(child.table)
                if rows is not None:
                    self.spool.write(
                        compiled.dataset, resource, child.table, rows, child_hints(child)
                    )
            if compiled.dataset == "staging":
                outcome.rows_loaded += mapped.table.num_rows
                outcome.rows_quarantined += len(mapped.quarantined)
            if mapped.quarantined:
                self._spool_quarantine(mapped.quarantined)

    def _spool_quarantine(self, rows: list[QuarantinedRow]) -> None:
        ctx = self.context
        table = pa.Table.from_pylist(
            [
                {
                    "tenant_id": ctx["tenant_id"],
                    "venue_id": ctx["venue_id"],
                    "integration_id": ctx["integration_id"],
                    "provider": ctx["provider"],
                    "resource": self.resource,
                    "spec": str(row.spec_path),
                    "table_name": row.table,
                    "record_id": None if row.record_id is None else str(row.record_id),
                    "field": row.field,
                    "value": _short(row.value),
                    "reason": row.reason,
                    "record": orjson.dumps(row.record, default=str).decode(),
                    "run_id": ctx.get("run_id"),
                    "_quarantined_at": ctx["synced_at"],
                    "resolved_at": None,
                }
                for row in rows
            ],
            schema=QUARANTINE_SCHEMA,
        )
        self.spool.write("ops", self.resource, QUARANTINE_TABLE, table, QUARANTINE_HINTS)

    def _quarantine_without_id(self, record: dict[str, Any], outcome: ResourceOutcome) -> None:
        outcome.rows_quarantined += 1
        reason = f"record has no {self.id_key!r}: it cannot be keyed on (venue_id, id)"
        row = QuarantinedRow(
            "connector", self.resource, f"<no {self.id_key}>", self.id_key, None, reason, record
        )
        self._spool_quarantine([row])


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 500 else text[:497] + "..."
