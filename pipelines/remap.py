"""Rebuild mapped tables from the raw landing zone with the current specs, calling no provider.

Each integration's raw records (the newest version of each object) are mapped again, page by
page, into a spool. Tables whose columns still have the types the specs give are merged as a
sync merges them; a table where a column changed type (or whose unmapped columns are to be
dropped) is rebuilt whole from the rows of every integration that writes it and swapped in
atomically (see warehouse.rebuild). A dry run maps and counts, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from connectors.base import Page
from mappings import Spec
from pipelines.errors import PipelineError
from pipelines.extract import ResourceOutcome, ResourceReader, mapping_context
from pipelines.landing import raw_table_name
from pipelines.loaders import LOAD_ORDER, Loaders
from pipelines.plan import TablePlan, plan
from pipelines.quarantine import settle_quarantine
from pipelines.runs import SyncContext
from pipelines.spool import Spool, SpooledTable
from warehouse.columns import TableColumn, dataset_columns
from warehouse.rebuild import rebuild_table

if TYPE_CHECKING:
    from warehouse.store import Integration

BATCH = 5_000


class RemapRefusedError(PipelineError):
    """A remap that cannot do what was asked as asked (the message says what to run instead)."""


@dataclass
class RemapResult:
    """Rows re-mapped per integration and resource."""

    integration_id: str
    resource: str
    rows: int
    quarantined: int
    provider: str = ""


@dataclass
class RemapReport:
    """What a remap did (or, dry, would do): per resource, per rebuilt table, and the plan."""

    dry_run: bool
    results: list[RemapResult] = field(default_factory=list)
    plans: list[TablePlan] = field(default_factory=list)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    rebuilt: dict[str, int] = field(default_factory=dict)  # table -> rows it now holds
    not_rebuilt: dict[str, str] = field(default_factory=dict)  # table -> why
    dropped: dict[str, list[str]] = field(default_factory=dict)  # table -> columns dropped

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "resources": [r.__dict__ for r in self.results],
            "rows_by_table": self.rows_by_table,
            "rebuilt": self.rebuilt,
            "not_rebuilt": self.not_rebuilt,
            "dropped_columns": self.dropped,
            "plan": [p.to_dict() for p in self.plans if p.changed],
        }


def remap(
    ctx: SyncContext,
    specs: Sequence[Spec],
    integrations: Sequence[Integration],
    *,
    scoped: bool = False,
    dry_run: bool = False,
    drop_unmapped: bool = False,
    run_id: str = "",
) -> RemapReport:
    """Map the raw records of the resources `specs` read again, for `integrations` (a venue's
    or one, when `scoped`), and write the rows; a table that needs a rebuild is rebuilt from
    every integration's records, which a scoped remap refuses."""
    report = RemapReport(dry_run)
    started = datetime.now(UTC)  # before the rows are stamped: see settle_quarantine
    tables = {(s.dataset, t) for s in specs for t in [s.table, *(c.table for c in s.children)]}
    report.plans = plan(ctx.catalog.spec_set, ctx.warehouse, tables)
    rebuilds = [
        p for p in report.plans if p.needs_rebuild or (drop_unmapped and p.exists and p.unmapped)
    ]
    if rebuilds and scoped:
        names = ", ".join(p.name for p in rebuilds)
        raise RemapRefusedError(
            f"{names} must be rebuilt (a column changed type, or unmapped columns are dropped), "
            "and a rebuild holds every venue's rows: run it without --venue or --integration"
        )
    wanted = {(s.provider, s.resource) for s in specs}
    spools: list[tuple[Any, Spool]] = []
    try:
        for integration in integrations:
            resources = sorted(r for p, r in wanted if p == integration.provider)
            if resources:
                spool = Spool.temporary(ctx.dlt_dir / "spool", "remap-")
                spools.append((integration, spool))
                report.results += _replay(ctx, integration, resources, spool, run_id)
        _count_rows(report, [spool for _, spool in spools])
        if dry_run:
            return report
        loaders = Loaders(ctx.warehouse, ctx.dlt_dir)
        for table_plan in rebuilds:
            quarantined = _all_quarantined(table_plan, specs, report)
            if quarantined:
                report.not_rebuilt[table_plan.name] = (
                    f"every record ({quarantined:,}) was quarantined, so the table was left as"
                    f" it was: see why with `intsync quarantine --table {table_plan.table}`,"
                    " fix the spec and remap again"
                )
                continue
            _rebuild(ctx, table_plan, [spool for _, spool in spools], drop_unmapped, report)
            gone = {c.column for c in table_plan.changes} | set(
                report.dropped.get(table_plan.name, [])
            )
            with loaders.writing((table_plan.dataset,)):
                loaders.forget_columns(table_plan.dataset, table_plan.table, gone)
        with loaders.writing(LOAD_ORDER):
            loaders.load([spool for _, spool in spools], LOAD_ORDER)
        for integration, _ in spools:
            with loaders.writing(("ops",)):
                mapped = [
                    m
                    for r in report.results
                    if r.integration_id == integration.id
                    for m in ctx.catalog.compiled_for(
                        integration.provider, r.resource, integration.venue_id
                    )
                ]
                settle_quarantine(ctx.warehouse, integration, mapped, started)
    finally:
        for _, spool in spools:
            spool.close()
    return report


