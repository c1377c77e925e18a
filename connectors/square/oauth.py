"""Square OAuth: keep the access token fresh, and save a refreshed one before it is used.

Square access tokens last 30 days; Square asks for a refresh at least every 7 days. A token with
less than `REFRESH_WHEN_LEFT` to live (or with an unknown expiry, when a refresh is possible) is
refreshed before the first request; a request refused with ACCESS_TOKEN_EXPIRED refreshes once
and is sent again. The new tokens go to the `TokenStore` first (compare-and-swap on a version),
and only then into requests: a process that dies after the refresh leaves the new token saved.
When another process saved first, its tokens are taken instead of ours.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from connectors.common.times import iso_utc, parse_iso
from connectors.errors import AuthenticationError, ConfigurationError

DAY = 86_400
REFRESH_WHEN_LEFT = 23 * DAY  # a 30-day token older than 7 days


@dataclass
class Tokens:
    """The tokens in use: access token, refresh token and expiry (unix seconds, None: unknown)."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    version: int | None = None
    # Fingerprint of the credentials' access token these tokens descend from: when the venue
    # reconnects (new credentials), tokens saved for the old connection are no longer used.
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"access_token": self.access_token, "source": self.source}
        if self.refresh_token:
            out["refresh_token"] = self.refresh_token
        if self.expires_at is not None:
            out["expires_at"] = iso_utc(self.expires_at)
        return out


class TokenStore(Protocol):
    """Where refreshed tokens are kept (encrypted, by the operational store)."""

    def load(self) -> Tokens | None:
        """The saved tokens with their version, or None before the first save."""
        ...

    def save(self, tokens: Tokens) -> int:
        """Save when the stored version is still `tokens.version`; return the new version."""
        ...


class StoreTokens:
    """A `TokenStore` over the operational store's `get_oauth_tokens` / `save_oauth_tokens`."""

    def __init__(self, store: Any, integration_id: str) -> None:
        self.store = store
        self.integration_id = integration_id

    def load(self) -> Tokens | None:
        saved = self.store.get_oauth_tokens(self.integration_id)
        if saved is None or not saved.tokens.get("access_token"):
            return None
        tokens = _tokens(saved.tokens)
        tokens.version = saved.version
        tokens.source = saved.tokens.get("source")
        return tokens

    def save(self, tokens: Tokens) -> int:
        expires = None
        if tokens.expires_at is not None:
            expires = datetime.fromtimestamp(tokens.expires_at, UTC)
        return self.store.save_oauth_tokens(
            self.integration_id,
            tokens.to_json(),
            expires_at=expires,
            expected_version=tokens.version,
        )


def _tokens(data: Mapping[str, Any]) -> Tokens:
    expires = data.get("expires_at")
    return Tokens(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token") or None,
        expires_at=parse_iso(expires) if isinstance(expires, str) and expires else None,
    )


def fingerprint(token: str) -> str:
    """A short hash naming a token without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


# POSTs /oauth2/token with the given body and returns the parsed answer.
Refresher = Callable[[dict[str, Any]], dict[str, Any]]


class TokenKeeper:
    """The access token to send, refreshed ahead of expiry and saved before use."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        store: TokenStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not credentials.get("access_token"):
            raise ConfigurationError(
                "square needs credential access_token: --credential access_token=...",
                provider="square",
            )
        self.store = store
        self._clock = clock
        self._client_id = credentials.get("client_id") or None
        self._client_secret = credentials.get("client_secret") or None
        source = fingerprint(credentials["access_token"])
        saved = store.load() if store is not None else None
        if saved is not None and saved.source == source:
            self.current = saved
        else:
            self.current = _tokens(credentials)
            self.current.version = saved.version if saved is not None else None
        self.current.source = source
        self.refreshes = 0

    def token(self) -> str:
        """The access token now in use."""
        return self.current.access_token

    @property
    def can_refresh(self) -> bool:
        return bool(self.current.refresh_token and self._client_id and self._client_secret)

    def due(self) -> bool:
        """Whether the token should be refreshed before the next request."""
        if not self.can_refresh:
            return False
        expires = self.current.expires_at
        return expires is None or expires - self._clock() < REFRESH_WHEN_LEFT

    def refresh(self, post: Refresher) -> None:
        """Obtain a new access token, save it, then use it."""
        if not self.can_refresh:
            raise AuthenticationError(
                "square: the access token expired and there is no refresh_token, client_id and "
                "client_secret to renew it: reconnect the Square account",
                provider="square",
            )
        answer = post(
            {
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "grant_type": "refresh_token",
                "refresh_token": self.current.refresh_token,
            }
        )
        fresh = _tokens(
            {
                "access_token": answer["access_token"],
                "refresh_token": answer.get("refresh_token") or self.current.refresh_token,
                "expires_at": answer.get("expires_at"),
            }
        )
        fresh.version = self.current.version
        fresh.source = self.current.source
        self.refreshes += 1
        if self.store is not None:
            fresh = self._save(fresh)
        self.current = fresh

    def _save(self, fresh: Tokens) -> Tokens:
        assert self.store is not None
        try:
            fresh.version = self.store.save(fresh)
            return fresh
        except Exception:
            saved = self.store.load()
            if saved is not None and saved.version != fresh.version:
                return saved  # another process refreshed and saved first: use its tokens
            raise
