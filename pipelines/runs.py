"""What a sync needs (SyncContext), what it returns (SyncResult), and one integration's part of
a batch while it runs (IntegrationRun)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Connector
from pipelines.connectors import build_connector
from pipelines.extract import PageCallback, ResourceOutcome
from pipelines.specs import MappingCatalog
from pipelines.spool import Spool
from warehouse.destinations import Warehouse

if TYPE_CHECKING:
    from warehouse.store import Integration, Store


@dataclass
class SyncResult:
    """One integration's run: a status and what happened to each resource."""

    integration_id: str
    tenant_id: str
    venue_id: str
    provider: str
    run_id: str
    status: str = "running"
    error: str | None = None
    resources: list[ResourceOutcome] = field(default_factory=list)
    # seconds each phase took: "prepare" (finish a dead run's loads, read the cursors), "read"
    # (from the provider, mapped and spooled), "load" (raw, core, staging), "logs" (ops)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        for outcome in found["resources"]:
            outcome.pop("fields", None)  # what drift notes are made of, not a result
            outcome.pop("failure", None)  # error_class and error_message say it
        return found


@dataclass
class SyncContext:
    """What a sync needs from its surroundings."""

    store: Store
    warehouse: Warehouse
    catalog: MappingCatalog
    dlt_dir: Path
    on_page: PageCallback | None = None
    connector_factory: Callable[[Integration, Store], Connector] = build_connector
    # worker processes for full reads a connector can split (1: every read in this process)
    read_processes: int = 1


@dataclass
class IntegrationRun:
    """One integration's part of a batch."""

    integration: Integration
    result: SyncResult
    started: datetime
    connector: Connector | None = None
    names: list[str] = field(default_factory=list)
    spool: Spool | None = None
    log_ids: dict[str, int] = field(default_factory=dict)
