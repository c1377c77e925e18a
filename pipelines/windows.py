"""A connector limited to a date window: a backfill's reads, which move no cursor."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import Connector, Page, ReadsWindows, Window


class WindowedConnector:
    """A connector whose every read is limited to `window` and yields no cursor state."""

    def __init__(self, inner: Connector, window: Window) -> None:
        self.inner = inner
        self.window = window
        self.provider = inner.provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def resources(self) -> list[str]:
        """The inner connector's resources."""
        return self.inner.resources()

    def read(
        self, resource: str, state: Mapping[str, Any], *, full_refresh: bool = False
    ) -> Iterator[Page]:
        """The window's pages, stripped of state so that no cursor moves."""
        if isinstance(self.inner, ReadsWindows):
            pages = self.inner.read_window(resource, self.window)
            note = None
        else:
            pages = self.inner.read(resource, {}, full_refresh=True)
            note = f"{self.provider} {resource}: no date window for this provider: full re-read"
        for page in pages:
            page.state = None
            if note:
                page.notes.append(note)
                note = None
            yield page

    def close(self) -> None:
        """Close the inner connector."""
        self.inner.close()
