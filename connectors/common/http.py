"""HTTP status -> connector error class, and `Retry-After` parsing, for every provider."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

from connectors.errors import (
    AuthenticationError,
    ConnectorError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
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
