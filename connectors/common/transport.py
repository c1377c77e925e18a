"""One request loop for every provider: rate budget, send, classify, parse, retry, scrub secrets.

A provider's transport subclasses `Transport` and writes only what differs, as meltano/sdk's
`RESTStream` subclasses do: `send` (one request out through the provider's SDK or session),
`error` (a failed answer as the error of connectors/errors.py that says what to do) and `clean`
(which secrets to mask). Its rate budget and retry policy are given to the constructor.

With a `Credential` (an OAuth token keeper), every attempt sends the token the keeper hands out
then; an answer the provider words as a refused token (`TokenRefusedError`) renews it and sends
the request once more, outside the retry budget. The helpers a provider's hooks word their
errors with (`answer_error`, `connection_failure`, `checked_base_url`, `mask`) are in
connectors.common.http.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import orjson

from connectors.common.http import Answer, answer_error, connection_failure, http_message
from connectors.common.rate import RateBudget
from connectors.common.retry import RetryPolicy, call_with_retry
from connectors.errors import ConnectorError, RetriableAPIError, TokenRefusedError


@dataclass(frozen=True)
class Request:
    """One request as the provider's `send` takes it: `path` (relative to the provider's base,
    or a whole URL), query `params`, JSON `body`."""

    method: str
    path: str
    params: Any = None
    body: dict[str, Any] | None = None


class Credential(Protocol):
    """An access token source the loop asks before each attempt (an OAuth token keeper)."""

    def access_token(self) -> str:
        """The token to send now (refreshed first when due)."""
        ...

    def rejected(self, token: str) -> bool:
        """The provider refused `token`; True when a renewed one is worth one more try."""
        ...


class Transport(ABC):
    """The request loop. A subclass names its provider and what the venue should do when the
    provider refuses the credentials, `class X(Transport, provider=..., reconnect=...)`, and
    supplies the hooks."""

    provider: ClassVar[str]
    reconnect: ClassVar[str]

    def __init_subclass__(cls, *, provider: str, reconnect: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.provider = provider
        cls.reconnect = reconnect

    def __init__(
        self,
        budget: RateBudget,
        policy: RetryPolicy,
        *,
        credential: Credential | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.budget = budget
        self.policy = policy
        self.credential = credential
        self._sleep = sleep

    def request(
        self, request: Request, *, what: str, authorize: bool = True, retry: bool = True
    ) -> dict[str, Any]:
        """The parsed body of `request`, retried per the policy; `what` names it in errors.
        `authorize=False` sends without asking the credential, and `retry=False` once: a token
        endpoint called by the credential itself, whose failures the request that asked for the
        token retries."""
        sent: list[str] = []
        try:
            return self._attempts(request, what, sent if authorize else None, retry)
        except TokenRefusedError:
            if self.credential is None or not sent or not self.credential.rejected(sent[-1]):
                raise
        return self._attempts(request, what, sent, retry)

    def checked(self, answer: Answer, what: str) -> dict[str, Any]:
        """The parsed body of a good answer; the error to act on (secrets masked) otherwise."""
        if answer.status >= 400:
            raise self._scrubbed(self.error(answer, what))
        try:
            parsed: dict[str, Any] = orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            raise RetriableAPIError(
                f"{self.provider} {what}: HTTP {answer.status} with a body that is not JSON",
                provider=self.provider,
            ) from None
        return parsed

    def _attempts(
        self, request: Request, what: str, sent: list[str] | None, retry: bool
    ) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            token = None
            if sent is not None and self.credential is not None:
                token = self.credential.access_token()
                sent.append(token)
            try:
                with self.budget.request():
                    answer = self.send(request, token, what)
            except ConnectorError as exc:
                self._scrubbed(exc)
                raise
            return self.checked(answer, what)

        return call_with_retry(once, self.policy, sleep=self._sleep) if retry else once()

    def failed(
        self,
        answer: Answer,
        what: str,
        *,
        label: str = "",
        detail: str = "",
        note: str = "",
        token_refused: bool = False,
    ) -> ConnectorError:
        """The error for a failed answer, worded by `http_message` (see `answer_error`)."""
        message = http_message(
            self.provider, what, answer.status, label=label, detail=detail, note=note
        )
        return answer_error(
            message,
            answer,
            provider=self.provider,
            reconnect=self.reconnect,
            token_refused=token_refused,
        )

    def no_answer(
        self, what: str, url: str, exc: BaseException, *, cause: str = "", retriable: bool = True
    ) -> ConnectorError:
        """The error for a request to `url` that got no answer (see `connection_failure`)."""
        return connection_failure(
            self.provider, what, url, exc, cause=cause or None, retriable=retriable
        )

    def _scrubbed(self, error: ConnectorError) -> ConnectorError:
        error.args = tuple(self.clean(a) if isinstance(a, str) else a for a in error.args)
        return error

    # -- the hooks ----------------------------------------------------------------------------
    @abstractmethod
    def send(self, request: Request, token: str | None, what: str) -> Answer:
        """One attempt over the wire; a failure to get an answer raises `no_answer`."""

    @abstractmethod
    def error(self, answer: Answer, what: str) -> ConnectorError:
        """The error to act on for an answer with status >= 400 (see `failed`)."""

    def clean(self, text: str) -> str:
        """`text` without the secrets this transport holds (none by default)."""
        return text
