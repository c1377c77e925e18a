"""Square over the official SDK's HTTP client: one request, parsed once, with our errors and retries.

The `Square` client supplies the base URL, `Square-Version`, the bearer token (read through a
callable, so a refreshed token is used from the next request on) and pooled httpx connections.
Calls go through its `HttpClient.request` with `max_retries: 0`: the SDK would otherwise retry
408/409/429/5xx twice itself, and under our retries that multiplies into 3 x 5 attempts, none of
them spending a rate token. Here every attempt is ours, budgeted and backed off with jitter.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson
from square import Square
from square.core.request_options import RequestOptions

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
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    RetriableAPIError,
)

PRODUCTION_URL = "https://connect.squareup.com"
RECONNECT = "reconnect the Square account (the access token was refused or revoked)"
_NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}


def budget_key(credentials: Mapping[str, str]) -> str:
    """`square:<merchant>` when known, else a hash of the refresh (or access) token: a key that
    survives access-token rotation and never contains a secret."""
    if credentials.get("merchant_id"):
        return "square:" + credentials["merchant_id"]
    stable = credentials.get("refresh_token") or credentials.get("access_token") or ""
    return "square:token-" + hashlib.sha256(stable.encode()).hexdigest()[:16]


class TokenExpiredError(AuthenticationError):
    """Square said ACCESS_TOKEN_EXPIRED: a refresh may cure it."""


class SquareTransport:
    """Requests against one Square merchant, rate-budgeted and retried, returning parsed bodies."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None,
        token: Callable[[], str],
        *,
        rate_per_second: float,
        max_concurrent: int | None = 4,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"square base URL {base_url!r} must start with http:// or https://",
                provider="square",
            )
        self.base_url = (base_url or PRODUCTION_URL).rstrip("/")
        self._token = token
        self._client = Square(
            token=token,
            base_url=self.base_url,
            httpx_client=httpx.Client(timeout=httpx.Timeout(60, connect=CONNECT_TIMEOUT_SECONDS)),
        )
        self._http = self._client._client_wrapper.httpx_client
        self.policy = retry_policy or RetryPolicy()
        self.budget: RateBudget = budget_for(
            budget_key(credentials), rate_per_second=rate_per_second, max_concurrent=max_concurrent
        )
        self._sleep = sleep
        self.requests = 0

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        what: str,
        retry: bool = True,
    ) -> dict[str, Any]:
        """The parsed body of one request; `what` names the resource in error messages."""

        def once() -> dict[str, Any]:
            with self.budget.request():
                self.requests += 1
                response = self._send(method, path, params, body, what)
            if response.status_code >= 400:
                raise self._error(response, what)
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise RetriableAPIError(
                    f"square {what}: HTTP {response.status_code} with a body that is not JSON",
                    provider="square",
                ) from None

        if not retry:
            return once()
        return call_with_retry(once, self.policy, sleep=self._sleep)

    def close(self) -> None:
        """Release pooled connections."""
        self._http.httpx_client.close()

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        what: str,
    ) -> httpx.Response:
        try:
            return self._http.request(
                path.lstrip("/"),
                method=method,
                params=params,
                json=body,
                request_options=_NO_SDK_RETRIES,
            )
        except httpx.TransportError as exc:
            if is_connect_failure(exc):
                raise unreachable("square", what, self.base_url, exc) from None
            raise RetriableAPIError(
                f"square {what}: cannot reach {self.base_url}: {type(exc).__name__}",
                provider="square",
            ) from None

    def _error(self, response: httpx.Response, what: str) -> ConnectorError:
        status = response.status_code
        try:
            errors = orjson.loads(response.content).get("errors") or [{}]
            first = errors[0]
        except (orjson.JSONDecodeError, AttributeError, IndexError):
            first = {"detail": response.content[:200].decode("utf-8", "replace")}
        code = str(first.get("code") or "")
        detail = self.clean(str(first.get("detail") or first.get("category") or ""))
        message = f"square {what}: HTTP {status}" + (f" {code}" if code else "")
        if detail:
            message += f": {detail}"
        if status == 401 and code == "ACCESS_TOKEN_EXPIRED":
            return TokenExpiredError(f"{message}: {RECONNECT}", status=status, provider="square")
        return error_for_status(
            status,
            message,
            provider="square",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            reconnect_hint=RECONNECT,
        )

    def clean(self, text: str) -> str:
        """`text` without the current access token."""
        token = self._token()
        return text.replace(token, "<access token>") if token else text
