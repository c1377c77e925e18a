"""Apply a batch of stored webhook events: fetch what changed, map it, merge it; no cursor moves.

Events arrive at least once and in any order, so an event's own payload may be older than what a
sync already loaded. Each changed object is therefore fetched once per batch in its current state
(the payload is used only when the provider has no fetch or the object is gone), which makes the
outcome independent of delivery order and repeats.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.base import Connector, Fetches, Page, id_key
from connectors.common.webhooks import WebhookEvent
from connectors.errors import FatalAPIError
from pipelines.extract import ResourceOutcome, ResourceReader, mapping_context
from pipelines.landing import last_known_records
from pipelines.loaders import LOAD_ORDER, Loaders
from pipelines.runs import SyncContext
from pipelines.spool import Spool

if TYPE_CHECKING:
    from warehouse.store import Integration

log = logging.getLogger(__name__)


@dataclass
class EventsResult:
    """What a batch did: objects merged per resource, and events that map to nothing."""

    integration_id: str
    run_id: str
    applied: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def apply_webhook_events(
    integration: Integration,
    events: Iterable[WebhookEvent],
    ctx: SyncContext,
    *,
    run_id: str | None = None,
) -> EventsResult:
    """Merge the objects these events name into staging, core and raw. Connector errors propagate
    (the caller retries the batch or dead-letters it); nothing is loaded for a failed batch."""
    run_id = run_id or uuid.uuid4().hex
    result = EventsResult(integration.id, run_id)
    by_resource: dict[str, list[WebhookEvent]] = defaultdict(list)
    for event in events:
        resource = event.resource
        if resource and event.object_id and ctx.catalog.staging_for(integration.provider, resource):
            by_resource[resource].append(event)
        else:
            result.ignored.append(event.event_id)
    if not by_resource:
        return result
    connector = ctx.connector_factory(integration, ctx.store)
    loaders = Loaders(ctx.warehouse, ctx.dlt_dir)
    spool = Spool.temporary(ctx.dlt_dir / "spool", "events-")
    context = mapping_context(integration, run_id)
    try:
        for resource, batch in by_resource.items():
            compiled = ctx.catalog.compiled_for(
                integration.provider, resource, integration.venue_id
            )
            reader = ResourceReader(
                resource,
                compiled,
                context,
                spool,
                id_key=id_key(connector),
                last_known=functools.partial(
                    last_known_records,
                    ctx.warehouse,
                    integration.provider,
                    resource,
                    integration.id,
                ),
            )
            outcome = ResourceOutcome(resource, cursor_before={})
            reader.take(_current_state(connector, resource, batch), outcome)
            result.applied[resource] = outcome.rows_extracted
            result.deleted[resource] = outcome.rows_deleted
        with loaders.writing(LOAD_ORDER):
            loaders.load([spool], LOAD_ORDER)
    finally:
        connector.close()
        spool.close()
    return result


def _current_state(connector: Connector, resource: str, events: list[WebhookEvent]) -> Page:
    """One page with each named object once, in its current state, newest event first."""
    newest: dict[str, WebhookEvent] = {}
    for event in sorted(events, key=lambda e: e.occurred_at, reverse=True):
        newest.setdefault(str(event.object_id), event)
    records: list[dict[str, Any]] = []
    deleted_at: list[str | None] = []
    fetch = connector.fetch if isinstance(connector, Fetches) else None
    key = id_key(connector)
    for object_id, event in newest.items():
        record, gone = _fetch(fetch, resource, object_id, event, key)
        records.append(record)
        deleted_at.append(event.occurred_at if gone else None)
    return Page(records=records, deleted_at=deleted_at)


def _fetch(
    fetch: Callable[[str, str], dict[str, Any]] | None,
    resource: str,
    object_id: str,
    event: WebhookEvent,
    id_key: str,
) -> tuple[dict[str, Any], bool]:
    last_known = event.object or {id_key: object_id}
    if event.deleted:
        return last_known, True
    if fetch is None:
        return last_known, False
    try:
        record = fetch(resource, object_id)
    except FatalAPIError as exc:
        if exc.status == 404:
            return last_known, True
        raise
    if record.get("deleted") is True:
        return {**last_known, **record}, True
    return record, False
