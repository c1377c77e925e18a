"""Sync logs: one row per integration, resource and run, opened when it starts, closed when done."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from warehouse.errors import NotFoundError
from warehouse.store.base import StoreBase
from warehouse.store.models import Integration, SyncLog
from warehouse.store.schema import sync_logs
from warehouse.store.types import utcnow

RUNNING = "running"


@dataclass(frozen=True)
class LastSync:
    """A resource's last sync: when it started, and the rows its last success read (None if
    none succeeded yet)."""

    started_at: datetime
    rows_read: int | None


@dataclass(frozen=True)
class LogStart:
    """A resource whose log row a run opens."""

    resource: str
    cursor_before: str | None
    spec_versions: Mapping[str, str] | None = None


@dataclass(frozen=True)
class LogFinish:
    """How a run's log row ends."""

    log_id: int
    status: str
    rows_extracted: int = 0
    rows_loaded: int = 0
    rows_deleted: int = 0
    rows_quarantined: int = 0
    cursor_after: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    details: dict[str, Any] | None = None


# Long provider errors are cut here; the full text belongs in the run's own log.
MAX_ERROR_CHARS = 4000


class SyncLogsMixin(StoreBase):
    """Writing and reading sync history."""

    def start_sync_log(
        self,
        *,
        integration: Integration,
        resource: str,
        run_id: str,
        cursor_before: str | None,
        spec_versions: Mapping[str, str] | None = None,
    ) -> int:
        """Open a `running` log row for one resource of one run; its id. `spec_versions`: the
        version of each spec that maps the resource, by table (`{"staging.stripe_charges":
        "sha256:1a2b3c4d5e6f"}`)."""
        (log_id,) = self.start_sync_logs(
            integration=integration,
            run_id=run_id,
            starts=[LogStart(resource, cursor_before, spec_versions)],
        )
        return log_id

    def start_sync_logs(
        self, *, integration: Integration, run_id: str, starts: Sequence[LogStart]
    ) -> list[int]:
        """Open the `running` log rows of several resources of one run in one transaction;
        their ids, in order."""
        ids = []
        now = utcnow()
        with self._write() as conn:
            for start in starts:
                # named only when given: a row without versions keeps SQL null
                versions = (
                    {}
                    if start.spec_versions is None
                    else {"spec_versions": dict(start.spec_versions)}
                )
                result = conn.execute(
                    insert(sync_logs).values(
                        run_id=run_id,
                        integration_id=integration.id,
                        tenant_id=integration.tenant_id,
                        venue_id=integration.venue_id,
                        provider=integration.provider,
                        resource=start.resource,
                        status=RUNNING,
                        started_at=now,
                        rows_extracted=0,
                        rows_loaded=0,
                        rows_deleted=0,
                        rows_quarantined=0,
                        cursor_before=start.cursor_before,
                        **versions,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None  # an INSERT of one row
                ids.append(int(key[0]))
        return ids

    def finish_sync_log(
        self,
        log_id: int,
        *,
        status: str,
        rows_extracted: int = 0,
        rows_loaded: int = 0,
        rows_deleted: int = 0,
        rows_quarantined: int = 0,
        cursor_after: str | None = None,
        error_class: str | None = None,
        error_message: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Close the log row with its outcome and counts (error text is cut to 4000 chars)."""
        self.finish_sync_logs(
            [
                LogFinish(
                    log_id,
                    status,
                    rows_extracted,
                    rows_loaded,
                    rows_deleted,
                    rows_quarantined,
                    cursor_after,
                    error_class,
                    error_message,
                    details,
                )
            ]
        )

    def finish_sync_logs(self, finishes: Sequence[LogFinish]) -> None:
        """Close several log rows in one transaction (see `finish_sync_log`)."""
        now = utcnow()
        with self._write() as conn:
            for end in finishes:
                message = end.error_message
                if message is not None and len(message) > MAX_ERROR_CHARS:
                    message = message[: MAX_ERROR_CHARS - 3] + "..."
                result = conn.execute(
                    update(sync_logs)
                    .where(sync_logs.c.id == end.log_id)
                    .values(
                        status=end.status,
                        finished_at=now,
                        rows_extracted=end.rows_extracted,
                        rows_loaded=end.rows_loaded,
                        rows_deleted=end.rows_deleted,
                        rows_quarantined=end.rows_quarantined,
                        cursor_after=end.cursor_after,
                        error_class=end.error_class,
                        error_message=message,
                        details=end.details,
                    )
                )
                if result.rowcount == 0:
                    raise NotFoundError(
                        f"no sync log {end.log_id} to finish: was it started in this store?"
                    )

    def get_sync_logs(self, log_ids: Sequence[int]) -> list[SyncLog]:
        """These log rows (those that exist), by id, in one query per 500 ids."""
        found: list[SyncLog] = []
        with self._read() as conn:
            for start in range(0, len(log_ids), 500):
                part = list(log_ids[start : start + 500])
                query = select(sync_logs).where(sync_logs.c.id.in_(part)).order_by(sync_logs.c.id)
                found += [SyncLog(**row) for row in conn.execute(query).mappings()]
        return found

    def get_sync_log(self, log_id: int) -> SyncLog:
        """One log row by id; NotFoundError when there is none."""
        with self._read() as conn:
            row = conn.execute(select(sync_logs).where(sync_logs.c.id == log_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no sync log {log_id}")
        return SyncLog(**row)

    def list_sync_logs(
        self,
        *,
        venue_id: str | None = None,
        tenant_id: str | None = None,
        integration_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[SyncLog]:
        """Newest first; `before_id` pages back from a previous page's last id."""
        query = select(sync_logs).order_by(sync_logs.c.id.desc()).limit(max(0, limit))
        if venue_id is not None:
            query = query.where(sync_logs.c.venue_id == venue_id)
        if tenant_id is not None:
            query = query.where(sync_logs.c.tenant_id == tenant_id)
        if integration_id is not None:
            query = query.where(sync_logs.c.integration_id == integration_id)
        if since is not None:
            query = query.where(sync_logs.c.started_at >= since)
        if before_id is not None:
            query = query.where(sync_logs.c.id < before_id)
        with self._read() as conn:
            return [SyncLog(**row) for row in conn.execute(query).mappings()]

    def last_sync_starts(self, integration_id: str) -> dict[str, datetime]:
        """When a sync of each of the integration's resources last started (resources never
        synced are absent)."""
        query = (
            select(sync_logs.c.resource, func.max(sync_logs.c.started_at))
            .where(sync_logs.c.integration_id == integration_id)
            .group_by(sync_logs.c.resource)
        )
        with self._read() as conn:
            return {resource: started for resource, started in conn.execute(query)}

    def fleet_sync_history(self) -> dict[str, dict[str, LastSync]]:
        """For every integration and resource ever synced, when its last sync started and how
        many rows its last successful sync read: two queries, whatever the fleet's size."""
        starts = select(
            sync_logs.c.integration_id, sync_logs.c.resource, func.max(sync_logs.c.started_at)
        ).group_by(sync_logs.c.integration_id, sync_logs.c.resource)
        newest = (
            func.row_number()
            .over(
                partition_by=(sync_logs.c.integration_id, sync_logs.c.resource),
                order_by=(sync_logs.c.started_at.desc(), sync_logs.c.id.desc()),
            )
            .label("newest")
        )
        succeeded = (
            select(
                sync_logs.c.integration_id,
                sync_logs.c.resource,
                sync_logs.c.rows_extracted,
                newest,
            )
            .where(sync_logs.c.status == "success")
            .subquery()
        )
        read = select(
            succeeded.c.integration_id, succeeded.c.resource, succeeded.c.rows_extracted
        ).where(succeeded.c.newest == 1)
        found: dict[str, dict[str, LastSync]] = {}
        with self._read() as conn:
            rows = {(i, r): n for i, r, n in conn.execute(read)}
            for integration_id, resource, started in conn.execute(starts):
                found.setdefault(integration_id, {})[resource] = LastSync(
                    started_at=started, rows_read=rows.get((integration_id, resource))
                )
        return found

    def prune_sync_logs(self, *, finished_before: datetime) -> int:
        """Delete log rows that finished before `finished_before`; how many.

        Rows still `running` (no finish time) are kept whatever their age: a run that died
        mid-way stays visible until it is looked into.
        """
        with self._write() as conn:
            result = conn.execute(
                delete(sync_logs).where(
                    sync_logs.c.finished_at.is_not(None),
                    sync_logs.c.finished_at < finished_before,
                )
            )
            return int(result.rowcount)
