"""Intuit's OAuth 2.0 as the sandbox plays it: a discovery document and rotating refresh tokens.

Each realm holds its current refresh token and the one before it. Refreshing with the current
token rotates: a new one becomes current and the used one is kept as previous. Refreshing with
the previous one (the new one not used yet, e.g. because the caller died before saving it)
answers with the current one again. Any older token is refused with `invalid_grant`, as is every
token of a revoked realm. Access tokens last `access_ttl` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.common.webhooks import constant_time_equal

ACCESS_TTL = 3600
REFRESH_TTL = 101 * 24 * 3600
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def discovery_document(base: str) -> dict[str, Any]:
    """What Intuit's `/.well-known/openid_configuration` holds, pointing at this sandbox."""
    return {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}{TOKEN_PATH}",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "com.intuit.quickbooks.accounting"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


def initial_refresh_token(realm_id: str, seed: int) -> str:
    """The refresh token a realm starts with (stable for a realm and seed)."""
    digest = hashlib.sha256(f"{realm_id}:{seed}".encode()).hexdigest()[:40]
    return f"AB11{digest}"


@dataclass
class RealmTokens:
    """One realm's live tokens."""

    current: str | None
    previous: str | None = None
    access: dict[str, float] = field(default_factory=dict)  # token -> expiry (unix)
    refreshes: int = 0


class OAuthState:
    """Tokens of every realm of the sandbox; thread-safe."""

    def __init__(
        self, client_id: str, client_secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.realms: dict[str, RealmTokens] = {}
        self.access_ttl = ACCESS_TTL
        self.clock = clock
        self._lock = threading.Lock()

    def add_realm(self, realm_id: str, refresh_token: str) -> None:
        """A realm whose first refresh token is `refresh_token`."""
        with self._lock:
            self.realms[realm_id] = RealmTokens(current=refresh_token)

    def client_ok(self, authorization: str | None) -> bool:
        """Whether a Basic header names this sandbox's app."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        client_id, _, secret = decoded.partition(":")
        return constant_time_equal(client_id, self.client_id) and constant_time_equal(
            secret, self.client_secret
        )

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        """The token response for `refresh_token`, or None when it is not (or no longer) valid."""
        with self._lock:
            for tokens in self.realms.values():
                if refresh_token and refresh_token == tokens.current:
                    tokens.previous, tokens.current = tokens.current, _token("AB11")
                    return self._issue(tokens)
                if refresh_token and refresh_token == tokens.previous:
                    return self._issue(tokens)
        return None

    def realm_of_access(self, access_token: str) -> str | None:
        """The realm a live access token belongs to, or None (unknown, expired or revoked)."""
        now = self.clock()
        with self._lock:
            for realm_id, tokens in self.realms.items():
                expiry = tokens.access.get(access_token)
                if expiry is not None and expiry > now:
                    return realm_id
        return None

    def revoke(self, realm_id: str) -> None:
        """Every token of the realm stops working (the user disconnected the app)."""
        with self._lock:
            tokens = self.realms.get(realm_id)
            if tokens is not None:
                tokens.current = tokens.previous = None
                tokens.access.clear()

    def expire_access(self, realm_id: str) -> None:
        """Access tokens of the realm expire now (refresh tokens stay valid)."""
        with self._lock:
            tokens = self.realms.get(realm_id)
            if tokens is not None:
                tokens.access.clear()

    def _issue(self, tokens: RealmTokens) -> dict[str, Any]:
        access = _token("eyJ")
        now = self.clock()
        tokens.access = {t: e for t, e in tokens.access.items() if e > now}
        tokens.access[access] = now + self.access_ttl
        tokens.refreshes += 1
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": tokens.current,
            "expires_in": self.access_ttl,
            "x_refresh_token_expires_in": REFRESH_TTL,
        }


def _token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)
