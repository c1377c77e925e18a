"""What every connector hands the pipelines: pages of parsed records per resource, with cursor state."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

# A half-open range of creation times [start, end), both timezone-aware.
Window = tuple[datetime, datetime]


@dataclass
class Page:
    """One provider page, parsed once.

    Within one read of a resource, pages come newest state first: when the same object id occurs
    twice in a run, the later occurrence is older and the pipeline drops it.
    """

    records: list[dict[str, Any]]
    # ISO-8601 UTC deletion time per record (aligned with `records`), or None when no record is deleted.
    deleted_at: list[str | None] | None = None
    # Cursor state to persist once this page's rows are committed; None leaves the state as it was.
    state: dict[str, Any] | None = None
    # What the provider says exists (for completeness checks), given on the last page of a full read.
    expected_total: int | None = None
    # Human-readable remarks for the sync log, e.g. "events cursor older than 30 days: full re-read".
    notes: list[str] = field(default_factory=list)
    # True on the last page of a read that listed every object the provider holds, such as the
    # full re-read a connector falls back to when its change feed no longer reaches back to the
    # saved cursor: the rows it did not list are marked deleted, as after a full refresh.
    listed_all: bool = False


class Connector(Protocol):
    """A provider account, ready to read."""

    provider: str

    def resources(self) -> list[str]:
        """Names of the resources this connector can read."""
        ...

    def read(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False
    ) -> Iterator[Page]:
        """Pages of `resource` changed since `state` (everything when empty or full_refresh)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


# What some connectors can do beyond `Connector`: each a Protocol the connector implements, and
# the pipelines ask with isinstance (a connector without the ability is read the plain way).
# Splitting a full read is one too: `connectors.common.splits.SplitsReads`.


@runtime_checkable
class ReadsWindows(Protocol):
    """A connector that lists by creation time: a backfill reads only a window of it."""

    def read_window(self, resource: str, window: Window) -> Iterator[Page]:
        """The records created in [start, end), newest first; no page carries a state (a
        backfill never moves the cursor)."""
        ...


@runtime_checkable
class Fetches(Protocol):
    """A connector that reads one object by id (a webhook's object, as the provider has it now)."""

    def fetch(self, resource: str, object_id: str) -> dict[str, Any]:
        """The object as the provider has it now."""
        ...


@runtime_checkable
class KeyedOtherwise(Protocol):
    """A connector whose records are keyed on another field than `id`."""

    id_key: str


def id_key(connector: Connector) -> str:
    """The field `connector`'s records are keyed on: `id` unless it says otherwise."""
    return connector.id_key if isinstance(connector, KeyedOtherwise) else "id"
