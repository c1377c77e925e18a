"""The generic page loop: a provider writes only "fetch the page at this cursor".

`paginate(fetch)` calls `fetch(cursor)` from `cursor=None` until it returns no next cursor,
yielding a `Page` per call. `with_final_state(pages, state)` holds one page back so the state
(computed after the last fetch) and any notes ride on the last page of the read; a read that
dies before its end commits no state and the next read resumes from the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connectors.base import Page
from connectors.errors import FatalAPIError

C = TypeVar("C")


@dataclass
class Fetched(Generic[C]):
    """One fetched page: its records, the cursor of the next page (None at the end)."""

    records: list[dict[str, Any]]
    next_cursor: C | None = None
    deleted_at: list[str | None] | None = None
    expected_total: int | None = None
    notes: list[str] = field(default_factory=list)


def paginate(
    fetch: Callable[[C | None], Fetched[C]],
    start: C | None = None,
    *,
    what: str = "list",
    max_pages: int | None = None,
) -> Iterator[Page]:
    """Pages from `fetch(cursor)` starting at `start`, until it returns `next_cursor=None`.

    A cursor that comes back unchanged would loop forever: that raises FatalAPIError naming
    `what`. `max_pages` stops early (for previews); None reads to the end.
    """
    cursor = start
    seen = 0
    while True:
        fetched = fetch(cursor)
        seen += 1
        yield Page(
            records=fetched.records,
            deleted_at=fetched.deleted_at,
            expected_total=fetched.expected_total,
            notes=list(fetched.notes),
        )
        if fetched.next_cursor is None or (max_pages is not None and seen >= max_pages):
            return
        if fetched.next_cursor == cursor:
            raise FatalAPIError(f"{what}: the provider returned the same page cursor twice")
        cursor = fetched.next_cursor


def with_final_state(
    pages: Iterable[Page],
    state: Callable[[], dict[str, Any]],
    notes: Iterable[str] = (),
    listed_all: Callable[[], bool] | None = None,
) -> Iterator[Page]:
    """`pages` with empty ones dropped, and `state()`, `notes` and `listed_all()` (see `Page`;
    asked, like `state`, once every page has been read) set on the last page.

    When no page has records, one empty page still carries the state, so cursors advance.
    """
    held: Page | None = None
    for page in pages:
        if not page.records and not page.notes:
            continue
        if held is not None:
            yield held
        held = page
    last = held if held is not None else Page(records=[])
    last.state = state()
    last.notes = [*last.notes, *notes]
    last.listed_all = listed_all is not None and listed_all()
    yield last


def chain_pages(*sources: Callable[[], Iterable[Page]]) -> Iterator[Page]:
    """Pages of each source in turn; each source is started only when the previous one ends."""
    for source in sources:
        yield from source()