def _replay(
    ctx: SyncContext, integration: Integration, resources: list[str], spool: Spool, run_id: str
) -> list[RemapResult]:
    context = mapping_context(integration, run_id)
    results = []
    for resource in resources:
        table = raw_table_name(integration.provider, resource)
        if not ctx.warehouse.table_exists("raw", table):
            continue
        compiled = ctx.catalog.compiled_for(integration.provider, resource, integration.venue_id)
        reader = _RawReplay(resource, compiled, context, spool, land_raw=False)
        outcome = reader.replay(_raw_pages(ctx, table, integration.id))
        results.append(
            RemapResult(
                integration.id,
                resource,
                outcome.rows_loaded,
                outcome.rows_quarantined,
                integration.provider,
            )
        )
    return results


def _count_rows(report: RemapReport, spools: list[Spool]) -> None:
    for spool in spools:
        for dataset in LOAD_ORDER:
            if dataset == "ops":
                continue
            for spooled in spool.tables(dataset):
                name = f"{dataset}.{spooled.table}"
                report.rows_by_table[name] = report.rows_by_table.get(name, 0) + spooled.rows


def _all_quarantined(table_plan: TablePlan, specs: Sequence[Spec], report: RemapReport) -> int:
    """How many records feeding a table to rebuild were quarantined, when none of them mapped
    (0 otherwise): rebuilt, the table would be empty until the spec is fixed."""
    if report.rows_by_table.get(table_plan.name, 0):
        return 0
    feeding = {
        (s.provider, s.resource)
        for s in specs
        if s.dataset == table_plan.dataset
        and table_plan.table in (s.table, *(c.table for c in s.children))
    }
    return sum(r.quarantined for r in report.results if (r.provider, r.resource) in feeding)


def _rebuild(
    ctx: SyncContext,
    table_plan: TablePlan,
    spools: list[Spool],
    drop_unmapped: bool,
    report: RemapReport,
) -> None:
    """Rebuild one table from every spool's rows of it, then leave them out of the merges."""
    dataset, table = table_plan.dataset, table_plan.table
    spooled = [s for spool in spools for s in spool.tables(dataset) if s.table == table]
    held = dataset_columns(ctx.warehouse, dataset).get(table, [])
    changed = {c.column: c.spec for c in table_plan.changes}
    unmapped = {c for c, _ in table_plan.unmapped}
    dropped = sorted(unmapped) if drop_unmapped else []
    columns = [  # a column no spec fills any more cannot stay NOT NULL: new rows lack it
        TableColumn(c.name, changed.get(c.name, c.type), c.nullable or c.name in unmapped)
        for c in held
        if c.name not in dropped
    ]
    columns += [TableColumn(name, type_) for name, type_ in table_plan.add]
    report.rebuilt[table_plan.name] = rebuild_table(
        ctx.warehouse,
        dataset,
        table,
        columns,
        [f for s in spooled for f in s.files],
        _dedup_key(spooled) or ["venue_id", "id"],
        kept=sorted(unmapped - set(dropped)),
    )
    if dropped:
        report.dropped[table_plan.name] = dropped
    for spool in spools:
        spool.drop_table(dataset, table)


def _dedup_key(spooled: list[SpooledTable]) -> list[str]:
    """The columns naming one row of a spooled table: its key, or a child's parent and place."""
    for item in spooled:
        key = item.hints.get("primary_key") or []
        if key:
            return list(key)
        merge_key = item.hints.get("merge_key") or []
        if merge_key:
            return [*merge_key, "position"]
    return []


class _RawReplay(ResourceReader):
    """A ResourceReader fed from raw rows instead of a connector, writing no raw rows back."""

    def replay(self, pages: Iterator[Page]) -> ResourceOutcome:
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
