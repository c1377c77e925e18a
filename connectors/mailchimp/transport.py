"""Mailchimp over the official SDK's API client: what Mailchimp adds to the common request loop.

`mailchimp_marketing`'s `ApiClient` supplies the credential handling (Basic auth with an API key
whose `-dc` suffix names the data centre, or a Bearer OAuth token plus the server prefix). Its
`request` opens a new connection per call through `requests.get`; `PooledApiClient` sends the same
request through one pooled session instead. Bodies are parsed once with orjson (the SDK's
`call_api` would parse them with `json.loads` first). Every request holds one of the account's
10 connection slots (`budget_for(..., max_concurrent=10)`, shared by every sync in the process).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import requests
from mailchimp_marketing import Client
from mailchimp_marketing.api_client import ApiClient

from connectors.common.http import CONNECT_TIMEOUT_SECONDS, Answer, checked_base_url, mask
from connectors.common.rate import budget_for, fingerprint
from connectors.common.retry import RetryPolicy
from connectors.common.transport import Request, Transport
from connectors.errors import ConfigurationError, ConnectorError
from connectors.mailchimp.problems import problem_message

MAX_CONNECTIONS = 10  # Mailchimp's simultaneous connections per account
RECONNECT = "reconnect the Mailchimp account (the API key or token was refused or revoked)"
DEFAULT_HOST = "https://{dc}.api.mailchimp.com/3.0"
METADATA_URL = "https://login.mailchimp.com/oauth2/metadata"


class PooledApiClient(ApiClient):
    """The SDK's API client, sending through one keep-alive session instead of a new connection
    per request."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(dict(config))
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=MAX_CONNECTIONS)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(
        self,
        method: str,
        url: str,
        query_params: Any = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> requests.Response:
        """The SDK's request (same auth), through the pooled session; returns the response."""
        headers = dict(headers or {})
        auth = ("user", self.api_key) if self.is_basic_auth else None
        if self.is_oauth:
            headers["Authorization"] = "Bearer " + self.access_token
        data = None if body is None else orjson.dumps(body)
        return self.session.request(
            method, url, params=query_params, headers=headers, auth=auth, data=data,
            timeout=self.timeout,
        )  # fmt: skip


def sdk_config(credentials: Mapping[str, str]) -> dict[str, str]:
    """The SDK's config from intsync credentials: `{api_key}` (its `-dc` suffix is the server)
    or `{access_token, server}` (server "" when not given: found on first use)."""
    api_key = credentials.get("api_key")
    if api_key:
        _, _, dc = api_key.rpartition("-")
        if "-" not in api_key or not dc:
            raise ConfigurationError(
                "mailchimp api_key has no data-centre suffix: use the whole key as Mailchimp "
                "shows it, ending in -us6 or similar",
                provider="mailchimp",
            )
        return {"api_key": api_key}
    token = credentials.get("access_token")
    if not token:
        raise ConfigurationError(
            "mailchimp needs credential api_key (KEY-us6) or access_token and server",
            provider="mailchimp",
        )
    return {"access_token": token, "server": credentials.get("server") or ""}


def budget_key(config: Mapping[str, str]) -> str:
    """`mailchimp:<hash of the credential>`: one budget per account, never the secret."""
    return "mailchimp:" + fingerprint(config.get("api_key") or config.get("access_token", ""))


class MailchimpTransport(Transport, provider="mailchimp", reconnect=RECONNECT):
    """GETs against one Mailchimp account: connection-capped, retried, parsed once."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None,
        *,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
    ) -> None:
        self._base_url = checked_base_url("mailchimp", base_url)
        config = sdk_config(credentials)
        self._secrets = [config.get("api_key"), config.get("access_token")]
        timeouts = (CONNECT_TIMEOUT_SECONDS, timeout)
        self.client = Client({**config, "timeout": timeouts})
        self.client.api_client = PooledApiClient({**config, "timeout": timeouts})
        self._host: str | None = None
        budget = budget_for(budget_key(config), max_concurrent=MAX_CONNECTIONS)
        super().__init__(budget, retry_policy or RetryPolicy(), sleep=sleep)

    def discover_server(self, token: str) -> str:
        """The data centre of an OAuth token, from Mailchimp's metadata endpoint."""
        url = (self._base_url + "/oauth2/metadata") if self._base_url else METADATA_URL
        try:
            answer = requests.get(
                url,
                headers={"Authorization": f"OAuth {token}"},
                timeout=(CONNECT_TIMEOUT_SECONDS, 30),
            )
        except requests.RequestException as exc:
            raise self.no_answer("metadata", url, exc) from None
        body = self.checked(Answer(answer.status_code, answer.content, answer.headers), "metadata")
        dc = (body or {}).get("dc")
        if not dc:
            raise ConfigurationError(
                "mailchimp metadata named no data centre: set credential server (e.g. us6)",
                provider="mailchimp",
            )
        return str(dc)

    @property
    def host(self) -> str:
        """`<base URL>/3.0`, or `https://<dc>.api.mailchimp.com/3.0`; an OAuth token without a
        server asks the metadata endpoint for its data centre first."""
        if self._host is None:
            api = self.client.api_client
            if not api.server or api.server == "invalid-server":
                api.server = self.discover_server(api.access_token)
            # The SDK replaces the word "server" anywhere in its URLs with the data centre, so
            # the host is set for its own calls, but our requests go to this URL as built here.
            self._host = (
                self._base_url + "/3.0" if self._base_url else DEFAULT_HOST.format(dc=api.server)
            )
            api.host = self._host
        return self._host

    def get(self, path: str, params: Mapping[str, Any], *, what: str) -> dict[str, Any]:
        """The parsed body of `GET host/path?params`; `what` names the resource in errors."""
        query = [(k, v) for k, v in params.items() if v is not None]
        return self.request(Request("GET", self.host + path, query), what=what)

    def close(self) -> None:
        """Close the pooled connections."""
        self.client.api_client.session.close()

    def send(self, request: Request, token: str | None, what: str) -> Answer:
        """One request through the SDK's API client (its auth), on the pooled session."""
        api = self.client.api_client
        try:
            answer = api.request(
                request.method, request.path, request.params, headers=dict(api.default_headers)
            )
        except requests.RequestException as exc:
            raise self.no_answer(what, self.host, exc) from None
        return Answer(answer.status_code, answer.content, answer.headers)

    def error(self, answer: Answer, what: str) -> ConnectorError:
        """Mailchimp's problem body (title, detail, field errors) in one line."""
        detail = problem_message(answer.body.decode("utf-8", "replace"))
        return self.failed(answer, what, detail=detail)

    def clean(self, text: str) -> str:
        """`text` without the credential."""
        return mask(text, self._secrets, "<credential>")
