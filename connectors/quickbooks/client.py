"""QuickBooks Online connector: pages of entities per resource, by query, with CDC for deletions.

State of one resource after a read (JSON; times in unix seconds):
    updated_cursor      newest `MetaData.LastUpdatedTime` read; the next read queries
                        `Metadata.LastUpdatedTime >= ` it
    updated_cursor_ids  Ids read at exactly updated_cursor, skipped when queried again
    cdc_cursor          CDC has been read up to here (`changedSince` of the next read)
    cdc_cursor_ids      Ids seen by CDC at exactly cdc_cursor
    cdc_checked_at      our clock when the read began; older than CDC's 30 days: full re-read
Order within a read (the pipeline keeps the first occurrence of an Id): deletions from CDC first
(a deletion is final), then the query newest first. Query pages overlap by a few records so that
objects deleted while the read runs cannot shift an unread one past a page boundary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from connectors.base import Page, Window
from connectors.common.cursors import Boundary
from connectors.common.http import checked_base_url
from connectors.common.paging import Fetched, chain_pages, paginate, with_final_state
from connectors.common.resources import resource_named
from connectors.common.retry import RetryPolicy
from connectors.common.times import iso_utc, parse_iso
from connectors.common.tokenstore import MemoryTokenStore
from connectors.common.tokenstore import RecordStore as TokenStore
from connectors.errors import FatalAPIError
from connectors.quickbooks.auth import TokenKeeper
from connectors.quickbooks.cdc import deletions
from connectors.quickbooks.entities import (
    CDC_RETENTION_SECONDS,
    DISCOVERY_PATH,
    MAX_CONCURRENT,
    PAGE_SIZE,
    PRODUCTION_API,
    REQUESTS_PER_MINUTE,
    RESOURCES,
    QuickBooksResource,
)
from connectors.quickbooks.query import select_count, select_page
from connectors.quickbooks.transport import QuickBooksTransport

PRODUCTION_DISCOVERY = "production"  # intuit-oauth's name for Intuit's own discovery document
STALE_AFTER = CDC_RETENTION_SECONDS - 3600
# Clock difference with Intuit tolerated: CDC is re-read from this far behind our own clock.
SKEW_MARGIN = 600
OVERLAP = 20  # records each query page re-reads of the previous one


class QuickBooksConnector:
    """One QuickBooks company (realm), read over the Accounting API."""

    provider = "quickbooks"
    id_key = "Id"

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        *,
        token_store: TokenStore | None = None,
        rate_per_minute: float = REQUESTS_PER_MINUTE,
        max_concurrent: int = MAX_CONCURRENT,
        retry_policy: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base = checked_base_url("quickbooks", base_url)
        self.keeper = TokenKeeper(
            credentials,
            base + DISCOVERY_PATH if base else PRODUCTION_DISCOVERY,
            token_store or MemoryTokenStore(),
            clock=clock,
        )
        self._http = QuickBooksTransport(
            base or PRODUCTION_API,
            self.keeper,
            rate_per_minute=rate_per_minute,
            max_concurrent=max_concurrent,
            retry_policy=retry_policy,
            sleep=sleep,
        )
        self.budget = self._http.budget
        self._page_size = page_size
        self._clock = clock

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
        """Pages of `resource` changed since `state` (everything when empty or full_refresh).

        With `window`, the entities created in [start, end), newest first, and no state."""
        if window is not None:
            return self.read_window(resource, window)
        return self._read(self._resource(resource), dict(state or {}), full_refresh)

    def read_window(self, resource: str, window: Window) -> Iterator[Page]:
        """The entities of `resource` created in [start, end), newest first, and no state."""
        created = (window[0].timestamp(), window[1].timestamp())
        fetch = self._query_fetcher(self._resource(resource), Boundary(), Boundary(), created)
        return (page for page in paginate(fetch, start=1) if page.records)

    def fetch(self, resource: str, object_id: str) -> dict[str, Any]:
        """One entity as QuickBooks has it now; FatalAPIError with status 404 when it is gone."""
        res = self._resource(resource)
        body = self._http.get(f"{res.read_path}/{object_id}", {}, what=f"{res.name} {object_id}")
        found = body.get(res.entity)
        if not isinstance(found, dict):
            raise FatalAPIError(
                f"quickbooks {res.name} {object_id}: the answer holds no {res.entity}",
                status=404,
                provider="quickbooks",
            )
        return found

    def count(self, resource: str) -> int:
        """What QuickBooks says exists now (`select count(*)`)."""
        res = self._resource(resource)
        body = self._query(res, select_count(res.entity), "count")
        return int(body.get("totalCount") or 0)

    def close(self) -> None:
        """Release connections."""
        self._http.close()

    # -- reading ----------------------------------------------------------------------------
    def _resource(self, name: str) -> QuickBooksResource:
        return resource_named("quickbooks", RESOURCES, name)

    def _read(
        self, res: QuickBooksResource, state: dict[str, Any], full_refresh: bool
    ) -> Iterator[Page]:
        started = int(self._clock())
        notes: list[str] = []
        full = full_refresh or self._needs_full_read(res, state, started, notes)
        old_updated = Boundary() if full else _restore(state, "updated_cursor")
        new_updated = Boundary(old_updated.value, set(old_updated.ids))
        cdc = Boundary() if full else _restore(state, "cdc_cursor")
        stuck: list[bool] = []  # CDC could not read past one second's changes: read in full
        sources: list[Callable[[], Iterable[Page]]] = []
        if not full:
            sources.append(
                lambda: deletions(
                    self._http, res, cdc, started, what=f"{res.name} changes", stuck=stuck
                )
            )
        sources.append(  # started once CDC has been read (chain_pages)
            lambda: paginate(
                self._query_fetcher(res, Boundary() if stuck else old_updated, new_updated),
                start=1,
            )
        )
        sources.append(lambda: self._changed_meanwhile(res, started) if full or stuck else ())

        def final_state() -> dict[str, Any]:
            floor = started - SKEW_MARGIN
            mark = cdc if cdc.value is not None and cdc.value >= floor else Boundary(floor)
            return {
                "updated_cursor": new_updated.value,
                "updated_cursor_ids": new_updated.saved_ids(),
                "cdc_cursor": mark.value,
                "cdc_cursor_ids": mark.saved_ids(),
                "cdc_checked_at": started,
            }

        pages = with_final_state(
            chain_pages(*sources), final_state, notes, listed_all=lambda: full or bool(stuck)
        )
        return self._with_total(res, pages) if full else pages

    def _with_total(self, res: QuickBooksResource, pages: Iterable[Page]) -> Iterator[Page]:
        """`pages` with QuickBooks' count of the entity on the last one (after reading it all)."""
        held: Page | None = None
        for page in pages:
            if held is not None:
                yield held
            held = page
        if held is not None:
            held.expected_total = self.count(res.name)
            yield held

    @staticmethod
    def _needs_full_read(
        res: QuickBooksResource, state: dict[str, Any], now: int, notes: list[str]
    ) -> bool:
        if not state:
            return True
        marks = [m for m in (state.get("cdc_cursor"), state.get("cdc_checked_at")) if m]
        if not marks:
            notes.append(f"quickbooks {res.name}: state has no CDC cursor: full re-read")
            return True
        if now - max(marks) > STALE_AFTER:
            notes.append(
                f"quickbooks {res.name}: CDC cursor from {iso_utc(max(marks))} is older than "
                "CDC's 30 days: full re-read (what it no longer lists is marked deleted)"
            )
            return True
        return False

    def _query_fetcher(
        self,
        res: QuickBooksResource,
        taken: Boundary,
        seen: Boundary,
        created: tuple[float, float] | None = None,
    ) -> Callable[[int | None], Fetched[int]]:
        read: set[str] = set()
        size = self._page_size

        def fetch(start: int | None) -> Fetched[int]:
            position = start or 1
            text = select_page(res.entity, taken.value, position, size, created)
            body = self._query(res, text, "query")
            listed = body.get(res.entity) or []
            records: list[dict[str, Any]] = []
            for record in listed:
                object_id = str(record.get("Id"))
                updated = _updated(record)
                seen.see(updated, object_id)
                if object_id in read or taken.taken(updated, object_id):
                    continue
                read.add(object_id)
                records.append(record)
            more = len(listed) >= size
            step = max(1, len(listed) - OVERLAP) if size > OVERLAP else len(listed)
            return Fetched(records, position + step if more else None)

        return fetch

    def _changed_meanwhile(self, res: QuickBooksResource, started: int) -> Iterable[Page]:
        """After a read of everything: what changed since it began. The query pages newest
        change first by offset, so an entity changed during the read moves to a page already
        read and is stepped over; unread, it would be marked deleted. Its cursor stays: the
        next read takes these again, and so replaces any that this run read in an older version
        first (a run keeps the first version of an id it reads)."""
        since = Boundary(started - SKEW_MARGIN)
        return paginate(self._query_fetcher(res, since, Boundary()), start=1)

    def _query(self, res: QuickBooksResource, text: str, kind: str) -> dict[str, Any]:
        body = self._http.get("query", {"query": text}, what=f"{res.name} {kind}")
        found = body.get("QueryResponse")
        if not isinstance(found, dict):
            raise FatalAPIError(
                f"quickbooks {res.name} {kind}: the answer has no QueryResponse",
                provider="quickbooks",
            )
        return found


def _restore(state: dict[str, Any], name: str) -> Boundary:
    return Boundary.restore(state.get(name), state.get(f"{name}_ids"))


def _updated(record: dict[str, Any]) -> int | None:
    stamp = (record.get("MetaData") or {}).get("LastUpdatedTime")
    return int(parse_iso(stamp)) if stamp else None
