"""Square connector: pages of raw records per resource, incremental by `updated_at`, every location.

Requests go through the `squareup` SDK's HTTP client (see transport.py); each page is parsed once.

State after a read (JSON; marks are unix milliseconds of Square's `updated_at`):
    payments, refunds, orders
        locations   {location_id: {mark, ids}}: the newest `updated_at` of the stream that read
                    the location, and the ids at exactly that mark (skipped when read again).
                    Payments and refunds are read per location (Square lists only the main one
                    without `location_id`), sorted by UPDATED_AT newest first; orders are
                    searched for up to 10 locations at once, the group's stream giving each of
                    its locations the same mark, so regrouping after a new location only reads
                    a little twice.
    customers       mark: the newest `updated_at` seen; the next search starts CUSTOMERS_OVERLAP
                    before it (customers search cannot sort by updated_at).
    catalog_items, catalog_variations
        mark        Square's `latest_time` of the last search, the next `begin_time`; deleted
                    objects are included and come with `deleted_at`.
    locations       none: read whole every time.
The first read (or a full refresh) asks from HISTORY_START, never Square's one-year default.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from connectors.base import Page
from connectors.common.oauth import TokenStore
from connectors.common.paging import chain_pages, paginate, with_final_state
from connectors.common.rate import RateBudget
from connectors.common.resources import resource_named
from connectors.common.retry import RetryPolicy
from connectors.square.oauth import token_keeper
from connectors.square.resources import RESOURCES, SquareResource
from connectors.square.streams import Streams
from connectors.square.transport import SquareTransport


class SquareConnector:
    """One Square merchant, read through the official SDK's HTTP client."""

    provider = "square"

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        *,
        token_store: TokenStore | None = None,
        rate_per_second: float = 10.0,
        retry_policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tokens = token_keeper(credentials, token_store, self._obtain_token, clock=clock)
        self._http = SquareTransport(
            credentials,
            base_url,
            self.tokens.token,
            rate_per_second=rate_per_second,
            retry_policy=retry_policy,
            credential=self.tokens,
            sleep=sleep,
        )
        self.budget: RateBudget = self._http.budget
        self._streams = Streams(self._http.call)

    # -- the Connector protocol -------------------------------------------------------------

    def resources(self) -> list[str]:
        """Names of the resources this connector reads."""
        return list(RESOURCES)

    def read(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False
    ) -> Iterator[Page]:
        """Pages of `resource` changed since `state` (everything when empty or full_refresh)."""
        res = self._resource(resource)
        state = {} if full_refresh else dict(state or {})
        notes: list[str] = []
        sources, final_state = self._streams.plan(res, state, notes)
        return with_final_state(
            chain_pages(*(lambda f=f, w=w: paginate(f, what=w) for f, w in sources)),
            final_state,
            notes,
        )

    def fetch(self, resource: str, object_id: str) -> dict[str, Any]:
        """One object as Square has it now."""
        res = self._resource(resource)
        assert res.fetch_path and res.fetch_key
        body = self._http.call(
            "GET", res.fetch_path.format(id=quote(object_id, safe="")), what=f"{res.name} get"
        )
        return body[res.fetch_key]

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    # -- requests ------------------------------------------------------------------------

    def _resource(self, name: str) -> SquareResource:
        return resource_named("square", RESOURCES, name)

    def _obtain_token(self, body: dict[str, Any]) -> dict[str, Any]:
        """Square's token endpoint, sent once without asking the keeper for a token: the request
        that asked for the token retries a refresh that failed."""
        return self._http.call(
            "POST", "/oauth2/token", body=body, what="oauth token", authorize=False, retry=False
        )
