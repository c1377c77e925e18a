"""Where OAuth tokens are kept between runs: the operational store's rows, or memory.

Stores hold a provider's tokens as JSON (`StoredTokens`) with a version, saved by compare-and-
swap: a save names the version it read, and is refused (None) when another writer moved it.
`FormattedStore` turns such a store into the `TokenStore` of `Tokens` the keeper reads, in the
provider's `TokenFormat` (each provider has always stored its own JSON keys).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from connectors.common.oauth import Tokens

Conflict = type[Exception] | tuple[type[Exception], ...]
Json = dict[str, Any]


@dataclass(frozen=True)
class StoredTokens:
    """Tokens as last saved: the provider's JSON and the version it was saved as."""

    tokens: dict[str, Any] = field(repr=False)
    version: int | None


class RecordStore(Protocol):
    """Persistence for one integration's tokens, compare-and-swap on `version`."""

    def load(self) -> StoredTokens | None:
        """The saved tokens, or None before the first save."""
        ...

    def save(
        self, tokens: dict[str, Any], expires_at: datetime | None, version: int | None
    ) -> int | None:
        """Save if the stored version is still `version`; the new version, or None when another
        writer saved first (read again then)."""
        ...


class SavedRow(Protocol):
    """A row of the operational store's OAuth tokens."""

    @property
    def tokens(self) -> dict[str, Any]: ...

    @property
    def version(self) -> int: ...


class OAuthRows(Protocol):
    """The operational store's OAuth token rows, as this layer uses them."""

    def get_oauth_tokens(self, key: str, /) -> SavedRow | None: ...

    def save_oauth_tokens(
        self,
        key: str,
        tokens: Json,
        /,
        *,
        expires_at: datetime | None,
        expected_version: int | None,
    ) -> int: ...


class IntegrationTokenStore:
    """A RecordStore over the operational store's `get_oauth_tokens` / `save_oauth_tokens`.

    `conflict` is the exception the store raises when the compare-and-swap fails; a version that
    moved before the save is seen by reading it first.
    """

    def __init__(self, store: OAuthRows, integration_id: str, conflict: Conflict = ()) -> None:
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
        """Committed on return; None when another writer moved the version first."""
        saved = self.load()
        if (saved.version if saved is not None else None) != version:
            return None
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


class TokenFormat(Protocol):
    """How a provider words its tokens in the store."""

    def encode(self, tokens: Tokens) -> dict[str, Any]:
        """The JSON to store."""
        ...

    def decode(self, data: Mapping[str, Any]) -> Tokens | None:
        """The tokens in stored JSON; None when it holds none this provider can use."""
        ...


class FormattedStore:
    """The keeper's `TokenStore` over a `RecordStore`, in a provider's format."""

    def __init__(self, records: RecordStore, token_format: TokenFormat) -> None:
        self.records = records
        self.format = token_format

    def load(self) -> Tokens | None:
        """The saved tokens at their version (unusable ones as an empty token, to keep it)."""
        saved = self.records.load()
        if saved is None:
            return None
        tokens = self.format.decode(saved.tokens) or Tokens("")
        tokens.version = saved.version
        return tokens

    def save(self, tokens: Tokens) -> int | None:
        """Save in the provider's format, the access token's expiry beside it."""
        expires = tokens.expires_at
        when = None if expires is None else datetime.fromtimestamp(expires, UTC)
        return self.records.save(self.format.encode(tokens), when, tokens.version)
