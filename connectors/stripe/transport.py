"""Stripe over the official SDK's transport: one GET, parsed once, with our errors and retries.

The SDK's client supplies auth, API version, `Stripe-Account` and pooled connections; the body
is parsed once with orjson (the SDK's `raw_request` would also parse it with `json.loads` into
OrderedDicts, which costs more than the whole orjson parse).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import stripe

from connectors.common.http import (
    CONNECT_TIMEOUT_SECONDS,
    error_for_status,
    is_connect_failure,
    parse_retry_after,
    unreachable,
)
from connectors.common.rate import RateBudget, budget_for
from connectors.common.retry import RetryPolicy, call_with_retry
from connectors.errors import (
    ConfigurationError,
    ConnectorError,
    FatalAPIError,
    RateLimitedError,
    RetriableAPIError,
)
from connectors.stripe import sdklog

sdklog.install()

RECONNECT = "reconnect the Stripe account (the API key was refused or revoked)"
_KEY_PATTERN = re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9*]+")


def budget_key(api_key: str, account: str | None) -> str:
    """`stripe:<connect account>`, else `stripe:key-<hash of the key>`: never the key itself."""
    return "stripe:" + (account or "key-" + hashlib.sha256(api_key.encode()).hexdigest()[:16])


class StripeTransport:
    """GETs against one Stripe account, rate-budgeted and retried, returning parsed bodies."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None,
        *,
        max_network_retries: int,
        rate_per_second: float,
        retry_policy: RetryPolicy | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        api_key = credentials.get("api_key")
        if not api_key:
            raise ConfigurationError(
                "stripe needs credential api_key (sk_... or rk_...): --credential api_key=...",
                provider="stripe",
            )
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"stripe base URL {base_url!r} must start with http:// or https://",
                provider="stripe",
            )
        self._api_key = api_key
        self.base_url = (base_url or stripe.DEFAULT_API_BASE).rstrip("/")
        account = credentials.get("account_id") or None
        self._client = stripe.StripeClient(
            api_key,
            stripe_account=account,
            base_addresses={"api": self.base_url},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT_SECONDS, 60)),
        )
        # The SDK retries connection errors, 409 and 5xx when max_network_retries > 0, never 429.
        # Each fault is retried by one layer only: by ours by default (so every attempt spends a
        # rate token and backs off with full jitter); with SDK retries on, ours takes only 429s.
        self.policy = retry_policy or (
            RetryPolicy(retry_on=(RateLimitedError,)) if max_network_retries else RetryPolicy()
        )
        self.budget: RateBudget = budget_for(
            budget_key(api_key, account), rate_per_second=rate_per_second
        )
        self._sleep = sleep

    def get(self, path: str, params: dict[str, Any], *, what: str) -> dict[str, Any]:
        """The parsed body of `GET path?params`; `what` names the resource in error messages."""

        def once() -> dict[str, Any]:
            with self.budget.request():
                body, status, headers = self._send(path, params, what)
            if status >= 400:
                raise self._error(status, body, headers, what)
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                raise RetriableAPIError(
                    f"stripe {what}: HTTP {status} with a body that is not JSON", provider="stripe"
                ) from None

        return call_with_retry(once, self.policy, sleep=self._sleep)

    def list_page(
        self, path: str, params: dict[str, Any], *, what: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One list page: its `data`, and the `starting_after` of the next page (None at the end)."""
        body = self.get(path, params, what=what)
        data = body.get("data")
        if not isinstance(data, list):
            raise FatalAPIError(
                f"stripe {what}: the list response has no data array", provider="stripe"
            )
        next_cursor = data[-1]["id"] if body.get("has_more") and data else None
        return data, next_cursor

    def close(self) -> None:
        """Release this thread's pooled connection."""
        client = self._client._requestor._client
        if client is not None:
            client.close()

    def _send(
        self, path: str, params: dict[str, Any], what: str
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            body, status, headers = self._client._requestor.request_raw(
                "get", path, params=params, base_address="api", api_mode="V1", usage=["intsync"]
            )
        except stripe.APIConnectionError as exc:
            if is_connect_failure(exc):
                raise unreachable("stripe", what, self.base_url, exc) from None
            cause = type(exc.__cause__).__name__ if exc.__cause__ else "connection error"
            cls = RetriableAPIError if exc.should_retry else FatalAPIError
            raise cls(
                f"stripe {what}: cannot reach {self.base_url}: {cause}", provider="stripe"
            ) from None
        except stripe.StripeError as exc:
            raise FatalAPIError(
                f"stripe {what}: {self.clean(str(exc))}", provider="stripe"
            ) from None
        return (body if isinstance(body, bytes) else str(body).encode()), status, headers

    def _error(
        self, status: int, body: bytes, headers: Mapping[str, str], what: str
    ) -> ConnectorError:
        try:
            error = orjson.loads(body).get("error") or {}
            detail = error.get("message") or error.get("code") or error.get("type") or ""
        except (orjson.JSONDecodeError, AttributeError):
            detail = body[:200].decode("utf-8", "replace")
        message = f"stripe {what}: HTTP {status}"
        if detail:
            message += f": {self.clean(str(detail))}"
        reason = headers.get("Stripe-Rate-Limited-Reason")
        if reason:
            message += f" ({reason})"
        return error_for_status(
            status,
            message,
            provider="stripe",
            retry_after=parse_retry_after(headers.get("Retry-After")),
            reconnect_hint=RECONNECT,
        )

    def clean(self, text: str) -> str:
        """`text` without the API key, masked or not."""
        return _KEY_PATTERN.sub("<api key>", text.replace(self._api_key, "<api key>"))
