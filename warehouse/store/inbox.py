"""The webhook inbox: events stored before they are acknowledged, claimed once, retried, counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update

from warehouse.errors import StoreError
from warehouse.store.base import StoreBase
from warehouse.store.models import INBOX_STATUSES, InboxEvent
from warehouse.store.schema import counters, webhook_inbox
from warehouse.store.types import utcnow

DUPLICATES = "inbox_duplicates"
# A claim older than this is taken to belong to a worker that died; the events go out again.
DEFAULT_LEASE = timedelta(minutes=15)
# Request headers that may carry our own or a proxy's secrets: never kept.
_DROPPED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class NewInboxEvent:
    """One verified delivery's event, as the webhook route hands it to the store."""

    provider: str
    integration_id: str
    tenant_id: str
    venue_id: str
    event_id: str
    headers: dict[str, str]
    body: bytes


class InboxMixin(StoreBase):
    """Storing, claiming and settling webhook events."""

    def add_inbox_event(
        self,
        *,
        provider: str,
        integration_id: str,
        tenant_id: str,
        venue_id: str,
        event_id: str,
        headers: dict[str, str],
        body: bytes,
    ) -> bool:
        """Store a pending event, committed on return; False when it was stored before."""
        event = NewInboxEvent(
            provider, integration_id, tenant_id, venue_id, event_id, headers, bytes(body)
        )
        return self.add_inbox_events([event])[0]

    def add_inbox_events(self, events: Sequence[NewInboxEvent]) -> list[bool]:
        """Store pending events in one transaction, committed on return; for each, whether it
        is new (False: an event with its provider, integration and id was stored before, or
        earlier in `events`). Nothing is stored when any event has no id."""
        for event in events:
            if not isinstance(event.event_id, str):
                # The stored id comes back as text: another type would never match it again.
                raise TypeError(f"event id {event.event_id!r} must be a string")
            if not event.event_id:
                raise StoreError(
                    f"{event.provider} event for {event.integration_id} has no event id"
                )
        rows = [self._inbox_row(event) for event in events]
        statement = (
            self._insert(webhook_inbox)
            .on_conflict_do_nothing(index_elements=["provider", "integration_id", "event_id"])
            .returning(
                webhook_inbox.c.provider, webhook_inbox.c.integration_id, webhook_inbox.c.event_id
            )
        )
        with self._write() as conn:
            inserted = {tuple(row) for row in conn.execute(statement, rows)}
            fresh = _first_of_inserted(events, inserted)
            repeats = fresh.count(False)
            if repeats:
                conn.execute(
                    update(counters)
                    .where(counters.c.name == DUPLICATES)
                    .values(value=counters.c.value + repeats)
                )
        return fresh

    @staticmethod
    def _inbox_row(event: NewInboxEvent) -> dict[str, Any]:
        kept = {k: v for k, v in event.headers.items() if k.lower() not in _DROPPED_HEADERS}
        return {
            "provider": event.provider,
            "integration_id": event.integration_id,
            "tenant_id": event.tenant_id,
            "venue_id": event.venue_id,
            "event_id": event.event_id,
            "received_at": utcnow(),
            "headers": kept,
            "body": event.body,
            "status": "pending",
            "attempts": 0,
        }

    def claim_inbox_events(
        self,
        *,
        limit: int = 500,
        integration_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> list[InboxEvent]:
        """Take up to `limit` pending events (oldest first): they become `processing`, attempts+1.

        Concurrent claimers never get the same event. Events left `processing` longer than
        `lease` (their worker died) are claimable again.
        """
        now = utcnow()
        claimable = _claimable(now - lease)
        if integration_id is not None:
            claimable = and_(claimable, webhook_inbox.c.integration_id == integration_id)
        candidates = (
            select(webhook_inbox.c.id)
            .where(claimable)
            .order_by(webhook_inbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._write() as conn:
            ids = list(conn.execute(candidates).scalars())
            if not ids:
                return []
            # Re-checking `claimable` here is what keeps a second claimer off these rows.
            claimed = conn.execute(
                update(webhook_inbox)
                .where(webhook_inbox.c.id.in_(ids), claimable)
                .values(status="processing", attempts=webhook_inbox.c.attempts + 1, claimed_at=now)
                .returning(*webhook_inbox.c)
            ).mappings()
            events = [_event(row) for row in claimed]
        return sorted(events, key=lambda event: event.id)

    def mark_inbox_events(self, ids: list[int], status: str, error: str | None = None) -> None:
        """Settle claimed events: `done`, `pending` (try again later) or `failed`."""
        if status not in ("done", "pending", "failed"):
            raise StoreError(f"inbox status {status!r} is not one of done, pending, failed")
        if not ids:
            return
        if error is not None and len(error) > MAX_ERROR_CHARS:
            error = error[: MAX_ERROR_CHARS - 3] + "..."
        with self._write() as conn:
            conn.execute(
                update(webhook_inbox)
                .where(webhook_inbox.c.id.in_(list(ids)))
                .values(status=status, last_error=error, claimed_at=None)
            )

    def get_inbox_event(self, event_row_id: int) -> InboxEvent | None:
        """One stored event by its row id."""
        with self._read() as conn:
            row = (
                conn.execute(select(webhook_inbox).where(webhook_inbox.c.id == event_row_id))
                .mappings()
                .first()
            )
        return _event(row) if row is not None else None

    def inbox_stats(self) -> dict[str, int]:
        """Events by status (every status present, 0 when none) and `duplicates` dropped."""
        stats = dict.fromkeys(INBOX_STATUSES, 0)
        with self._read() as conn:
            by_status = conn.execute(
                select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
            )
            stats.update({status: int(count) for status, count in by_status})
            duplicates = conn.scalar(select(counters.c.value).where(counters.c.name == DUPLICATES))
        stats["duplicates"] = int(duplicates or 0)
        return stats

    def prune_inbox(self, *, done_before: datetime) -> int:
        """Delete `done` events received before `done_before`; how many.

        A provider redelivering an event after it was pruned gets it processed again, so keep
        events longer than the providers' retry windows (Stripe retries for three days).
        """
        with self._write() as conn:
            result = conn.execute(
                delete(webhook_inbox).where(
                    webhook_inbox.c.status == "done", webhook_inbox.c.received_at < done_before
                )
            )
            return int(result.rowcount)


def _claimable(stale_before: datetime) -> ColumnElement[bool]:
    return or_(
        webhook_inbox.c.status == "pending",
        and_(webhook_inbox.c.status == "processing", webhook_inbox.c.claimed_at < stale_before),
    )


def _event(row: Any) -> InboxEvent:
    return InboxEvent(
        id=row["id"],
        provider=row["provider"],
        integration_id=row["integration_id"],
        tenant_id=row["tenant_id"],
        venue_id=row["venue_id"],
        event_id=row["event_id"],
        received_at=row["received_at"],
        headers=dict(row["headers"]),
        body=bytes(row["body"]),
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
    )


def _first_of_inserted(
    events: Sequence[NewInboxEvent], inserted: set[tuple[Any, ...]]
) -> list[bool]:
    """Per event, whether it is new: inserted now, and not a repeat of one earlier in the batch."""
    seen: set[tuple[str, str, str]] = set()
    fresh = []
    for event in events:
        key = (event.provider, event.integration_id, event.event_id)
        fresh.append(key in inserted and key not in seen)
        seen.add(key)
    return fresh
