"""Read-only questions asked of the sync logs and dead letters: filtered history, each
integration's last success and failure, when each resource last synced, dead letters by
integration. Plain functions over an open Store; nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select

from warehouse.store.engine import read_transaction
from warehouse.store.models import SyncLog
from warehouse.store.schema import dead_letters, sync_logs

if TYPE_CHECKING:
    from warehouse.store.store import Store

SYNC_LOG_STATUSES = ("running", "success", "failed")


@dataclass(frozen=True)
class LogFilter:
    """Which sync logs a reader wants; every field left None matches everything."""

    venue_id: str | None = None
    integration_id: str | None = None
    since: datetime | None = None  # started at or after
    until: datetime | None = None  # started before
    status: str | None = None
    provider: str | None = None
    resource: str | None = None
    before_id: int | None = None


def find_sync_logs(store: Store, where: LogFilter, limit: int = 100) -> list[SyncLog]:
    """The sync logs matching `where`, newest first, at most `limit`."""
    c = sync_logs.c
    query = select(sync_logs).order_by(c.id.desc()).limit(max(0, limit))
    for column, value in (
        (c.venue_id, where.venue_id),
        (c.integration_id, where.integration_id),
        (c.status, where.status),
        (c.provider, where.provider),
        (c.resource, where.resource),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(c.started_at >= where.since)
    if where.until is not None:
        query = query.where(c.started_at < where.until)
    if where.before_id is not None:
        query = query.where(c.id < where.before_id)
    with read_transaction(store.engine) as conn:
        return [SyncLog(**row) for row in conn.execute(query).mappings()]


def last_logs_by_status(
    store: Store, integration_ids: Sequence[str]
) -> dict[tuple[str, str], SyncLog]:
    """The newest finished log of each (integration, status) among `integration_ids`."""
    if not integration_ids:
        return {}
    c = sync_logs.c
    newest = (
        select(func.max(c.id).label("id"))
        .where(c.integration_id.in_(list(integration_ids)), c.finished_at.is_not(None))
        .group_by(c.integration_id, c.status)
        .subquery()
    )
    query = select(sync_logs).join(newest, and_(c.id == newest.c.id))
    with read_transaction(store.engine) as conn:
        logs = [SyncLog(**row) for row in conn.execute(query).mappings()]
    return {(log.integration_id, log.status): log for log in logs}


def last_success_by_resource(
    store: Store, integration_ids: Sequence[str]
) -> dict[tuple[str, str], datetime]:
    """When each (integration, resource) last finished a successful sync."""
    if not integration_ids:
        return {}
    c = sync_logs.c
    query = (
        select(c.integration_id, c.resource, func.max(c.finished_at))
        .where(c.integration_id.in_(list(integration_ids)), c.status == "success")
        .group_by(c.integration_id, c.resource)
    )
    with read_transaction(store.engine) as conn:
        return {(i, r): at for i, r, at in conn.execute(query) if at is not None}


def dead_letters_by_integration(store: Store) -> dict[str | None, int]:
    """How many dead letters wait, by integration id (None: work of no one integration)."""
    c = dead_letters.c
    query = select(c.integration_id, func.count()).group_by(c.integration_id)
    with read_transaction(store.engine) as conn:
        return {integration: int(count) for integration, count in conn.execute(query)}
