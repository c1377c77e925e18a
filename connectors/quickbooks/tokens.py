"""Where a realm's rotating OAuth tokens are kept between runs.

QuickBooks rotates the refresh token on every refresh, and the old one stops working once the new
one has been used. A token keeper therefore saves what a refresh returned (encrypted, committed)
before it uses any of it. The store is compare-and-swap on a version: when two processes refresh
at once, the loser's save is refused and it re-reads and uses the winner's tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredTokens:
    """Tokens as last saved: `tokens` holds access_token, refresh_token, access_expires_at (unix)."""

    tokens: dict[str, Any] = field(repr=False)
    version: int | None


class TokenStore(Protocol):
    """Persistence for one integration's tokens, compare-and-swap on `version`."""

    def load(self) -> StoredTokens | None:
        """The saved tokens, or None before the first save."""
        ...

    def save(
        self, tokens: dict[str, Any], expires_at: datetime | None, version: int | None
    ) -> int | None:
        """Save if the stored version is still `version`; the new version, or None when another
        process saved first (re-read then)."""
        ...


class IntegrationTokenStore:
    """A TokenStore over the operational store's `get_oauth_tokens` / `save_oauth_tokens`.

    `conflict` is the exception the store raises when the compare-and-swap fails.
    """

    def __init__(
        self,
        store: Any,
        integration_id: str,
        conflict: type[Exception] | tuple[type[Exception], ...],
    ) -> None:
        self._store = store
        self._id = integration_id
        self._conflict = conflict

    def load(self) -> StoredTokens | None:
        """The integration's saved tokens and their version."""
        found = self._store.get_oauth_tokens(self._id)
        return None if found is None else StoredTokens(dict(found.tokens), found.version)

    def save(
        self, tokens: dict[str, Any], expires_at: datetime | None, version: int | None
    ) -> int | None:
        """Committed on return; None when another process moved the version first."""
        try:
            return self._store.save_oauth_tokens(
                self._id, tokens, expires_at=expires_at, expected_version=version
            )
        except self._conflict:
            return None


class MemoryTokenStore:
    """Tokens kept in this process only (tests, benchmarks, previews): same compare-and-swap."""

    def __init__(self, on_save: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._saved: StoredTokens | None = None
        self._on_save = on_save

    def load(self) -> StoredTokens | None:
        """The tokens saved last, if any."""
        with self._lock:
            return self._saved

    def save(
        self, tokens: dict[str, Any], expires_at: datetime | None, version: int | None
    ) -> int | None:
        """Save when `version` is still current."""
        with self._lock:
            current = self._saved.version if self._saved is not None else None
            if current != version:
                return None
            self._saved = StoredTokens(dict(tokens), (version or 0) + 1)
            if self._on_save is not None:
                self._on_save(dict(tokens))
            return self._saved.version
