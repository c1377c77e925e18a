"""Warehouses loaded by builds that kept dlt pipelines per integration, moved to one pipeline per
dataset: their cursors copied into `staging._intsync_cursors`, their `<dataset>_load_<id>`
datasets dropped and their working folders deleted.

The cursors were resource state, kept in dlt's state document of each pipeline
`intsync_<integration>_staging` (see `dltquirks.stored_state`).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from pipelines.dltquirks import holds_packages, stored_state
from warehouse.cursors import Cursor, commit_cursors, read_cursors
from warehouse.destinations import Warehouse

log = logging.getLogger(__name__)

STATE_KEY = "connector_state"
_checked: set[tuple[str, str]] = set()


def migrate_legacy_loaders(warehouse: Warehouse, dlt_dir: Path, connection: Any = None) -> int:
    """Move what per-integration loaders left to the shared ones, once per process and
    warehouse (the caller holds the warehouse's write locks); the integrations moved.

    An integration whose old working folder still holds a load that never finished gets no
    cursor: its next sync reads everything again, which the merges make harmless, where keeping
    the cursor could skip the records of that unfinished load."""
    from pipelines.loaders import _working_folders  # the folder names are the loaders' own

    key = (warehouse.url, str(dlt_dir.absolute()))
    if key in _checked:
        return 0
    datasets = warehouse.loader_datasets()
    folders = _working_folders(dlt_dir)
    integrations = sorted(set(datasets) | set(folders.values()))
    if integrations:
        unfinished = {i for f, i in folders.items() if holds_packages(f)}
        moved = read_cursors(warehouse, integrations, connection)
        cursors = [
            cursor
            for integration in integrations
            if integration not in moved and integration not in unfinished
            for cursor in _legacy_cursors(warehouse, integration, connection)
        ]
        commit_cursors(warehouse, cursors, connection)
        warehouse.drop_datasets(sorted(d for names in datasets.values() for d in names))
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        log.warning(
            "moved %d integrations to the shared loaders (%d cursors kept, %d to read in full)",
            len(integrations),
            len(cursors),
            len(unfinished),
        )
    _checked.add(key)
    return len(integrations)


def _legacy_cursors(warehouse: Warehouse, integration: str, connection: Any) -> list[Cursor]:
    state = stored_state(warehouse, f"intsync_{integration}_staging", connection)
    if state is None:
        return []
    return [
        Cursor(integration, resource, None, dict(value.get(STATE_KEY) or {}))
        for source in state.get("sources", {}).values()
        for resource, value in source.get("resources", {}).items()
        if value.get(STATE_KEY)
    ]
