"""A stateful local Mailchimp Marketing API that the `mailchimp-marketing` SDK talks to.

    sandbox = MailchimpSandbox({"0123456789abcdef-us6": SeedSpec(seed=1)})
    with SandboxServer(sandbox) as server:
        client = mailchimp_marketing.Client({"api_key": "0123456789abcdef-us6"})
        client.api_client.host = server.url + "/3.0"
        client.lists.get_all_lists()

Accounts are keyed by credential: an API key (Basic auth, as the SDK sends it) or an OAuth token
(Bearer; `GET /oauth2/metadata` names its data centre). Every account may hold at most 10
requests in flight at once: the 11th is answered 429, as Mailchimp does.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Mapping
from typing import Any

from connectors.mailchimp.sandbox.admin import MailchimpAdmin
from connectors.mailchimp.sandbox.api import InvalidField, problem, route
from connectors.mailchimp.sandbox.seed import SEEDABLE
from connectors.mailchimp.sandbox.state import MailchimpAccount
from connectors.mailchimp.transport import MAX_CONNECTIONS
from connectors.sandbox.app import Denied, SandboxApp
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.faults import Faults
from connectors.sandbox.http import Response, SandboxRequest, json_response
from connectors.sandbox.options import SandboxOptions
from connectors.sandbox.seeding import SeedSpec

__all__ = ["DEFAULT_KEY", "SEEDABLE", "MailchimpSandbox", "build_sandbox"]
DEFAULT_KEY = "00000000000000000000000000000001-us6"
_INVALID = "The resource submitted could not be validated. For field-specific details, see the 'errors' array."


class ConnectionLimit:
    """Requests in flight per account; more than `limit` at once are refused."""

    def __init__(self, limit: int = MAX_CONNECTIONS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self.peak = 0
        self.refused = 0

    def enter(self, account: str) -> bool:
        """Take a place for `account`; False (and nothing taken) when all are in use."""
        with self._lock:
            current = self._open.get(account, 0)
            if current >= self.limit:
                self.refused += 1
                return False
            self._open[account] = current + 1
            self.peak = max(self.peak, current + 1)
            return True

    def leave(self, account: str) -> None:
        with self._lock:
            self._open[account] -= 1

    def reset(self) -> None:
        with self._lock:
            self.peak = max(self._open.values(), default=0)
            self.refused = 0


class MailchimpSandbox(MailchimpAdmin, SandboxApp):
    """The Mailchimp API emulator (WSGI app); serve it with `connectors.sandbox.SandboxServer`."""

    provider = "mailchimp"

    def __init__(
        self, accounts: Mapping[str, SeedSpec] | None = None, *, faults: Faults | None = None
    ) -> None:
        super().__init__(faults)
        self.specs: dict[str, SeedSpec] = dict(accounts or {DEFAULT_KEY: SeedSpec()})
        self._accounts: dict[str, MailchimpAccount] = {}
        self.connections = ConnectionLimit()

    def account(self, credential: str) -> MailchimpAccount:
        """The state of the account of `credential`, seeded on first use."""
        with self.lock:
            state = self._accounts.get(credential)
            if state is None:
                spec = self.specs.get(credential)
                if spec is None:
                    raise NotFound(f"no Mailchimp sandbox account {_mask(credential)}")
                state = self._accounts[credential] = MailchimpAccount(spec)
            return state

    def prepare(self) -> None:
        """Seed every account now rather than on first use."""
        for credential in list(self.specs):
            self.account(credential)

    def reset_state(self) -> None:
        self._accounts.clear()
        self.connections.reset()

    def info(self) -> dict[str, Any]:
        return {
            "provider": "mailchimp",
            "api_keys": list(self.specs),
            "connections": {
                "limit": self.connections.limit,
                "peak": self.connections.peak,
                "refused": self.connections.refused,
            },
        }

    # -- framework hooks ------------------------------------------------------------------------
    def credential(self, request: SandboxRequest) -> str | None:
        auth = request.header("Authorization") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("bearer", "oauth"):
            return value.strip() or None
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode().split(":", 1)[1] or None
            except (ValueError, UnicodeDecodeError, IndexError):
                return None
        return None

    def authenticate(self, request: SandboxRequest, credential: str | None) -> str:
        if credential is None or credential not in self.specs:
            raise Denied(self.unauthorized(credential))
        return credential

    def unauthorized(self, credential: str | None) -> Response:
        if credential is None:
            return problem(401, "API Key Missing", "Your request did not include an API key.")
        return problem(
            401,
            "API Key Invalid",
            "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
        )

    def rate_limited(self, reason: str) -> Response:
        detail = (
            "You have exceeded the limit of 10 simultaneous connections."
            if reason == "connections"
            else "You have exceeded the limit of requests. Please try again later."
        )
        return problem(429, "Too Many Requests", detail)

    def server_error(self, status: int) -> Response:
        if status < 500:
            return problem(status, "Scripted Error", f"Scripted {status} from the sandbox.")
        return problem(status, "Internal Server Error", "An unexpected internal error occurred.")

    def route_label(self, path: str) -> str:
        parts = path.split("/")
        for i in range(3, len(parts), 2):
            parts[i] = "{id}"
        return "/".join(parts)

    def _api(self, request: SandboxRequest) -> Response:
        credential = self.credential(request)
        account = credential if credential in self.specs else None
        if account is None:
            return super()._api(request)
        if not self.connections.enter(account):
            return self.rate_limited("connections")
        try:
            return super()._api(request)
        finally:
            self.connections.leave(account)

    def handle(self, request: SandboxRequest, account: str) -> Response:
        if request.path.rstrip("/") == "/oauth2/metadata":
            return json_response(200, self.metadata(request))
        try:
            with self.lock:
                return route(request, self.account(account))
        except NotFound as exc:
            return problem(404, "Resource Not Found", str(exc))
        except InvalidField as exc:
            return problem(400, "Invalid Resource", _INVALID, [
                {"field": exc.field, "message": exc.message}])  # fmt: skip
        except SandboxUsageError as exc:
            return problem(400, "Invalid Resource", str(exc))

    def metadata(self, request: SandboxRequest) -> dict[str, Any]:
        """What Mailchimp's OAuth metadata endpoint says of a token: its data centre."""
        base = f"http://{request.header('Host') or '127.0.0.1'}"
        return {"dc": "us6", "api_endpoint": base, "login_url": base, "accountname": "Sandbox"}


def build_sandbox(options: SandboxOptions) -> MailchimpSandbox:
    """A Mailchimp sandbox from command-line options: `credentials` as API keys or OAuth
    tokens, or `accounts` keys `000...1-us6` upwards; account i is seeded with `seed + i` (`seed` with same_ids)."""
    keys = list(options.credentials) or [f"{i + 1:032x}-us6" for i in range(options.accounts)]
    for key in keys:
        if len(key) < 8:
            raise SandboxUsageError(f"Mailchimp sandbox credential {_mask(key)!r} is too short")
    specs = {
        key: SeedSpec(seed=options.account_seed(i), counts=dict(options.counts), now=options.now)
        for i, key in enumerate(keys)
    }
    return MailchimpSandbox(specs)


def _mask(value: str) -> str:
    return "****" + value[-4:] if len(value) > 8 else "****"
