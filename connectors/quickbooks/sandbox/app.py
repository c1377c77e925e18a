"""A stateful local QuickBooks Online: OAuth discovery and rotating tokens, query, CDC, reads.

    sandbox = QuickBooksSandbox({"9130350000000001": SeedSpec(seed=1)})
    with SandboxServer(sandbox) as server:
        connector = QuickBooksConnector(sandbox.credentials("9130350000000001"), server.url)

Routes: `GET /.well-known/openid_configuration`, `POST /oauth2/v1/tokens/bearer`,
`GET /v3/company/<realm>/query?query=...` (or the query as an `application/text` POST body), `GET /v3/company/<realm>/cdc?entities=&changedSince=`,
`GET /v3/company/<realm>/<entity>/<id>`. Each realm is throttled as Intuit does (500 requests a
minute, 10 in flight: 429 beyond); the framework's faults add 5xx, 429s and latency.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.quickbooks.sandbox.admin import QuickBooksAdmin
from connectors.quickbooks.sandbox.limits import RealmGates
from connectors.quickbooks.sandbox.oauth import (
    TOKEN_PATH,
    OAuthState,
    discovery_document,
    initial_refresh_token,
)
from connectors.quickbooks.sandbox.query import QueryError, parse_query
from connectors.quickbooks.sandbox.seed import SEEDED, stamp
from connectors.quickbooks.sandbox.state import (
    ENTITIES,
    ApiFault,
    Company,
    parse_since,
    validation,
)
from connectors.sandbox.app import Denied, SandboxApp
from connectors.sandbox.errors import SandboxUsageError
from connectors.sandbox.faults import Faults
from connectors.sandbox.http import Response, SandboxRequest, json_response
from connectors.sandbox.options import SandboxOptions
from connectors.sandbox.seeding import SeedSpec

SEEDABLE = SEEDED
DEFAULT_REALM = "9130350000000001"
CLIENT_ID = "qb-sandbox-client"
CLIENT_SECRET = "qb-sandbox-secret"
VERIFIER_TOKEN = "qb-sandbox-verifier"
DISCOVERY = "/.well-known/openid_configuration"
_BY_PATH = {name.lower(): name for name in ENTITIES}


class QuickBooksSandbox(QuickBooksAdmin, SandboxApp):
    """The QuickBooks Online emulator (WSGI app)."""

    provider = "quickbooks"

    def __init__(
        self,
        realms: Mapping[str, SeedSpec] | None = None,
        *,
        faults: Faults | None = None,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        super().__init__(faults)
        self.specs = dict(realms or {DEFAULT_REALM: SeedSpec()})
        self.oauth = OAuthState(client_id, client_secret)
        self.gates = RealmGates()
        self.token_hold = 0.0
        self._companies: dict[str, Company] = {}
        self.reset_state()

    # -- state ----------------------------------------------------------------------------------
    def company(self, realm_id: str) -> Company:
        """A realm's company, seeded on first use."""
        with self.lock:
            found = self._companies.get(realm_id)
            if found is None:
                if realm_id not in self.specs:
                    raise SandboxUsageError(f"no QuickBooks sandbox realm {realm_id!r}")
                found = self._companies[realm_id] = Company(realm_id, self.specs[realm_id])
            return found

    def credentials(self, realm_id: str) -> dict[str, str]:
        """The credentials an integration of `realm_id` starts with."""
        return {
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "realm_id": realm_id,
            "refresh_token": initial_refresh_token(realm_id, self.specs[realm_id].seed),
            "webhook_verifier_token": VERIFIER_TOKEN,
        }

    def reset_state(self) -> None:
        self._companies.clear()
        for realm_id, spec in self.specs.items():
            self.oauth.add_realm(realm_id, initial_refresh_token(realm_id, spec.seed))
        self.gates.reset()

    def prepare(self) -> None:
        for realm_id in self.specs:
            self.company(realm_id)

    def info(self) -> dict[str, Any]:
        first = next(iter(self.specs))
        creds = self.credentials(first)
        listed = [f"client_id={creds['client_id']}", f"client_secret={creds['client_secret']}"]
        listed += [
            f"realm_id={r} refresh_token={self.credentials(r)['refresh_token']}" for r in self.specs
        ]
        return {
            "provider": "quickbooks",
            "realms": list(self.specs),
            "credentials": listed,
            "webhook_verifier_token": VERIFIER_TOKEN,
            "limits": self.gates.snapshot(),
            "refreshes": {r: t.refreshes for r, t in self.oauth.realms.items()},
        }

    # -- framework hooks ------------------------------------------------------------------------
    def _api(self, request: SandboxRequest) -> Response:
        realm_id = _realm_in(request.path)
        if realm_id is None:
            return super()._api(request)
        if not self.gates.enter(realm_id):
            return self.rate_limited("rate")
        try:
            return super()._api(request)
        finally:
            self.gates.leave(realm_id)

    def credential(self, request: SandboxRequest) -> str | None:
        if not request.path.startswith("/v3/"):
            return None
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def authenticate(self, request: SandboxRequest, credential: str | None) -> str:
        realm_id = _realm_in(request.path)
        if realm_id is None:
            return "oauth"
        if credential is None or self.oauth.realm_of_access(credential) != realm_id:
            raise Denied(self.unauthorized(credential))
        return realm_id

    def unauthorized(self, credential: str | None) -> Response:
        error = {"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                 "detail": "Token expired or invalid", "code": "3200"}  # fmt: skip
        body = {"fault": {"error": [error], "type": "AUTHENTICATION"}, "time": stamp(time.time())}
        return json_response(401, body, [("WWW-Authenticate", 'Bearer realm="Intuit"')])

    def rate_limited(self, reason: str) -> Response:
        fault = ApiFault(429, "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                         "The request limit was reached.", "003001", "SERVICE")  # fmt: skip
        wait = self.gates.limits.retry_after
        return json_response(429, fault.body(), [("Retry-After", f"{wait:g}")])

    def server_error(self, status: int) -> Response:
        fault = ApiFault(status, "An application error has occurred while processing your request",
                         "System Failure Error: sandbox", "10000", "SystemFault")  # fmt: skip
        return json_response(status, fault.body())

    def route_label(self, path: str) -> str:
        parts = path.split("/")
        if len(parts) >= 4 and parts[1] == "v3" and parts[2] == "company":
            parts[3] = "{realm}"
            if len(parts) == 6:
                parts[5] = "{id}"
        return "/".join(parts)

    # -- API ------------------------------------------------------------------------------------
    def handle(self, request: SandboxRequest, account: str) -> Response:
        if account == "oauth":
            return self._oauth(request)
        try:
            with self.lock:
                body = self._route(request, self.company(account))
        except ApiFault as fault:
            return json_response(fault.status, fault.body())
        return json_response(200, body)

    def _route(self, request: SandboxRequest, company: Company) -> bytes:
        parts = request.path.strip("/").split("/")[3:]
        params = dict(request.query)
        if parts == ["query"] and request.method in ("GET", "POST"):
            # clients send the query as ?query= or, as Intuit's SDKs do, as an
            # application/text POST body
            text = params.get("query", "")
            if request.method == "POST":
                text = request.body.decode("utf-8", "replace")
            try:
                return company.query(parse_query(text))
            except QueryError as exc:
                raise validation(str(exc)) from None
        if request.method != "GET" or not parts:
            raise validation(f"unsupported operation {request.method} {request.path}", "4001")
        if parts == ["cdc"]:
            entities = [e.strip() for e in params.get("entities", "").split(",") if e.strip()]
            unknown = [e for e in entities if e not in ENTITIES]
            if not entities or unknown:
                raise validation(f"entities {params.get('entities')!r} not supported", "4001")
            return company.cdc(entities, parse_since(params.get("changedSince", "")))
        if len(parts) == 2 and parts[0] in _BY_PATH:
            return company.read(_BY_PATH[parts[0]], parts[1])
        raise validation(f"unsupported operation {request.method} {request.path}", "4001")

    def _oauth(self, request: SandboxRequest) -> Response:
        if request.path.rstrip("/") == DISCOVERY and request.method == "GET":
            host = request.header("Host") or "127.0.0.1"
            return json_response(200, discovery_document(f"http://{host}"))
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        return json_response(404, {"error": f"no route {request.method} {request.path}"})

    def _token(self, request: SandboxRequest) -> Response:
        if not self.oauth.client_ok(request.header("Authorization")):
            return json_response(401, {"error": "invalid_client"})
        form = dict(request.form)
        if form.get("grant_type") != "refresh_token":
            return json_response(400, {"error": "unsupported_grant_type"})
        issued = self.oauth.refresh(form.get("refresh_token", ""))
        if issued is None:
            return json_response(400, {"error": "invalid_grant"})
        if self.token_hold:
            time.sleep(self.token_hold)  # rotated already; the caller may die before it hears
        return json_response(200, orjson.dumps(issued))


def _realm_in(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "v3" and parts[2] == "company":
        return parts[3]
    return None


def build_sandbox(options: SandboxOptions) -> QuickBooksSandbox:
    """A QuickBooks sandbox from command-line options: `credentials` as realm ids, or
    `accounts` realms `9130350000000001..N`; realm i is seeded with `seed + i` (`seed` with same_ids)."""
    realms = list(options.credentials) or [
        str(int(DEFAULT_REALM) + i) for i in range(options.accounts)
    ]
    for realm in realms:
        if not realm.isdigit():
            raise SandboxUsageError(f"QuickBooks realm id {realm!r} must be digits")
    specs = {
        realm: SeedSpec(seed=options.account_seed(i), counts=dict(options.counts), now=options.now)
        for i, realm in enumerate(realms)
    }
    return QuickBooksSandbox(specs)
