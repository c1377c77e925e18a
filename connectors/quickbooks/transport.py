"""The Accounting API over HTTP: what QuickBooks adds to the common request loop.

Every request of a realm, from every connector in the process, shares one budget: 500 requests
a minute and 10 in flight. A 429 waits as long as Intuit says (Retry-After, else 60 s). `Fault`
bodies become messages that name the error; a 401 refreshes the access token once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import requests

from connectors.common.http import CONNECT_TIMEOUT_SECONDS, Answer, answer_error, http_message
from connectors.common.rate import budget_for
from connectors.common.retry import RetryPolicy
from connectors.common.transport import Request, Transport
from connectors.errors import ConnectorError, FatalAPIError
from connectors.quickbooks.auth import RECONNECT, TokenKeeper
from connectors.quickbooks.entities import (
    MAX_CONCURRENT,
    MINOR_VERSION,
    REQUESTS_PER_MINUTE,
    THROTTLE_WAIT_SECONDS,
)

DEFAULT_RETRY = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=30.0, total_timeout=400.0)
NOT_FOUND_CODES = frozenset({"610"})  # "Object Not Found": deleted, or never existed


def budget_key(realm_id: str) -> str:
    """`quickbooks:<realm>`: the realm's one budget in this process."""
    return f"quickbooks:{realm_id}"


class QuickBooksTransport(Transport, provider="quickbooks", reconnect=RECONNECT):
    """GETs against one realm's Accounting API, returning parsed bodies."""

    def __init__(
        self,
        api_base: str,
        keeper: TokenKeeper,
        *,
        rate_per_minute: float = REQUESTS_PER_MINUTE,
        max_concurrent: int = MAX_CONCURRENT,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.keeper = keeper
        self.realm_id = keeper.realm_id
        budget = budget_for(
            budget_key(self.realm_id),
            rate_per_minute=rate_per_minute,
            max_concurrent=max_concurrent,
        )
        super().__init__(budget, retry_policy or DEFAULT_RETRY, credential=keeper, sleep=sleep)
        self._timeout = timeout
        self._session = requests.Session()

    def get(self, path: str, params: Mapping[str, str], *, what: str) -> dict[str, Any]:
        """The parsed body of `GET /v3/company/<realm>/<path>?params&minorversion=..`."""
        url = f"{self.api_base}/v3/company/{self.realm_id}/{path}"
        return self.request(
            Request("GET", url, {**params, "minorversion": MINOR_VERSION}), what=what
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()
        self.keeper.close()

    def send(self, request: Request, token: str | None, what: str) -> Answer:
        """One GET with the realm's bearer token."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            answer = self._session.get(
                request.path,
                params=request.params,
                headers=headers,
                timeout=(CONNECT_TIMEOUT_SECONDS, self._timeout),
            )
        except requests.RequestException as exc:
            raise self.no_answer(what, self.api_base, exc) from None
        return Answer(answer.status_code, answer.content, answer.headers)

    def error(self, answer: Answer, what: str) -> ConnectorError:
        """See `fault_error`."""
        return fault_error(answer.status, answer.body, answer.headers, what)


def fault_error(status: int, body: bytes, headers: Mapping[str, str], what: str) -> ConnectorError:
    """The connector error for a failed call, worded from Intuit's `Fault` body; a 401 is a
    refused access token (refreshed once, then reconnect)."""
    kind, errors = parse_fault(body)
    detail = "; ".join(
        " ".join(
            p for p in (f"[{code}]" if code else "", message, f"({extra})" if extra else "") if p
        )
        for code, message, extra in errors
    )
    message = http_message("quickbooks", what, status, label=kind, detail=detail)
    codes = {code for code, _, _ in errors}
    if status == 400 and codes & NOT_FOUND_CODES:
        return FatalAPIError(message, status=404, provider="quickbooks")
    return answer_error(
        message,
        Answer(status, body, headers),
        provider="quickbooks",
        reconnect=RECONNECT,
        token_refused=status == 401,
        throttle_wait=THROTTLE_WAIT_SECONDS,
    )


def parse_fault(body: bytes) -> tuple[str, list[tuple[str, str, str]]]:
    """(`type`, [(code, message, detail)]) from `{"Fault": {"Error": [...], "type"}}`.

    Intuit spells the keys `Fault`/`Error`/`Message` on most errors and `fault`/`error`/`message`
    on authentication errors; both are read. A body that is not a Fault gives ("", []).
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body[:200].decode("utf-8", "replace").strip()
        return "", [("", text, "")] if text else []
    if not isinstance(data, dict):
        return "", []
    fault = _key(data, "fault")
    if not isinstance(fault, dict):
        return "", []
    found = []
    for error in _key(fault, "error") or []:
        if isinstance(error, dict):
            found.append(
                (
                    str(_key(error, "code") or ""),
                    str(_key(error, "message") or ""),
                    str(_key(error, "detail") or ""),
                )
            )
    return str(_key(fault, "type") or ""), found


def _key(data: dict[str, Any], name: str) -> Any:
    return data.get(name.capitalize(), data.get(name))
