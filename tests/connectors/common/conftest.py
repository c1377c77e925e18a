"""A scripted provider served over HTTP, and a demo provider's transport and grant written
against the common request loop and token keeper, as a fifth provider would be."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import requests

from connectors.common.http import Answer, mask
from connectors.common.oauth import TokenKeeper, Tokens
from connectors.common.rate import RateBudget
from connectors.common.retry import RetryPolicy
from connectors.common.tokenstore import FormattedStore, RecordStore
from connectors.common.transport import Credential, Request, Transport
from connectors.errors import ConnectorError, RefreshRefusedError
from connectors.sandbox import SandboxServer

SECRET = "demo-secret-key-0123456789"
RECONNECT = "reconnect the demo account"
FAST_RETRY = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.02, total_timeout=30)


@dataclass
class Reply:
    """One scripted answer; `then` runs as it is given (another writer acting meanwhile)."""

    status: int
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    then: Callable[[], None] | None = None


class ScriptedProvider:
    """A WSGI provider answering each path from its script (200 `{}` when the script is out),
    keeping every request's path and Authorization header."""

    def __init__(self) -> None:
        self.script: dict[str, list[Reply]] = {}
        self.seen: list[tuple[str, str]] = []
        self.url = ""

    def answer(self, path: str, *replies: Reply) -> None:
        self.script.setdefault(path, []).extend(replies)

    def served(self, path: str) -> int:
        return sum(1 for seen, _ in self.seen if seen == path)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"]
        self.seen.append((path, environ.get("HTTP_AUTHORIZATION", "")))
        queue = self.script.get(path) or []
        reply = queue.pop(0) if queue else Reply(200)
        if reply.then is not None:
            reply.then()
        body = reply.body if isinstance(reply.body, bytes) else orjson.dumps(reply.body)
        headers = [("Content-Type", "application/json"), *reply.headers.items()]
        start_response(f"{reply.status} Scripted", headers)
        return [body]


class DemoTransport(Transport, provider="demo", reconnect=RECONNECT):
    """A provider whose API key (or OAuth token) goes in a bearer header; an error body is the
    provider's text, and a 401 saying `expired` is a refused token."""

    def __init__(
        self,
        url: str,
        *,
        credential: Credential | None = None,
        policy: RetryPolicy = FAST_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._session = requests.Session()
        budget = RateBudget("demo:account", rate_per_second=1000.0)
        super().__init__(budget, policy, credential=credential, sleep=sleep)

    def get(self, path: str) -> dict[str, Any]:
        return self.request(Request("GET", path), what="things")

    def send(self, request: Request, token: str | None, what: str) -> Answer:
        headers = {"Authorization": f"Bearer {token or SECRET}"}
        try:
            got = self._session.request(
                request.method, self.url + request.path, json=request.body, headers=headers
            )
        except requests.RequestException as exc:
            raise self.no_answer(what, self.url, exc) from None
        return Answer(got.status_code, got.content, got.headers)

    def error(self, answer: Answer, what: str) -> ConnectorError:
        detail = answer.body.decode()
        refused = answer.status == 401 and "expired" in detail
        return self.failed(answer, what, detail=detail, token_refused=refused)

    def clean(self, text: str) -> str:
        return mask(text, [SECRET], "<api key>")


class DemoGrant:
    """The demo provider's token endpoint (`POST /token`), reached through its transport once a
    refresh: the request that asked for the token retries."""

    label = provider = "demo"
    refresh_margin = 60.0

    def __init__(
        self, refresh_token: str | None = "demo-refresh-1", *, expires_in: float = 3600
    ) -> None:
        self._refresh_token = refresh_token
        self._expires_in = expires_in
        self.transport: DemoTransport | None = None

    def initial(self) -> Tokens:
        expires = time.time() + self._expires_in
        return Tokens("demo-access-0", self._refresh_token, expires, source="conn-1")

    def can_refresh(self, tokens: Tokens) -> bool:
        return bool(tokens.refresh_token)

    def refresh(self, tokens: Tokens) -> Tokens:
        assert self.transport is not None
        body = {"refresh_token": tokens.refresh_token}
        try:
            answer = self.transport.request(
                Request("POST", "/token", body=body), what="token", authorize=False, retry=False
            )
        except ConnectorError as exc:
            if exc.status == 400:
                raise RefreshRefusedError(
                    f"demo: the refresh token was refused: {RECONNECT}", provider="demo"
                ) from None
            raise
        return Tokens(
            answer["access_token"], answer["refresh_token"], time.time() + answer["expires_in"]
        )

    def close(self) -> None:
        pass


class DemoFormat:
    """The demo provider's stored JSON."""

    def encode(self, tokens: Tokens) -> dict[str, Any]:
        return {
            "access": tokens.access_token,
            "refresh": tokens.refresh_token,
            "expires": tokens.expires_at,
            "source": tokens.source,
        }

    def decode(self, data: Mapping[str, Any]) -> Tokens | None:
        if not data.get("access"):
            return None
        return Tokens(data["access"], data["refresh"], data["expires"], source=data["source"])


def granted(access: str, refresh: str, expires_in: float = 3600) -> dict[str, Any]:
    """A token endpoint's answer."""
    return {"access_token": access, "refresh_token": refresh, "expires_in": expires_in}


def oauth_keeper(url: str, records: RecordStore, grant: DemoGrant | None = None) -> TokenKeeper:
    """A keeper of the demo provider's tokens in `records`, its grant's transport at `url`."""
    grant = grant or DemoGrant()
    keeper = TokenKeeper(grant, FormattedStore(records, DemoFormat()), lock_key=url)
    grant.transport = DemoTransport(url, credential=keeper)
    return keeper


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    """The scripted provider, served; its base URL is `provider.url`."""
    scripted = ScriptedProvider()
    with SandboxServer(scripted) as served:
        scripted.url = served.url
        yield scripted
