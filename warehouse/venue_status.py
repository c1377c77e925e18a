"""Where each venue stands: per integration, the last success and failure, whether it needs a
reconnect, its breakers, how far behind each resource is, and what waits for a person (open
quarantine, dead letters). Read-only; `intsync status` and the status page both show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from warehouse.destinations import Warehouse
from warehouse.errors import WarehouseError
from warehouse.freshness import newest_synced
from warehouse.quarantine import open_quarantine
from warehouse.store.models import BreakerState, Integration, SyncLog
from warehouse.store.sync_log_queries import (
    dead_letters_by_integration,
    last_logs_by_status,
    last_success_by_resource,
)

if TYPE_CHECKING:
    from warehouse.store.store import Store

BREAKER_RANK = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(frozen=True)
class Outcome:
    """One finished sync of one resource: when, and why it failed if it did."""

    at: datetime
    resource: str
    error_class: str | None = None
    message: str | None = None

    @classmethod
    def of(cls, log: SyncLog | None) -> Outcome | None:
        if log is None or log.finished_at is None:
            return None
        return cls(log.finished_at, log.resource, log.error_class, log.error_message)


@dataclass(frozen=True)
class ResourceLag:
    """How far behind one resource is: its last successful sync and its newest row."""

    resource: str
    last_success_at: datetime | None
    newest_row_at: datetime | None
    # since the last successful sync: a table filled by another resource's spec (invoice_lines)
    # has none of its own, only its newest row
    lag_seconds: float | None


@dataclass(frozen=True)
class IntegrationStatus:
    """What an operator wants to know of one integration at a glance."""

    integration_id: str
    provider: str
    status: str
    status_message: str | None
    last_success: Outcome | None
    last_failure: Outcome | None
    breaker: str  # the worst of the provider's and the integration's breakers
    breakers: list[BreakerState]
    resources: list[ResourceLag]
    dead_letters: int

    @property
    def needs_reconnect(self) -> bool:
        return self.status == "needs_reconnect"

    @property
    def failing(self) -> bool:
        """The newest outcome is a failure."""
        if self.last_failure is None:
            return False
        return self.last_success is None or self.last_failure.at > self.last_success.at

    @property
    def lag_seconds(self) -> float | None:
        """The largest lag of its resources."""
        lags = [r.lag_seconds for r in self.resources if r.lag_seconds is not None]
        return max(lags) if lags else None


@dataclass(frozen=True)
class VenueStatus:
    """One venue's integrations, and its open quarantine by table."""

    venue_id: str
    tenant_id: str
    integrations: list[IntegrationStatus]
    quarantine: dict[str, int] = field(default_factory=dict)

    @property
    def open_quarantine(self) -> int:
        return sum(self.quarantine.values())


@dataclass(frozen=True)
class StatusReport:
    """Every venue asked for; `warehouse_problem` says why lag and quarantine are missing."""

    generated_at: datetime
    venues: list[VenueStatus]
    warehouse_problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO-8601 UTC timestamps, snake_case keys."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "warehouse_problem": self.warehouse_problem,
            "venues": [_venue_dict(v, self.generated_at) for v in self.venues],
        }


def collect_status(
    store: Store,
    warehouse: Warehouse | None,
    venue_id: str | None = None,
    now: datetime | None = None,
) -> StatusReport:
    """The status of every venue (or one), read from the store and, when given, the
    warehouse (newest rows, open quarantine)."""
    now = now or datetime.now(UTC)
    integrations = store.list_integrations(venue_id=venue_id)
    ids = [i.id for i in integrations]
    newest, quarantine, problem = _warehouse_view(warehouse, venue_id)
    outcomes = last_logs_by_status(store, ids)
    successes = last_success_by_resource(store, ids)
    letters = dead_letters_by_integration(store)
    breakers = {b.name: b for b in store.list_breakers()}
    by_venue: dict[str, list[IntegrationStatus]] = {}
    tenants: dict[str, str] = {}
    for integration in integrations:
        tenants[integration.venue_id] = integration.tenant_id
        by_venue.setdefault(integration.venue_id, []).append(
            IntegrationStatus(
                integration_id=integration.id,
                provider=integration.provider,
                status=integration.status,
                status_message=integration.status_message,
                last_success=Outcome.of(outcomes.get((integration.id, "success"))),
                last_failure=Outcome.of(outcomes.get((integration.id, "failed"))),
                breaker=_worst(guarding := _guarding(integration, breakers)),
                breakers=guarding,
                resources=_lags(integration, successes, newest, now),
                dead_letters=letters.get(integration.id, 0),
            )
        )
    venues = [
        VenueStatus(venue, tenants[venue], found, quarantine.get(venue, {}))
        for venue, found in sorted(by_venue.items())
    ]
    return StatusReport(now, venues, problem)


