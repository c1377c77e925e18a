"""Stripe connector: pages of raw records per resource, incremental by `created` and `/v1/events`.

Requests go through the official SDK's client and transport (auth, API version, `Stripe-Account`,
connection pooling), but each page body is parsed once with orjson: no `StripeObject` per record.

State of one resource after a read (JSON; times in unix seconds):
    created_cursor       largest `created` in the resource's list; the next read lists
                         `created[gte]` it
    created_cursor_ids   ids listed at exactly created_cursor, skipped when listed again
    events_cursor        `created` of the newest event of the resource's types when the read
                         began; the next read takes events `created[gte]` it (None: none yet)
    events_cursor_ids    ids of the events at exactly events_cursor that the read covered:
                         those the boundary probe saw, or, when it saw too many in that second,
                         those the events read listed (empty only when a full read could not
                         tell them all: they are then read again)
    events_checked_at    our clock when the read began; when both this and events_cursor are
                         older than Stripe's 30-day event retention, the next read is a full one
A windowed read (`window=(start, end)`, a backfill) lists `created[gte]=start`, `created[lt]=end`,
takes no events and yields no state: the cursors stay where they were.
Order within a read (the pipeline keeps the first occurrence of an id): the list (current state),
then events newest first. An object changed while a read runs may be shadowed here by its listed
state; its event is newer than the saved events_cursor, so the next read takes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from connectors.base import Page, Window
from connectors.common.cursors import Boundary
from connectors.common.paging import Fetched, chain_pages, paginate, with_final_state
from connectors.common.rate import RateBudget
from connectors.common.resources import resource_named
from connectors.common.retry import RetryPolicy
from connectors.common.splits import Recipe, Split, oldest_bound, windows
from connectors.common.times import iso_utc
from connectors.errors import ConfigurationError
from connectors.stripe.resources import (
    EVENT_RETENTION_SECONDS,
    PAGE_SIZE,
    RESOURCES,
    StripeResource,
    is_deletion,
)
from connectors.stripe.transport import StripeTransport

# A safety margin under the 30 days, for clock skew between us and Stripe.
STALE_AFTER = EVENT_RETENTION_SECONDS - 3600
# Events the boundary probe asks for: enough to hold every event of the newest second, usually.
PROBE_EVENTS = 10


class StripeConnector:
    """One Stripe account (or Connect account), read through the official SDK's transport."""

    provider = "stripe"
    # A full read is split only when it looks longer than this many pages: below that, the
    # probes and the worker processes cost more than they save.
    split_min_pages = 20

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        *,
        max_network_retries: int = 0,
        rate_per_second: float = 25.0,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = StripeTransport(
            credentials,
            base_url,
            max_network_retries=max_network_retries,
            rate_per_second=rate_per_second,
            retry_policy=retry_policy,
            sleep=sleep,
        )
        self.budget: RateBudget = self._http.budget
        self._clock = clock
        self._recipe: dict[str, Any] = {
            "credentials": dict(credentials),
            "base_url": base_url,
            "max_network_retries": max_network_retries,
            "rate_per_second": rate_per_second,
            "retry_policy": retry_policy,
        }

    # -- the Connector protocol -------------------------------------------------------------

    def resources(self) -> list[str]:
        """Names of the resources this connector reads."""
        return list(RESOURCES)

    def read(
        self,
        resource: str,
        state: Mapping[str, Any],
        *,
        full_refresh: bool = False,
        window: Window | None = None,
    ) -> Iterator[Page]:
        """Pages of `resource` changed since `state` (everything when empty or full_refresh);
        with `window`, the objects created in [start, end), leaving every cursor as it was."""
        if window is not None:
            return self.read_window(resource, window)
        return self._read(self._resource(resource), dict(state or {}), full_refresh)

    def read_window(self, resource: str, window: Window) -> Iterator[Page]:
        """The objects of `resource` created in [start, end), leaving every cursor as it was."""
        return self._read_window(self._resource(resource), window)

    def fetch(self, resource: str, object_id: str) -> dict[str, Any]:
        """One object as Stripe has it now (a deleted one comes as `{id, object, deleted: true}`)."""
        res = self._resource(resource)
        return self._http.get(
            f"{res.path}/{quote(object_id, safe='')}", {}, what=f"{res.name} {object_id}"
        )

    def close(self) -> None:
        """Release this thread's pooled connection."""
        self._http.close()

    # -- split reads: one full read by several workers at once --------------------------------

    def split(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False, parts: int
    ) -> Split | None:
        """A full read of `resource` cut into about `parts` creation windows (newest first);
        None when the read would be incremental or looks shorter than `split_min_pages` pages
        (judged by how much time the first page spans)."""
        res = self._resource(resource)
        started = int(self._clock())
        notes: list[str] = []
        if not (full_refresh or self._needs_full_read(res, dict(state or {}), started, notes)):
            return None
        params: dict[str, Any] = {"limit": PAGE_SIZE, **dict(res.list_params)}
        first, more = self._http.list_page(res.path, params, what=res.name)
        if more is None or not isinstance(first[0].get("created"), int):
            return None
        newest = first[0]["created"]

        def exists_before(moment: int) -> bool:
            probe = {**params, "limit": 1, "created": {"lt": moment}}
            return bool(self._http.list_page(res.path, probe, what=res.name)[0])

        span = max(1, newest - int(first[-1].get("created") or newest))
        if not exists_before(newest - span * self.split_min_pages):
            return None
        oldest = oldest_bound(exists_before, newest)
        # before any part lists: what changes from here on, the next read's events carry
        events = self._events_boundary(res) if res.event_types else Boundary()
        token = {"started": started, "events": [events.value, events.saved_ids()]}
        return Split(windows(oldest, newest, parts), token, notes)

    def read_part(self, resource: str, part: Mapping[str, Any]) -> Iterator[Page]:
        """The pages of one window of a split; the last page's state sums the window up for
        `join_parts` (it is not a cursor)."""
        res = self._resource(resource)
        created = {op: part[op] for op in ("gte", "lt") if part.get(op) is not None}
        filters = {"created": created} if created else {}
        seen = Boundary()
        fetch = self._list_fetcher(res, filters, Boundary(), seen, int(self._clock()))
        pages = paginate(fetch, what=f"{res.name} part {created or 'all'}")
        return with_final_state(
            pages,
            lambda: {"created_cursor": seen.value, "created_cursor_ids": seen.saved_ids()},
        )

    def join_parts(
        self, resource: str, split: Split, summaries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The state a serial full read would have left, from every part's summary."""
        res = self._resource(resource)
        created = Boundary()
        for summary in summaries:
            for object_id in summary.get("created_cursor_ids") or ():
                created.see(summary.get("created_cursor"), object_id)
        out: dict[str, Any] = {
            "created_cursor": created.value,
            "created_cursor_ids": created.saved_ids(),
        }
        if res.event_types:
            events = Boundary.restore(*split.token["events"])
            out["events_cursor"] = events.value
            out["events_cursor_ids"] = events.saved_ids()
            out["events_checked_at"] = split.token["started"]
        return out

    def recipe(self, share: float = 1.0) -> Recipe:
        """How a worker process builds this connector with `share` of its rate budget."""
        kwargs = dict(self._recipe)
        kwargs["rate_per_second"] = kwargs["rate_per_second"] * share
        return Recipe(StripeConnector, kwargs)

    # -- reading ----------------------------------------------------------------------------

    def _resource(self, name: str) -> StripeResource:
        return resource_named("stripe", RESOURCES, name)

    def _read(
        self, res: StripeResource, state: dict[str, Any], full_refresh: bool
    ) -> Iterator[Page]:
        started = int(self._clock())
        notes: list[str] = []
        full = full_refresh or self._needs_full_read(res, state, started, notes)
        old_events = Boundary.restore(state.get("events_cursor"), state.get("events_cursor_ids"))
        if full:
            old_events = Boundary()
        new_events = self._events_boundary(res) if res.event_types else Boundary()
        if new_events.value is None:
            new_events = old_events
        old_created = Boundary()
        if not full:
            old_created = Boundary.restore(
                state.get("created_cursor"), state.get("created_cursor_ids")
            )
        new_created = Boundary(old_created.value, set(old_created.ids))
        filters = {"created": {"gte": old_created.value}} if old_created.value else {}
        sources = [
            lambda: paginate(
                self._list_fetcher(res, filters, old_created, new_created, started), what=res.name
            )
        ]
        # the ids the events read lists at the new mark: all of them, when the probe saw too
        # many in that second to name them (a bulk change)
        at_mark: set[str] = set()
        reads_events = bool(res.event_types) and not full
        if reads_events:
            fetch_events = self._event_fetcher(res, old_events, new_events.value, at_mark)
            sources.append(lambda: paginate(fetch_events, what=f"{res.name} events"))

        def final_state() -> dict[str, Any]:
            if reads_events and not new_events.ids:
                new_events.ids = set(at_mark)
            out: dict[str, Any] = {
                "created_cursor": new_created.value,
                "created_cursor_ids": new_created.saved_ids(),
            }
            if res.event_types:
                out["events_cursor"] = new_events.value
                out["events_cursor_ids"] = new_events.saved_ids()
                out["events_checked_at"] = started
            return out

        yield from with_final_state(
            chain_pages(*sources), final_state, notes, listed_all=lambda: full
        )

    def _read_window(self, res: StripeResource, window: Window) -> Iterator[Page]:
        start, end = _unix(window[0], "start"), _unix(window[1], "end")
        if end <= start:
            raise ConfigurationError(
                f"stripe {res.name}: window end {iso_utc(end)} is not after start "
                f"{iso_utc(start)}: give (start, end) with start < end",
                provider="stripe",
            )
        filters = {"created": {"gte": start, "lt": end}}
        fetch = self._list_fetcher(res, filters, Boundary(), Boundary(), int(self._clock()))
        return paginate(fetch, what=f"{res.name} created {iso_utc(start)}..{iso_utc(end)}")

    @staticmethod
    def _needs_full_read(
        res: StripeResource, state: dict[str, Any], now: int, notes: list[str]
    ) -> bool:
        if not state:
            return True
        if not res.event_types:
            return False
        marks = [m for m in (state.get("events_cursor"), state.get("events_checked_at")) if m]
        if not marks:
            notes.append(f"stripe {res.name}: state has no events cursor: full re-read")
            return True
        if now - max(marks) > STALE_AFTER:
            notes.append(
                f"stripe {res.name}: events cursor from {iso_utc(max(marks))} is older than "
                "Stripe's 30-day event retention: full re-read (what it no longer lists is "
                "marked deleted)"
            )
            return True
        return False

    def _list_fetcher(
        self,
        res: StripeResource,
        filters: dict[str, Any],
        taken: Boundary,
        seen: Boundary,
        now: int,
    ) -> Callable[[str | None], Fetched[str]]:
        def fetch(cursor: str | None) -> Fetched[str]:
            params: dict[str, Any] = {"limit": PAGE_SIZE, **dict(res.list_params), **filters}
            if cursor:
                params["starting_after"] = cursor
            listed, next_cursor = self._http.list_page(res.path, params, what=res.name)
            records: list[dict[str, Any]] = []
            for record in listed:
                created = record.get("created")
                if not taken.taken(created, record["id"]):
                    records.append(record)
                seen.see(created, record["id"])
            gone = [iso_utc(now) if is_deletion(None, r) else None for r in records]
            return Fetched(records, next_cursor, gone if any(gone) else None)

        return fetch

    def _event_fetcher(
        self, res: StripeResource, taken: Boundary, mark: int | None, at_mark: set[str]
    ) -> Callable[[str | None], Fetched[str]]:
        """Fetches pages of events since `taken`; adds the ids of those created at `mark`
        to `at_mark`."""

        def fetch(cursor: str | None) -> Fetched[str]:
            params: dict[str, Any] = {"limit": PAGE_SIZE, "types": list(res.event_types)}
            if taken.value is not None:
                params["created"] = {"gte": taken.value}
            if cursor:
                params["starting_after"] = cursor
            events, next_cursor = self._http.list_page(
                "/v1/events", params, what=f"{res.name} events"
            )
            records: list[dict[str, Any]] = []
            gone: list[str | None] = []
            for event in events:
                obj = (event.get("data") or {}).get("object")
                if mark is not None and event.get("created") == mark:
                    at_mark.add(event.get("id", ""))
                if taken.taken(event.get("created"), event.get("id", "")):
                    continue
                if isinstance(obj, dict) and obj.get("object") == res.object:
                    records.append(obj)
                    deleted = is_deletion(event.get("type"), obj)
                    gone.append(iso_utc(event["created"]) if deleted else None)
            return Fetched(records, next_cursor, gone if any(gone) else None)

        return fetch

    def _events_boundary(self, res: StripeResource) -> Boundary:
        """The newest second of this resource's events now, and every event id in it.

        When the probe cannot see all of that second's events, the ids stay empty: they are
        read again next time (harmless, newest first), never some skipped and some not.
        """
        params = {"limit": PROBE_EVENTS, "types": list(res.event_types)}
        body = self._http.get("/v1/events", params, what=f"{res.name} events")
        events = body.get("data") or []
        if not events:
            return Boundary()
        top = int(events[0]["created"])
        at_top = [e["id"] for e in events if int(e["created"]) == top]
        complete = len(at_top) < len(events) or not body.get("has_more")
        return Boundary(top, set(at_top) if complete else set())


def _unix(moment: Any, name: str) -> int:
    """Unix seconds of a timezone-aware datetime; ConfigurationError for anything else."""
    if getattr(moment, "tzinfo", None) is None or not hasattr(moment, "timestamp"):
        raise ConfigurationError(
            f"stripe window {name} {moment!r}: give a timezone-aware datetime "
            "(e.g. datetime(2024, 1, 1, tzinfo=UTC))",
            provider="stripe",
        )
    return int(moment.timestamp())
