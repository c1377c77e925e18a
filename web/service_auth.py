"""Internal service authentication: HMAC over the canonical request, a time window, a nonce cache,
and permissions per service.

The signature is `v1=` + hex HMAC-SHA256, under the caller's secret, of six lines joined by `\\n`:
service name, timestamp, nonce, METHOD, the path with its query string exactly as sent, and the
hex SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from flask import g, request

from connectors.common.webhooks import constant_time_equal
from web.errors import ApiError

if TYPE_CHECKING:
    from warehouse.store import Store

log = logging.getLogger(__name__)

WINDOW_S = 300
HEADERS = ("X-Service-Name", "X-Request-Timestamp", "X-Request-Nonce", "X-Signature")

PERMISSIONS: dict[str, frozenset[str]] = {
    "auth-service": frozenset({"integrations:read", "integrations:write", "webhooks:*"}),
    "event-service": frozenset({"integrations:read", "sync:events", "webhooks:receive"}),
    "ticket-service": frozenset({"integrations:read", "sync:tickets", "webhooks:receive"}),
    "payment-service": frozenset(
        {"integrations:read", "integrations:write", "sync:payments", "webhooks:*"}
    ),
    "notification-service": frozenset({"integrations:read", "sync:contacts"}),
    "compliance-service": frozenset({"integrations:read", "logs:read"}),
    "monitoring-service": frozenset({"integrations:read", "logs:read"}),
}

F = TypeVar("F", bound=Callable[..., Any])


def canonical_request(
    service: str, timestamp: str, nonce: str, method: str, path_with_query: str, body: bytes
) -> str:
    """The six lines a signature covers."""
    return "\n".join(
        (
            service,
            timestamp,
            nonce,
            method.upper(),
            path_with_query,
            hashlib.sha256(body).hexdigest(),
        )
    )


def signature(secret: str, canonical: str) -> str:
    """`v1=` + hex HMAC-SHA256 of the canonical request."""
    return "v1=" + hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    service: str,
    secret: str,
    method: str,
    path_with_query: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers a caller sends (the client side, for callers and tests)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    canonical = canonical_request(service, ts, nonce, method, path_with_query, body)
    return {
        "X-Service-Name": service,
        "X-Request-Timestamp": ts,
        "X-Request-Nonce": nonce,
        "X-Signature": signature(secret, canonical),
    }


def has_permission(granted: frozenset[str], wanted: str) -> bool:
    """`wanted` is granted outright or by a `prefix:*` wildcard."""
    prefix = wanted.split(":", 1)[0]
    return wanted in granted or f"{prefix}:*" in granted


def raw_path_with_query() -> str:
    """The request target as the client sent it: path and query string, undecoded."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        raw = parts.path + (f"?{parts.query}" if parts.query else "")
    if not raw:
        raw = quote(environ.get("PATH_INFO", ""), safe="/;:@&=+$,%!~*'()")
    query = environ.get("QUERY_STRING", "")
    if "?" not in raw and query:
        raw += "?" + query
    return raw


def is_decimal(text: str, max_digits: int) -> bool:
    """Whether `text` is 1 to `max_digits` ASCII digits (str.isdigit also takes '²' and
    other digits int() refuses, and int() refuses more than 4,300 digits)."""
    return 0 < len(text) <= max_digits and text.isascii() and text.isdigit()


def _refuse(message: str) -> ApiError:
    return ApiError(401, "unauthenticated_service", message)


def authenticate(
    secrets_by_service: Mapping[str, str], store: Store, now: float | None = None
) -> str:
    """The calling service's name once its request checks out; else ApiError 401."""
    headers = request.headers
    service = headers.get("X-Service-Name", "")
    if not service:
        raise _refuse("missing X-Service-Name header")
    missing = [name for name in HEADERS[1:] if not headers.get(name)]
    if missing:
        raise _refuse(f"missing {missing[0]} header")
    timestamp, nonce = headers["X-Request-Timestamp"], headers["X-Request-Nonce"]
    current = time.time() if now is None else now
    if not is_decimal(timestamp, max_digits=12) or abs(current - int(timestamp)) > WINDOW_S:
        raise _refuse(
            f"X-Request-Timestamp {timestamp[:20]!r} is more than {WINDOW_S}s from now "
            "(send unix seconds; check the clock)"
        )
    canonical = canonical_request(
        service,
        timestamp,
        nonce,
        request.method,
        raw_path_with_query(),
        request.get_data(cache=True),
    )
    # An unknown service gets the answer a wrong signature gets: which names are configured
    # is not the caller's to learn (the log says which it was).
    secret = secrets_by_service.get(service)
    if not secret or not constant_time_equal(signature(secret, canonical), headers["X-Signature"]):
        if not secret:
            log.info("internal request from unknown service %r refused", service[:64])
        raise _refuse(
            "X-Signature does not match the request: sign service, timestamp, nonce, METHOD, "
            "path?query as sent and sha256(body) with the service's secret "
            "(and check the service is one intsync knows)"
        )
    expires = datetime.fromtimestamp(int(timestamp), UTC) + timedelta(seconds=WINDOW_S)
    if not store.remember_nonce(service, nonce, expires):
        raise _refuse("X-Request-Nonce was used before: send a new nonce with every request")
    return service


def require(*any_of: str) -> Callable[[F], F]:
    """Route decorator: a signed request from a service holding one of `any_of` (empty: any)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from web.state import state

            web = state()
            service = authenticate(web.settings.service_secrets, web.store)
            granted = PERMISSIONS.get(service, frozenset())
            if any_of and not any(has_permission(granted, p) for p in any_of):
                raise ApiError(
                    403,
                    "permission_denied",
                    f"service {service!r} lacks permission {' or '.join(any_of)}",
                )
            g.service = service
            g.permissions = granted
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