def _warehouse_view(
    warehouse: Warehouse | None, venue_id: str | None
) -> tuple[dict[tuple[str, str], datetime], dict[str, dict[str, int]], str | None]:
    if warehouse is None:
        return {}, {}, "no warehouse given"
    try:
        newest = newest_synced(warehouse)
        quarantine: dict[str, dict[str, int]] = {}
        for group in open_quarantine(warehouse, venue_id):
            tables = quarantine.setdefault(group.venue_id, {})
            tables[group.table_name] = tables.get(group.table_name, 0) + group.records
        return newest, quarantine, None
    except WarehouseError as exc:
        return {}, {}, str(exc)
    except Exception as exc:  # any driver's refusal: what the store says still shows
        return {}, {}, f"the warehouse could not be read: {type(exc).__name__}: {exc}"


def _guarding(integration: Integration, breakers: dict[str, BreakerState]) -> list[BreakerState]:
    names = (f"provider:{integration.provider}", f"integration:{integration.id}")
    return [breakers[name] for name in names if name in breakers]


def _worst(guarding: list[BreakerState]) -> str:
    return max((b.state for b in guarding), key=lambda s: BREAKER_RANK.get(s, 2), default="closed")


def _lags(
    integration: Integration,
    successes: dict[tuple[str, str], datetime],
    newest: dict[tuple[str, str], datetime],
    now: datetime,
) -> list[ResourceLag]:
    resources = {r for (i, r) in successes if i == integration.id}
    prefix = f"{integration.provider}_"
    resources |= {t.removeprefix(prefix) for (i, t) in newest if i == integration.id}
    lags = []
    for resource in sorted(resources):
        success = successes.get((integration.id, resource))
        row = newest.get((integration.id, prefix + resource))
        lag = round((now - success).total_seconds(), 1) if success else None
        lags.append(ResourceLag(resource, success, row, lag))
    return lags


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _outcome_dict(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "at": _iso(outcome.at),
        "resource": outcome.resource,
        "error_class": outcome.error_class,
        "message": outcome.message,
    }


def _venue_dict(venue: VenueStatus, generated: datetime) -> dict[str, Any]:
    return {
        "venue_id": venue.venue_id,
        "tenant_id": venue.tenant_id,
        "open_quarantine": venue.open_quarantine,
        "quarantine_by_table": venue.quarantine,
        "integrations": [
            {
                "id": i.integration_id,
                "provider": i.provider,
                "status": i.status,
                "status_message": i.status_message,
                "needs_reconnect": i.needs_reconnect,
                "failing": i.failing,
                "last_success": _outcome_dict(i.last_success),
                "last_failure": _outcome_dict(i.last_failure),
                "breaker": i.breaker,
                "breakers": [b.to_dict() for b in i.breakers],
                "lag_seconds": i.lag_seconds,
                "resources": [
                    {
                        "resource": r.resource,
                        "last_success_at": _iso(r.last_success_at),
                        "newest_row_at": _iso(r.newest_row_at),
                        "newest_row_age_seconds": (
                            round((generated - r.newest_row_at).total_seconds(), 1)
                            if r.newest_row_at
                            else None
                        ),
                        "lag_seconds": r.lag_seconds,
                    }
                    for r in i.resources
                ],
                "dead_letters": i.dead_letters,
            }
            for i in venue.integrations
        ],
    }
