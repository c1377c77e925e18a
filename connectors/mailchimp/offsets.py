"""One offset-paged Mailchimp list as a `fetch(offset)` for the shared page loop.

Mailchimp pages with `count` (at most 1000) and `offset` and says how many match in
`total_items`: the next page is asked for while `offset + count` is below it, and the first
page's `total_items` is kept for the completeness check. Every record gets its `uid`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.common.cursors import Boundary
from connectors.common.paging import Fetched
from connectors.common.times import parse_iso
from connectors.errors import FatalAPIError
from connectors.mailchimp.resources import LIST_KEYS, PAGE_SIZE, gone_at, mark_time, with_uid

# (time field, boundary the read starts from or None, boundary the read moves on)
Mark = tuple[str, Boundary | None, Boundary]
Getter = Callable[..., dict[str, Any]]


def offset_fetcher(
    get: Getter,
    path: str,
    resource: str,
    params: Mapping[str, Any],
    totals: list[int],
    marks: tuple[Mark, ...] = (),
    *,
    page_size: int = PAGE_SIZE,
) -> Callable[[int | None], Fetched[int]]:
    """`fetch(offset)` for the list at `path`, through `get(path, query, what=...)`.

    Appends the list's `total_items` to `totals`. A record at exactly a start boundary that
    the earlier read already took is skipped (the `since_*` filters are taken as inclusive);
    every record moves the marks' boundaries on. Archived members come with a deletion time.
    """
    key = LIST_KEYS[resource]

    def fetch(offset: int | None) -> Fetched[int]:
        offset = offset or 0
        body = get(path, {**params, "count": page_size, "offset": offset}, what=resource)
        listed = body.get(key)
        if not isinstance(listed, list):
            raise FatalAPIError(
                f"mailchimp {resource}: the response has no {key!r} array", provider="mailchimp"
            )
        total = int(body.get("total_items") or 0)
        if offset == 0:
            totals.append(total)
        records = [r for r in listed if _new(with_uid(resource, r), marks)]
        gone = [gone_at(r) for r in records] if resource == "members" else []
        more = listed and offset + page_size < total
        return Fetched(records, offset + page_size if more else None, gone if any(gone) else None)

    return fetch


def _new(record: dict[str, Any], marks: tuple[Mark, ...]) -> bool:
    uid = record["uid"]
    values = [(_unix(mark_time(record, field)), taken, seen) for field, taken, seen in marks]
    if any(taken is not None and taken.taken(value, uid) for value, taken, _ in values):
        return False
    for value, _, seen in values:
        seen.see(value, uid)
    return True


def _unix(value: Any) -> int | None:
    return int(parse_iso(str(value))) if value else None
