"""Square over the official SDK's HTTP client: what Square adds to the common request loop.

The `Square` client supplies the base URL, `Square-Version`, the bearer token (read through a
callable, so a refreshed token is used from the next request on) and pooled httpx connections.
Calls go through its `HttpClient.request` with `max_retries: 0`: the SDK would otherwise retry
408/409/429/5xx twice itself, and under our retries that multiplies into 3 x 5 attempts, none of
them spending a rate token. Here every attempt is ours, budgeted and backed off with jitter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson
from square import Square
from square.core.request_options import RequestOptions

from connectors.common.http import CONNECT_TIMEOUT_SECONDS, Answer, checked_base_url
from connectors.common.rate import budget_for, fingerprint
from connectors.common.retry import RetryPolicy
from connectors.common.transport import Credential, Request, Transport
from connectors.errors import ConnectorError

PRODUCTION_URL = "https://connect.squareup.com"
RECONNECT = "reconnect the Square account (the access token was refused or revoked)"
_NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}


def budget_key(credentials: Mapping[str, str]) -> str:
    """`square:<merchant>` when known, else a hash of the refresh (or access) token: a key that
    survives access-token rotation and never contains a secret."""
    if credentials.get("merchant_id"):
        return "square:" + credentials["merchant_id"]
    stable = credentials.get("refresh_token") or credentials.get("access_token") or ""
    return "square:token-" + fingerprint(stable)


class SquareTransport(Transport, provider="square", reconnect=RECONNECT):
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
        credential: Credential | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = checked_base_url("square", base_url) or PRODUCTION_URL
        self._token = token
        self._client = Square(
            token=token,
            base_url=self.base_url,
            httpx_client=httpx.Client(timeout=httpx.Timeout(60, connect=CONNECT_TIMEOUT_SECONDS)),
        )
        self._http = self._client._client_wrapper.httpx_client
        budget = budget_for(
            budget_key(credentials), rate_per_second=rate_per_second, max_concurrent=max_concurrent
        )
        super().__init__(budget, retry_policy or RetryPolicy(), credential=credential, sleep=sleep)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        what: str,
        authorize: bool = True,
        retry: bool = True,
    ) -> dict[str, Any]:
        """The parsed body of one request; `what` names the resource in error messages."""
        request = Request(method, path, params, body)
        return self.request(request, what=what, authorize=authorize, retry=retry)

    def close(self) -> None:
        """Release pooled connections."""
        self._http.httpx_client.close()

    def send(self, request: Request, token: str | None, what: str) -> Answer:
        """One request through the SDK's HTTP client (its base URL, version and bearer token)."""
        try:
            response = self._http.request(
                request.path.lstrip("/"),
                method=request.method,
                params=request.params,
                json=request.body,
                request_options=_NO_SDK_RETRIES,
            )
        except httpx.TransportError as exc:
            raise self.no_answer(what, self.base_url, exc) from None
        return Answer(response.status_code, response.content, response.headers)

    def error(self, answer: Answer, what: str) -> ConnectorError:
        """Square's first `errors` entry: its code and detail; ACCESS_TOKEN_EXPIRED may refresh."""
        try:
            errors = orjson.loads(answer.body).get("errors") or [{}]
            first = errors[0]
        except (orjson.JSONDecodeError, AttributeError, IndexError):
            first = {"detail": answer.body[:200].decode("utf-8", "replace")}
        code = str(first.get("code") or "")
        detail = str(first.get("detail") or first.get("category") or "")
        expired = answer.status == 401 and code == "ACCESS_TOKEN_EXPIRED"
        return self.failed(answer, what, label=code, detail=detail, token_refused=expired)

    def clean(self, text: str) -> str:
        """`text` without the current access token."""
        token = self._token()
        return text.replace(token, "<access token>") if token else text
