"""Mailchimp connector: audiences, their members, campaigns and campaign reports.

Reads go through `MailchimpTransport` (the official SDK's API client, pooled, at most 10
connections per account in the process). Lists are offset-paged (`count` 1000, `offset`).

Every record gets `uid`, the key the pipeline dedupes and lands on (`id_key`): for members
`<list_id>:<member id>`, because a member id is the MD5 of the email and the same person in two
audiences has the same id; for the other resources `uid` is the id.

State (JSON; times in unix seconds):
    lists      none: every read lists every audience (they are few)
    members    {"lists": {list_id: {"cursor": newest last_changed, "ids": [uids at it]}}}; the
               next read asks each audience `since_last_changed` its cursor (taken as
               inclusive, as the sandbox serves it), skipping the ids already taken at it
    campaigns  created_cursor (+ _ids) and sent_cursor: new campaigns `since_create_time`,
               newly sent ones `since_send_time`
    reports    sent_cursor: reports `since_send_time` 30 days before it (opens and clicks keep
               changing after a send)
A full read (no state, or full_refresh) sets `Page.expected_total` to what Mailchimp says exists
(`total_items`, summed over the audiences for members); the pipeline compares it with the rows
read and warns in the sync log on a shortfall.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from connectors.base import Page
from connectors.common.cursors import Boundary
from connectors.common.paging import Fetched, chain_pages, paginate, with_final_state
from connectors.common.rate import RateBudget
from connectors.common.resources import resource_named
from connectors.common.retry import RetryPolicy
from connectors.errors import FatalAPIError
from connectors.mailchimp.offsets import Mark, offset_fetcher
from connectors.mailchimp.resources import (
    PAGE_SIZE,
    REPORT_LOOKBACK_SECONDS,
    RESOURCES,
    gone_at,
    mailchimp_time,
    with_uid,
)
from connectors.mailchimp.transport import MailchimpTransport

Source = Callable[[], Iterator[Page]]


class MailchimpConnector:
    """One Mailchimp account, read through the official SDK's API client."""

    provider = "mailchimp"
    id_key = "uid"

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = MailchimpTransport(
            credentials, base_url, retry_policy=retry_policy, sleep=sleep
        )
        self.budget: RateBudget = self._http.budget
        self.page_size = page_size
        self._clock = clock

    # -- the Connector protocol -------------------------------------------------------------

    def resources(self) -> list[str]:
        """Names of the resources this connector reads."""
        return list(RESOURCES)

    def read(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False
    ) -> Iterator[Page]:
        """Pages of `resource` changed since `state` (everything when empty or full_refresh)."""
        resource_named("mailchimp", {name: name for name in RESOURCES}, resource)
        old = {} if full_refresh else dict(state or {})
        reader = getattr(self, f"_read_{resource}")
        return reader(old)

    def fetch(self, resource: str, object_id: str) -> dict[str, Any]:
        """One object as Mailchimp has it now; a member by `<list_id>:<id>`, or by its bare id
        (then the first audience that holds it). An archived member comes with `deleted: true`."""
        if resource == "members":
            return self._fetch_member(object_id)
        resource_named("mailchimp", {name: name for name in RESOURCES}, resource)
        body = self._http.get(f"/{resource}/{quote(object_id, safe='')}", {}, what=resource)
        return with_uid(resource, body)

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    # -- resources ----------------------------------------------------------------------------

    def _read_lists(self, state: dict[str, Any]) -> Iterator[Page]:
        total: list[int] = []
        fetch = self._fetcher("/lists", "lists", {}, total)
        return self._finish([lambda: paginate(fetch, 0, what="lists")], dict, total)

    def _read_members(self, state: dict[str, Any]) -> Iterator[Page]:
        audiences = self._all_lists()
        saved = state.get("lists") or {}
        marks: dict[str, Boundary] = {}
        totals: list[int] = []
        sources: list[Source] = []
        for list_id in audiences:
            mark = saved.get(list_id) or {}
            taken = Boundary.restore(mark.get("cursor"), mark.get("ids"))
            seen = marks[list_id] = Boundary(taken.value, set(taken.ids))
            params = {"sort_field": "last_changed", "sort_dir": "DESC"}
            if taken.value is not None:
                params["since_last_changed"] = mailchimp_time(taken.value)
            fetch = self._fetcher(
                f"/lists/{quote(list_id, safe='')}/members",
                "members",
                params,
                totals if taken.value is None else [],
                (("last_changed", taken, seen),),
            )
            sources.append(functools.partial(paginate, fetch, 0, what=f"members of {list_id}"))
        full = not any((saved.get(lid) or {}).get("cursor") for lid in audiences)

        def final() -> dict[str, Any]:
            return {
                "lists": {
                    lid: {"cursor": b.value, "ids": b.saved_ids()} for lid, b in marks.items()
                }
            }

        return self._finish(sources, final, totals if full else None)

    def _read_campaigns(self, state: dict[str, Any]) -> Iterator[Page]:
        taken = Boundary.restore(state.get("created_cursor"), state.get("created_cursor_ids"))
        created = Boundary(taken.value, set(taken.ids))
        taken_sent = Boundary.restore(state.get("sent_cursor"), state.get("sent_cursor_ids"))
        sent = Boundary(taken_sent.value, set(taken_sent.ids))
        base = {"sort_field": "create_time", "sort_dir": "DESC"}
        totals: list[int] = []
        if taken.value is None:
            marks: tuple[Mark, ...] = (("create_time", None, created), ("send_time", None, sent))
            fetch = self._fetcher("/campaigns", "campaigns", base, totals, marks)
            sources: list[Source] = [lambda: paginate(fetch, 0, what="campaigns")]
        else:
            by_create = {**base, "since_create_time": mailchimp_time(taken.value)}
            marks = (("create_time", taken, created), ("send_time", None, sent))
            fetch_new = self._fetcher("/campaigns", "campaigns", by_create, [], marks)
            sources = [lambda: paginate(fetch_new, 0, what="campaigns")]
            if taken_sent.value is not None:
                by_send = {**base, "since_send_time": mailchimp_time(taken_sent.value)}
                marks = (("send_time", taken_sent, sent), ("create_time", None, created))
                fetch_sent = self._fetcher("/campaigns", "campaigns", by_send, [], marks)
                sources.append(lambda: paginate(fetch_sent, 0, what="sent campaigns"))

        def final() -> dict[str, Any]:
            return {
                "created_cursor": created.value,
                "created_cursor_ids": created.saved_ids(),
                "sent_cursor": sent.value,
                "sent_cursor_ids": sent.saved_ids(),
            }

        return self._finish(sources, final, totals if taken.value is None else None)

    def _read_reports(self, state: dict[str, Any]) -> Iterator[Page]:
        sent = Boundary(state.get("sent_cursor"))
        params: dict[str, Any] = {}
        if sent.value is not None:
            since = min(sent.value, int(self._clock()) - REPORT_LOOKBACK_SECONDS)
            params["since_send_time"] = mailchimp_time(since)
        totals: list[int] = []
        marks: tuple[Mark, ...] = (("send_time", None, sent),)
        fetch = self._fetcher("/reports", "reports", params, totals, marks)

        def final() -> dict[str, Any]:
            return {"sent_cursor": sent.value}

        sources: list[Source] = [lambda: paginate(fetch, 0, what="reports")]
        return self._finish(sources, final, totals if not params else None)

    # -- paging -------------------------------------------------------------------------------

    def _fetcher(
        self,
        path: str,
        resource: str,
        params: Mapping[str, Any],
        totals: list[int],
        marks: tuple[Mark, ...] = (),
    ) -> Callable[[int | None], Fetched[int]]:
        return offset_fetcher(
            self._http.get, path, resource, params, totals, marks, page_size=self.page_size
        )

    def _finish(
        self,
        sources: list[Source],
        final: Callable[[], dict[str, Any]],
        totals: list[int] | None,
    ) -> Iterator[Page]:
        """The sources' pages with the state on the last one and, after a full read, what
        Mailchimp says exists (`expected_total`)."""
        for page in with_final_state(chain_pages(*sources), final):
            if page.state is not None and totals:
                page.expected_total = sum(totals)
            yield page

    def _all_lists(self) -> list[str]:
        ids: list[str] = []
        fetch = self._fetcher("/lists", "lists", {"fields": "lists.id,total_items"}, [])
        for page in paginate(fetch, 0, what="lists"):
            ids.extend(str(r["id"]) for r in page.records)
        return ids

    def _fetch_member(self, object_id: str) -> dict[str, Any]:
        list_id, _, member_id = object_id.rpartition(":")
        candidates = [list_id] if list_id else self._all_lists()
        for lid in candidates:
            path = f"/lists/{quote(lid, safe='')}/members/{quote(member_id, safe='')}"
            try:
                member = with_uid("members", self._http.get(path, {}, what="member"))
            except FatalAPIError as exc:
                if exc.status != 404 or len(candidates) == 1:
                    raise
                continue
            if gone_at(member):
                member["deleted"] = True  # archived: the webhook path marks the row deleted
            return member
        raise FatalAPIError(
            f"mailchimp member {member_id}: in none of the account's audiences",
            status=404,
            provider="mailchimp",
        )
