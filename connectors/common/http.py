"""HTTP status -> connector error class, `Retry-After` parsing, and the wording of failed
requests, for every provider."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
    TokenRefusedError,
    UnreachableError,
)

# Statuses that mean "the same request may work later" besides 429 and 5xx.
RETRIABLE_STATUSES = frozenset({408, 409, 425})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    retry_after: float | None = None,
    reconnect_hint: str | None = None,
) -> ConnectorError:
    """The error a caller should act on for an HTTP failure `status` (>= 400).

    401/403 -> AuthenticationError (with `reconnect_hint` appended), 429 -> RateLimitedError,
    408/409/425/5xx -> RetriableAPIError, any other status -> FatalAPIError.
    """
    if status in (401, 403):
        hint = reconnect_hint or f"reconnect the {provider} account"
        return AuthenticationError(f"{message}: {hint}", status=status, provider=provider)
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after, status=status, provider=provider)
    if status >= 500 or status in RETRIABLE_STATUSES:
        return RetriableAPIError(message, status=status, provider=provider)
    return FatalAPIError(message, status=status, provider=provider)


# Seconds to wait for a TCP connection before calling the provider unreachable; the read timeout
# (how long a connected provider may take to answer) stays long.
CONNECT_TIMEOUT_SECONDS = 5.0
# Seconds one request keeps retrying a provider it cannot connect to, unless
# INTSYNC_UNREACHABLE_SECONDS says otherwise (docs/operations.md).
UNREACHABLE_BUDGET_SECONDS = 15.0


def unreachable_budget() -> float:
    """INTSYNC_UNREACHABLE_SECONDS, else UNREACHABLE_BUDGET_SECONDS: how long connection failures
    are retried before the provider is called unreachable."""
    text = os.environ.get("INTSYNC_UNREACHABLE_SECONDS", "").strip()
    if not text:
        return UNREACHABLE_BUDGET_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ConfigurationError(
            f"INTSYNC_UNREACHABLE_SECONDS={text!r} is not a number of seconds: set e.g. 15"
        )
    return seconds


def unreachable(provider: str, what: str, base_url: str, exc: BaseException) -> UnreachableError:
    """The error for a request that got no connection to `base_url` (`exc` names the cause)."""
    cause = _cause_name(exc)
    return UnreachableError(
        f"{provider} {what}: the provider is unreachable: no connection to {base_url} ({cause})",
        provider=provider,
    )


_CAUSES = {
    "connection refused": "connection refused",
    "errno 111": "connection refused",
    "name or service not known": "host name not found",
    "temporary failure in name resolution": "host name not found",
    "nodename nor servname": "host name not found",
    "no route to host": "no route to host",
    "network is unreachable": "network unreachable",
    "timed out": "connect timeout",
}


def _cause_name(exc: BaseException) -> str:
    """What went wrong in words (connection refused, host name not found, ...), read from the
    exception and its causes; else the innermost exception's class."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for found in chain:
        text = f"{type(found).__name__} {found}".lower()
        for marker, words in _CAUSES.items():
            if marker in text:
                return words
    return type(chain[-1]).__name__


_CONNECT_CLASSES = frozenset(
    {
        "ConnectionRefusedError",
        "gaierror",
        "NewConnectionError",
        "NameResolutionError",
        "ConnectError",
        "ConnectTimeout",
        "ConnectTimeoutError",
    }
)
_CONNECT_TEXT = (
    "failed to establish a new connection",
    "connection refused",
    "name or service not known",
    "temporary failure in name resolution",
    "no route to host",
    "network is unreachable",
    "connecttimeout",
)


def is_connect_failure(exc: BaseException) -> bool:
    """Whether `exc` (from requests, httpx or an SDK wrapping them) means no connection was made,
    as opposed to a connection that broke or timed out while the provider was answering."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if type(seen).__name__ in _CONNECT_CLASSES:
            return True
        text = str(seen).lower()
        if any(marker in text for marker in _CONNECT_TEXT):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class Answer:
    """What came back: status, raw body, headers (case-insensitive where the client gives so)."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def checked_base_url(provider: str, base_url: str | None) -> str | None:
    """`base_url` without a trailing slash (None stays None); ConfigurationError unless http(s)."""
    if base_url is None:
        return None
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"{provider} base URL {base_url!r} must start with http:// or https://",
            provider=provider,
        )
    return base_url.rstrip("/")


def connection_failure(
    provider: str,
    what: str,
    base_url: str,
    exc: BaseException,
    *,
    cause: str | None = None,
    retriable: bool = True,
) -> ConnectorError:
    """The error for a request that got no answer from `base_url`: unreachable when no connection
    was made, else retriable (or fatal, when the client says retrying cannot help)."""
    if is_connect_failure(exc):
        return unreachable(provider, what, base_url, exc)
    cls = RetriableAPIError if retriable else FatalAPIError
    reason = cause or type(exc).__name__
    return cls(f"{provider} {what}: cannot reach {base_url}: {reason}", provider=provider)


def http_message(
    provider: str, what: str, status: int, *, label: str = "", detail: str = "", note: str = ""
) -> str:
    """`<provider> <what>: HTTP <status> <label>: <detail> (<note>)`, the empty parts left out."""
    message = f"{provider} {what}: HTTP {status}"
    if label:
        message += f" {label}"
    if detail:
        message += f": {detail}"
    if note:
        message += f" ({note})"
    return message


def answer_error(
    message: str,
    answer: Answer,
    *,
    provider: str,
    reconnect: str,
    token_refused: bool = False,
    throttle_wait: float | None = None,
) -> ConnectorError:
    """The error for a failed `answer` (see `error_for_status`), waiting as `Retry-After` says
    (else `throttle_wait`) on a 429; `token_refused` for an answer that says the token expired."""
    if token_refused:
        return TokenRefusedError(f"{message}: {reconnect}", status=answer.status, provider=provider)
    retry_after = parse_retry_after(answer.headers.get("Retry-After"))
    return error_for_status(
        answer.status,
        message,
        provider=provider,
        retry_after=throttle_wait if retry_after is None else retry_after,
        reconnect_hint=reconnect,
    )


def mask(text: str, secrets: Iterable[str | None], label: str) -> str:
    """`text` with each non-empty secret replaced by `label`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, label)
    return text
