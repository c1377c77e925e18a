"""OAuth 2.0 for one QuickBooks realm through `intuit-oauth`'s AuthClient, safe to kill at any time.

Access tokens last an hour. A refresh rotates the refresh token; the response is saved (encrypted
and committed by the store) before its access token is used, and the old refresh token keeps
working until the new one has been used, so a process killed between the refresh and the save
leaves the realm with a refresh token that still works. Refreshes of one realm are serialized in
the process by a lock and across processes by the store's compare-and-swap: the loser re-reads
and uses the winner's tokens.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError

from connectors.common.http import is_connect_failure, unreachable
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    RetriableAPIError,
)
from connectors.quickbooks.tokens import StoredTokens, TokenStore

RECONNECT = "reconnect the QuickBooks company (its refresh token was refused or revoked)"
# An access token this close to its expiry is refreshed rather than sent.
EXPIRY_MARGIN_SECONDS = 120
_MAX_ROUNDS = 4
TOKEN_TIMEOUT_SECONDS = 30.0

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def realm_lock(realm_id: str) -> threading.Lock:
    """The one lock of `realm_id` in this process: held while its tokens are refreshed."""
    with _locks_guard:
        return _locks.setdefault(realm_id, threading.Lock())


class TokenKeeper:
    """Hands out a valid access token for one realm, refreshing and saving as needed."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        discovery_url: str,
        store: TokenStore,
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
        self._credentials = dict(credentials)
        self._discovery_url = discovery_url
        self._store = store
        self._clock = clock
        self._client: AuthClient | None = None
        self._cached: StoredTokens | None = None
        self._rejected: str | None = None
        self.refreshes = 0

    def access_token(self) -> str:
        """A token QuickBooks should accept now; refreshes (once per realm at a time) when due."""
        cached = self._cached
        if cached is not None and self._usable(cached):
            return cached.tokens["access_token"]
        with realm_lock(self.realm_id):
            current = self._current()
            if self._usable(current):
                self._cached = current
                return current.tokens["access_token"]
            return self._refresh(current)

    def rejected(self, token: str) -> None:
        """QuickBooks answered 401 to `token`: the next `access_token()` will not hand it out."""
        self._rejected = token

    def close(self) -> None:
        """Release the OAuth client's connections."""
        if self._client is not None:
            self._client.close()

    # -- internals ------------------------------------------------------------------------------
    def _usable(self, stored: StoredTokens) -> bool:
        token = stored.tokens.get("access_token")
        expires = stored.tokens.get("access_expires_at") or 0
        return (
            bool(token)
            and token != self._rejected
            and float(expires) - EXPIRY_MARGIN_SECONDS > self._clock()
        )

    def _current(self) -> StoredTokens:
        """The saved tokens, unless the integration was reconnected since they were saved (its
        credentials then hold a newer refresh token than the one the saved chain began from)."""
        saved = self._store.load()
        origin = self._origin()
        if (
            saved is not None
            and saved.tokens.get("refresh_token")
            and saved.tokens.get("origin") in (origin, None)
        ):
            return saved
        refresh_token = self._credentials.get("refresh_token")
        if not refresh_token:
            raise ConfigurationError(
                "quickbooks needs credential refresh_token: --credential refresh_token=...",
                provider="quickbooks",
            )
        return StoredTokens(
            {"refresh_token": refresh_token, "origin": origin}, saved.version if saved else None
        )

    def _origin(self) -> str:
        """A fingerprint of the credentials' refresh token (never the token itself)."""
        token = self._credentials.get("refresh_token") or ""
        return hashlib.sha256(token.encode()).hexdigest()[:16]

    def _refresh(self, current: StoredTokens) -> str:
        for _ in range(_MAX_ROUNDS):
            try:
                fresh = self._call_refresh(current.tokens["refresh_token"])
            except _InvalidGrant:
                latest = self._store.load()
                if latest is None or latest.version == current.version:
                    raise AuthenticationError(
                        f"quickbooks realm {self.realm_id}: the refresh token was refused: "
                        f"{RECONNECT}",
                        status=400,
                        provider="quickbooks",
                    ) from None
                current = latest  # another process rotated it meanwhile: use theirs
                if self._usable(current):
                    self._cached = current
                    return current.tokens["access_token"]
                continue
            version = self._store.save(fresh, _expiry(fresh), current.version)
            if version is not None:
                self._cached = StoredTokens(fresh, version)
                return fresh["access_token"]
            latest = self._store.load()  # another process saved first: theirs wins
            if latest is None:
                continue
            current = latest
            if self._usable(current):
                self._cached = current
                return current.tokens["access_token"]
        raise RetriableAPIError(
            f"quickbooks realm {self.realm_id}: tokens kept changing under concurrent refreshes",
            provider="quickbooks",
        )

    def _call_refresh(self, refresh_token: str) -> dict[str, Any]:
        client = self._auth_client()
        try:
            client.refresh(refresh_token=refresh_token)
        except AuthClientError as exc:
            raise _token_error(exc, self.realm_id) from None
        except requests.RequestException as exc:
            if is_connect_failure(exc):
                raise unreachable("quickbooks", "token refresh", self._discovery_url, exc) from None
            raise RetriableAPIError(
                f"quickbooks token endpoint unreachable: {type(exc).__name__}",
                provider="quickbooks",
            ) from None
        self.refreshes += 1
        now = self._clock()
        return {
            "access_token": client.access_token,
            "refresh_token": client.refresh_token,
            "access_expires_at": int(now + float(client.expires_in or 3600)),
            "refresh_expires_at": int(now + float(client.x_refresh_token_expires_in or 0)),
            "realm_id": self.realm_id,
            "origin": self._origin(),
        }

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


class _InvalidGrant(Exception):
    pass


def _token_error(exc: AuthClientError, realm_id: str) -> Exception:
    try:
        body = orjson.loads(exc.content or b"{}")
        code = str(body.get("error") or "") if isinstance(body, dict) else ""
    except orjson.JSONDecodeError:
        code = ""
    status = int(exc.status_code)
    if code == "invalid_grant":
        return _InvalidGrant()
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


def _expiry(tokens: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(tokens["access_expires_at"]), UTC)
