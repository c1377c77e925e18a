"""What a sync or remap does with quarantine beyond writing its rows: fail a resource whose every
record was quarantined, say how many were in the others, and close the rows that now map."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipelines.errors import AllQuarantinedError, Failure
from pipelines.extract import ResourceOutcome
from warehouse.destinations import Warehouse
from warehouse.quarantine import (
    MappedTable,
    Settling,
    settle_quarantine_table,
    settle_quarantine_tables,
)

if TYPE_CHECKING:
    from warehouse.store import Integration

log = logging.getLogger(__name__)


def judge_quarantine(outcome: ResourceOutcome, provider: str, table: str) -> None:
    """After a read: a resource whose every record was quarantined fails with
    AllQuarantinedError (no cursor moves, so the next sync reads the records again); one with
    some quarantined gets a note saying how many and where to look."""
    quarantined, read = outcome.rows_quarantined, outcome.rows_extracted
    if not quarantined or outcome.status == "failed":
        return
    where = f"`intsync quarantine --table {table}`"
    if read and quarantined >= read and outcome.rows_loaded == 0:
        error = AllQuarantinedError(
            f"all {read} records of {provider} {outcome.resource} were quarantined, none "
            f"loaded: see why with {where} (or ops.quarantine), fix the spec, and sync again"
        )
        outcome.status, outcome.error_class = "failed", type(error).__name__
        outcome.failure = Failure.of(error)
        outcome.error_message, outcome.cursor_after = str(error), None
        return
    outcome.notes.append(
        f"{quarantined} of {read} records quarantined: see {where} (or ops.quarantine)"
    )


def mapped_tables(mappings: Iterable[Any]) -> list[MappedTable]:
    """The tables compiled mappings write, keyed as their quarantine rows name records."""
    return [
        MappedTable(m.dataset, m.table, m.spec.primary_key[0])
        for m in mappings
        if m.spec.primary_key
    ]


def settle_quarantine(
    warehouse: Warehouse, integration: Integration, mappings: Iterable[Any], since: datetime
) -> int:
    """Make sure `ops.quarantine` exists, then mark resolved the integration's open rows whose
    record a run that began at `since` mapped into these compiled mappings' tables; the number
    resolved. Called under the venue's write lock after the run's loads, by sync and remap.
    A failure is logged, not raised: the rows stay open until the next run settles them."""
    try:
        return settle_quarantine_table(
            warehouse, integration.id, integration.venue_id, mapped_tables(mappings), since
        )
    except Exception as exc:  # WarehouseError, or any driver's own error
        log.warning("could not settle ops.quarantine for %s: %s", integration.id, exc)
        return 0


def settle_quarantines(
    warehouse: Warehouse, runs: Sequence[tuple[Any, Iterable[Any], datetime]]
) -> int:
    """`settle_quarantine` for the runs of a batch (integration, compiled mappings, start), in
    one connection and one query for which have open rows at all."""
    settling = [
        Settling(integration.id, integration.venue_id, mapped_tables(mappings), since)
        for integration, mappings, since in runs
    ]
    try:
        return settle_quarantine_tables(warehouse, settling)
    except Exception as exc:  # WarehouseError, or any driver's own error
        log.warning("could not settle ops.quarantine for %d integrations: %s", len(runs), exc)
        return 0
