"""Square OAuth: what Square adds to the common token keeper (connectors.common.oauth).

Square access tokens last 30 days; Square asks for a refresh at least every 7 days. A token with
less than `REFRESH_WHEN_LEFT` to live (or with an unknown expiry, when a refresh is possible) is
refreshed before the next request; a request refused with ACCESS_TOKEN_EXPIRED refreshes once
and is sent again. Refreshing needs the refresh token and the app's client id and secret; the
token endpoint is Square's `POST /oauth2/token`, sent through the connector's own transport.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from connectors.common.oauth import TokenKeeper, Tokens, TokenStore
from connectors.common.rate import fingerprint
from connectors.common.times import iso_utc, parse_iso
from connectors.common.tokenstore import (
    Conflict,
    FormattedStore,
    IntegrationTokenStore,
    MemoryTokenStore,
    OAuthRows,
)
from connectors.errors import AuthenticationError, ConfigurationError

__all__ = ["StoreTokens", "TokenStore", "Tokens", "fingerprint", "token_keeper"]

DAY = 86_400
REFRESH_WHEN_LEFT = 23 * DAY  # a 30-day token older than 7 days

# POSTs /oauth2/token with the given body and returns the parsed answer.
Refresher = Callable[[dict[str, Any]], dict[str, Any]]


class SquareFormat:
    """Square's tokens as stored: access and refresh token, ISO expiry, and their source."""

    def encode(self, tokens: Tokens) -> dict[str, Any]:
        """The JSON to store."""
        out: dict[str, Any] = {"access_token": tokens.access_token, "source": tokens.source}
        if tokens.refresh_token:
            out["refresh_token"] = tokens.refresh_token
        if tokens.expires_at is not None:
            out["expires_at"] = iso_utc(tokens.expires_at)
        return out

    def decode(self, data: Mapping[str, Any]) -> Tokens | None:
        """Tokens from stored JSON (or credentials); None without an access token."""
        if not data.get("access_token"):
            return None
        tokens = _tokens(data)
        tokens.source = data.get("source")
        return tokens


def _tokens(data: Mapping[str, Any]) -> Tokens:
    expires = data.get("expires_at")
    return Tokens(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token") or None,
        expires_at=parse_iso(expires) if isinstance(expires, str) and expires else None,
    )


SQUARE_FORMAT = SquareFormat()


class StoreTokens(FormattedStore):
    """A `TokenStore` over the operational store's OAuth rows, in Square's format."""

    def __init__(self, store: OAuthRows, integration_id: str, conflict: Conflict = ()) -> None:
        super().__init__(IntegrationTokenStore(store, integration_id, conflict), SQUARE_FORMAT)


class SquareGrant:
    """Square's credentials and token endpoint, for the common keeper."""

    label = provider = "square"
    refresh_margin = float(REFRESH_WHEN_LEFT)

    def __init__(self, credentials: Mapping[str, str], post: Refresher) -> None:
        tokens = SQUARE_FORMAT.decode(credentials)
        if tokens is None:
            raise ConfigurationError(
                "square needs credential access_token: --credential access_token=...",
                provider="square",
            )
        tokens.source = fingerprint(tokens.access_token)
        self._initial = tokens
        self._client_id = credentials.get("client_id") or None
        self._client_secret = credentials.get("client_secret") or None
        self._post = post

    def initial(self) -> Tokens:
        """The tokens the credentials hold."""
        return Tokens(**vars(self._initial))

    def can_refresh(self, tokens: Tokens) -> bool:
        """With a refresh token and the app's client id and secret."""
        return bool(tokens.refresh_token and self._client_id and self._client_secret)

    def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens from `POST /oauth2/token` (the refresh token kept when none comes back)."""
        if not self.can_refresh(tokens):
            raise AuthenticationError(
                "square: the access token expired and there is no refresh_token, client_id and "
                "client_secret to renew it: reconnect the Square account",
                provider="square",
            )
        answer = self._post(
            {
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            }
        )
        return _tokens(
            {
                "access_token": answer["access_token"],
                "refresh_token": answer.get("refresh_token") or tokens.refresh_token,
                "expires_at": answer.get("expires_at"),
            }
        )

    def close(self) -> None:
        """Nothing to release: the token endpoint is reached through the connector's transport."""


def token_keeper(
    credentials: Mapping[str, str],
    store: TokenStore | None,
    post: Refresher,
    *,
    clock: Callable[[], float] = time.time,
) -> TokenKeeper:
    """The keeper of a Square merchant's tokens (kept in memory when `store` is None)."""
    grant = SquareGrant(credentials, post)
    return TokenKeeper(
        grant,
        store or FormattedStore(MemoryTokenStore(), SQUARE_FORMAT),
        lock_key=f"square:{grant.initial().source}",
        clock=clock,
    )
