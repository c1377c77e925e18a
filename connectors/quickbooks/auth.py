"""OAuth 2.0 for one QuickBooks realm through `intuit-oauth`'s AuthClient, safe to kill at any time.

Access tokens last an hour. A refresh rotates the refresh token; the response is saved (encrypted
and committed by the store) before its access token is used, and the old refresh token keeps
working until the new one has been used, so a process killed between the refresh and the save
leaves the realm with a refresh token that still works. Refreshes of one realm are serialized in
the process by a lock and across processes by the store's compare-and-swap: the loser re-reads
and uses the winner's tokens (connectors.common.oauth keeps them; this module is Intuit's part).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError

from connectors.common import oauth
from connectors.common.http import is_connect_failure, unreachable
from connectors.common.oauth import Tokens
from connectors.common.rate import fingerprint
from connectors.common.tokenstore import FormattedStore, RecordStore
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    RefreshRefusedError,
    RetriableAPIError,
)

RECONNECT = "reconnect the QuickBooks company (its refresh token was refused or revoked)"
# An access token this close to its expiry is refreshed rather than sent.
EXPIRY_MARGIN_SECONDS = 120
TOKEN_TIMEOUT_SECONDS = 30.0


class TokenKeeper(oauth.TokenKeeper):
    """Hands out a valid access token for one realm, refreshing and saving as needed."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        discovery_url: str,
        store: RecordStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        grant = IntuitGrant(credentials, discovery_url, clock=clock)
        self.realm_id = grant.realm_id
        self._store = store  # the realm's tokens as saved (Intuit's JSON and its version)
        super().__init__(
            grant,
            FormattedStore(store, grant),
            lock_key=f"quickbooks:{grant.realm_id}",
            clock=clock,
        )


class IntuitGrant:
    """QuickBooks' credentials, token format and token endpoint (through `intuit-oauth`)."""

    provider = "quickbooks"
    refresh_margin = float(EXPIRY_MARGIN_SECONDS)

    def __init__(
        self,
        credentials: Mapping[str, str],
        discovery_url: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for key in ("client_id", "client_secret", "realm_id"):
            if not credentials.get(key):
                raise ConfigurationError(
                    f"quickbooks needs credential {key}: --credential {key}=...",
                    provider="quickbooks",
                )
        self.realm_id = credentials["realm_id"]
        self.label = f"quickbooks realm {self.realm_id}"
        self._credentials = dict(credentials)
        self._discovery_url = discovery_url
        self._clock = clock
        self._client: AuthClient | None = None
        # A fingerprint of the credentials' refresh token: tokens saved from an earlier one
        # (before the company was reconnected) are not used.
        self.origin = fingerprint(self._credentials.get("refresh_token") or "")

    def initial(self) -> Tokens:
        """The credentials' refresh token; the access token comes from the first refresh."""
        refresh = self._credentials.get("refresh_token") or None
        return Tokens("", refresh_token=refresh, source=self.origin)

    def can_refresh(self, tokens: Tokens) -> bool:
        """Always: the app's credentials are checked above, the refresh token when refreshing."""
        return True

    def refresh(self, tokens: Tokens) -> Tokens:
        """A rotated refresh token and a new access token from Intuit's token endpoint."""
        if not tokens.refresh_token:
            raise ConfigurationError(
                "quickbooks needs credential refresh_token: --credential refresh_token=...",
                provider="quickbooks",
            )
        client = self._auth_client()
        try:
            client.refresh(refresh_token=tokens.refresh_token)
        except AuthClientError as exc:
            raise _token_error(exc, self.realm_id) from None
        except requests.RequestException as exc:
            if is_connect_failure(exc):
                raise unreachable("quickbooks", "token refresh", self._discovery_url, exc) from None
            raise RetriableAPIError(
                f"quickbooks token endpoint unreachable: {type(exc).__name__}",
                provider="quickbooks",
            ) from None
        now = self._clock()
        return Tokens(
            client.access_token,
            refresh_token=client.refresh_token,
            expires_at=int(now + float(client.expires_in or 3600)),
            refresh_expires_at=int(now + float(client.x_refresh_token_expires_in or 0)),
        )

    def encode(self, tokens: Tokens) -> dict[str, Any]:
        """Intuit's tokens as stored: unix expiries, the realm, the origin."""
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "access_expires_at": int(tokens.expires_at or 0),
            "refresh_expires_at": int(tokens.refresh_expires_at or 0),
            "realm_id": self.realm_id,
            "origin": tokens.source,
        }

    def decode(self, data: Mapping[str, Any]) -> Tokens | None:
        """Saved tokens (None without a refresh token); saved before origins were kept, they are
        taken as this connection's."""
        if not data.get("refresh_token"):
            return None
        expires, refresh_expires = data.get("access_expires_at"), data.get("refresh_expires_at")
        return Tokens(
            str(data.get("access_token") or ""),
            refresh_token=str(data["refresh_token"]),
            expires_at=float(expires) if expires else None,
            source=data.get("origin") or self.origin,
            refresh_expires_at=float(refresh_expires) if refresh_expires else None,
        )

    def close(self) -> None:
        """Release the OAuth client's connections."""
        if self._client is not None:
            self._client.close()

    def _auth_client(self) -> AuthClient:
        if self._client is None:
            try:
                self._client = _TimedAuthClient(
                    self._credentials["client_id"],
                    self._credentials["client_secret"],
                    self._credentials.get("redirect_uri") or "http://localhost/callback",
                    self._discovery_url,
                    realm_id=self.realm_id,
                )
            except (AuthClientError, requests.RequestException, KeyError, ValueError) as exc:
                if is_connect_failure(exc):
                    raise unreachable(
                        "quickbooks", "discovery document", self._discovery_url, exc
                    ) from None
                raise RetriableAPIError(
                    f"quickbooks discovery document at {self._discovery_url} could not be "
                    f"read ({type(exc).__name__}): check the base URL",
                    provider="quickbooks",
                ) from None
        return self._client


class _TimedAuthClient(AuthClient):
    """AuthClient whose requests (discovery, token) give up after TOKEN_TIMEOUT_SECONDS: the
    library itself sets no timeout, and a hung token endpoint would hold the realm's lock."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TOKEN_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


def _token_error(exc: AuthClientError, realm_id: str) -> ConnectorError:
    try:
        body = orjson.loads(exc.content or b"{}")
        code = str(body.get("error") or "") if isinstance(body, dict) else ""
    except orjson.JSONDecodeError:
        code = ""
    status = int(exc.status_code)
    if code == "invalid_grant":
        return RefreshRefusedError(
            f"quickbooks realm {realm_id}: the refresh token was refused: {RECONNECT}",
            status=400,
            provider="quickbooks",
        )
    if status in (400, 401, 403):
        reason = code or f"HTTP {status}"
        return AuthenticationError(
            f"quickbooks realm {realm_id}: the token endpoint refused the app's credentials "
            f"({reason}): check client_id and client_secret, or {RECONNECT}",
            status=status,
            provider="quickbooks",
        )
    cls: type[ConnectorError] = RetriableAPIError if status >= 429 else ConfigurationError
    return cls(
        f"quickbooks realm {realm_id}: token endpoint answered HTTP {status}",
        status=status,
        provider="quickbooks",
    )
