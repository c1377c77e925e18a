"""A resource's specs against the warehouse's columns, before it reads: a type change the
table does not have yet stops it; a NOT NULL column no spec fills any more is made to take
nulls. The columns are read once for a batch (WarehouseColumns)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from pipelines.errors import SchemaChangePendingError
from pipelines.plan import type_changes, unfilled_not_null
from warehouse.columns import TableColumn, datasets_columns
from warehouse.destinations import Warehouse

log = logging.getLogger(__name__)
# the datasets whose tables the specs make: checked against the specs before a sync reads
MAPPED = ("staging", "core")


class WarehouseColumns:
    """The columns of the warehouse's mapped datasets, read once for every check of a batch
    (and again after a change), whichever reading thread asks first."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._lock = threading.Lock()
        self._columns: dict[str, dict[str, list[TableColumn]]] | None = None

    def get(self) -> dict[str, dict[str, list[TableColumn]]]:
        """{dataset: {table: columns}}."""
        with self._lock:
            if self._columns is None:
                self._columns = datasets_columns(self.warehouse, MAPPED)
            return self._columns

    def clear(self) -> None:
        """Read them again at the next `get` (a table changed)."""
        with self._lock:
            self._columns = None


def pending_type_change(
    compiled: list[Any],
    held: WarehouseColumns,
    warehouse: Warehouse,
) -> Exception | None:
    """A spec's type change the warehouse's table does not have yet stops the resource before
    it reads: loading would cast the new values to the old type, or fail on them. A NOT NULL
    column no spec fills any more is made to take nulls (a load would be refused otherwise).
    `held` gives the warehouse's columns by dataset (read once for a batch)."""

    def columns_of(dataset: str) -> dict[str, list[TableColumn]]:
        return held.get().get(dataset, {})

    problems = type_changes(compiled, columns_of)
    if problems:
        return SchemaChangePendingError("; ".join(problems))
    for dataset, table, columns in unfilled_not_null(compiled, columns_of):
        log.warning("%s.%s: %s no longer mapped; they now take nulls", dataset, table, columns)
        warehouse.drop_not_null(dataset, table, columns)
        held.clear()
    return None
