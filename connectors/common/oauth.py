"""One OAuth token keeper: refreshed ahead of expiry, saved before use, one writer wins.

A refresh's answer goes to the `TokenStore` first (compare-and-swap on a version) and only then
into requests, so a process killed after a refresh leaves the new tokens saved. Refreshes of one
account are serialized in the process by a lock and across processes by the store: before
refreshing, the keeper reads the store again and takes tokens another writer saved meanwhile;
when its own save is refused (the other writer saved first), it takes the other writer's.

A provider injects a `Grant`: how its credentials become tokens, when a refresh is possible,
and the call to its token endpoint. How its tokens are stored is a `TokenFormat`
(connectors.common.tokenstore).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from connectors.errors import RefreshRefusedError, RetriableAPIError

MAX_ROUNDS = 4  # refreshes tried while other writers keep changing the tokens


@dataclass
class Tokens:
    """Tokens of one account: access and refresh token, expiry (unix seconds, None: unknown),
    the store version they were read at or saved as, and `source`: a fingerprint of the
    credentials they descend from (tokens of an earlier connection give way to new ones)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    version: int | None = None
    source: str | None = None
    refresh_expires_at: float | None = None


class TokenStore(Protocol):
    """Where an account's refreshed tokens are kept, compare-and-swap on `Tokens.version`."""

    def load(self) -> Tokens | None:
        """The saved tokens with their version, or None before the first save."""
        ...

    def save(self, tokens: Tokens) -> int | None:
        """Save if the stored version is still `tokens.version`; the new version, or None when
        another writer saved first."""
        ...


class Grant(Protocol):
    """What a provider injects: its tokens' origin, refresh policy and token endpoint."""

    label: str  # names the account in messages: "square", "quickbooks realm 123"
    provider: str
    refresh_margin: float  # seconds before expiry at which a token is refreshed

    def initial(self) -> Tokens:
        """The tokens the credentials hold, with their `source` set."""
        ...

    def can_refresh(self, tokens: Tokens) -> bool:
        """Whether `tokens` (with the app's credentials) can be refreshed at all."""
        ...

    def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens from the token endpoint; RefreshRefusedError for a refused refresh token."""
        ...

    def close(self) -> None:
        """Release the token endpoint's connections."""
        ...


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def account_lock(key: str) -> threading.Lock:
    """The one lock of account `key` in this process: held while its tokens are refreshed."""
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


class TokenKeeper:
    """Hands out an access token for one account, refreshing and saving as needed."""

    def __init__(
        self,
        grant: Grant,
        store: TokenStore,
        *,
        lock_key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.grant = grant
        self.store = store
        self._lock_key = lock_key
        self._clock = clock
        initial = grant.initial()
        self.source = initial.source
        saved = store.load()
        if saved is not None and saved.source == self.source:
            self.current = saved
        else:
            initial.version = saved.version if saved is not None else None
            self.current = initial
        self._rejected: str | None = None
        self.refreshes = 0

    def token(self) -> str:
        """The access token now in use (never refreshes)."""
        return self.current.access_token

    def access_token(self) -> str:
        """A token the provider should accept now; refreshed first (once per account at a time)
        when it is due, unknown to expire, or was refused."""
        if self._usable(self.current):
            return self.current.access_token
        with account_lock(self._lock_key):
            latest = self._reread()
            if not self._usable(latest):
                latest = self._refresh(latest)
            self.current = latest
            return latest.access_token

    def rejected(self, token: str) -> bool:
        """The provider refused `token`; True when it can be renewed (it is not handed out again)."""
        if not self.grant.can_refresh(self.current):
            return False
        self._rejected = token
        return True

    def close(self) -> None:
        """Release the token endpoint's connections."""
        self.grant.close()

    def _usable(self, tokens: Tokens) -> bool:
        if not tokens.access_token or tokens.access_token == self._rejected:
            return False
        if not self.grant.can_refresh(tokens):
            return True  # nothing to renew it with: send it and let the provider judge
        expires = tokens.expires_at
        return expires is not None and expires - self._clock() > self.grant.refresh_margin

    def _reread(self) -> Tokens:
        """The saved tokens when they are this connection's or were saved since we last read
        (another writer's, newer than ours); ours otherwise."""
        saved = self.store.load()
        if saved is None:
            return self.current
        if saved.source == self.source or saved.version != self.current.version:
            return saved
        return self.current

    def _refresh(self, current: Tokens) -> Tokens:
        for _ in range(MAX_ROUNDS):
            try:
                fresh = self.grant.refresh(current)
            except RefreshRefusedError:
                latest = self.store.load()
                if latest is None or latest.version == current.version:
                    raise
                current = latest  # another writer rotated the refresh token meanwhile
            else:
                self.refreshes += 1
                fresh.version, fresh.source = current.version, self.source
                version = self.store.save(fresh)
                if version is not None:
                    fresh.version = version
                    return fresh
                latest = self.store.load()  # another writer saved first: its tokens win
                if latest is None:
                    continue
                current = latest
            if self._usable(current):
                return current
        raise RetriableAPIError(
            f"{self.grant.label}: tokens kept changing under concurrent refreshes",
            provider=self.grant.provider,
        )
