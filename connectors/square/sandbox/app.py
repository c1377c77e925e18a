"""A stateful local Square API that the `squareup` SDK talks to through `base_url`.

    sandbox = SquareSandbox({"EAAAtoken": SeedSpec(seed=1)})
    with SandboxServer(sandbox) as server:
        client = Square(token="EAAAtoken", base_url=server.url)
        client.locations.list()

Each access token given is a merchant of its own, with a refresh token `<token>-refresh`.
`POST /oauth2/token` (grant_type refresh_token, the sandbox's client id and secret) issues a new
30-day access token for that merchant; the old one keeps working until it expires. Admin:
`mutate` actions create, update, delete, touch and expire_token; `webhooks` delivers the
merchant's events signed as Square signs them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.common.webhooks import hmac_sha256_b64
from connectors.sandbox.app import Denied, SandboxApp
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.faults import Faults
from connectors.sandbox.http import Response, SandboxRequest, json_response
from connectors.sandbox.options import SandboxOptions
from connectors.sandbox.seeding import DAY, SeedSpec, rng_for
from connectors.sandbox.webhooks import deliver
from connectors.square.sandbox.api import SquareError
from connectors.square.sandbox.seed import SEEDED, rfc3339, square_id
from connectors.square.sandbox.state import COLLECTIONS, SquareMerchant

SEEDABLE = SEEDED
CLIENT_ID = "sq0idp-sandbox-intsync"
CLIENT_SECRET = "sq0csp-sandbox-intsync-secret"
TOKEN_SECONDS = 30 * DAY
_LISTS = {"/v2/payments": ("payments", "payments"), "/v2/refunds": ("refunds", "refunds")}
_SEARCHES = {
    "/v2/orders/search": ("orders", "search_orders"),
    "/v2/customers/search": ("customers", "search_customers"),
    "/v2/catalog/search": ("objects", "search_catalog"),
}


def _auth_error(code: str, detail: str) -> Response:
    return _error(SquareError(401, "AUTHENTICATION_ERROR", code, detail))


def _error(exc: SquareError) -> Response:
    return json_response(exc.status, exc.body())


class SquareSandbox(SandboxApp):
    """The Square API emulator (WSGI app); serve it with `connectors.sandbox.SandboxServer`."""

    provider = "square"

    def __init__(self, accounts: Mapping[str, SeedSpec], *, faults: Faults | None = None):
        super().__init__(faults)
        self.specs = dict(accounts)
        self._merchants: dict[str, SquareMerchant] = {}
        self._spec_of: dict[str, SeedSpec] = {}
        self.reset_state()

    def reset_state(self) -> None:
        self._merchants.clear()
        # token -> (merchant id, expires at unix); refresh token -> merchant id
        self.tokens: dict[str, tuple[str, float]] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.token_requests = 0
        for index, token in enumerate(self.specs):
            merchant_id = "M" + square_id(rng_for(self.specs[token].seed, "merchant", index), 12)
            self.tokens[token] = (merchant_id, time.time() + TOKEN_SECONDS)
            self.refresh_tokens[f"{token}-refresh"] = merchant_id
            self._spec_of[merchant_id] = self.specs[token]

    def merchant(self, merchant_id: str) -> SquareMerchant:
        """The merchant's state, seeded on first use."""
        with self.lock:
            state = self._merchants.get(merchant_id)
            if state is None:
                state = self._merchants[merchant_id] = SquareMerchant(
                    self._spec_of[merchant_id], merchant_id
                )
            return state

    def prepare(self) -> None:
        for merchant_id in self._spec_of:
            self.merchant(merchant_id)

    def info(self) -> dict[str, Any]:
        return {
            "provider": "square",
            "credentials": list(self.specs),
            "merchants": {t: m for t, (m, _) in self.tokens.items()},
            "oauth": {"client_id": CLIENT_ID, "token_requests": self.token_requests},
        }

    # -- framework hooks ----------------------------------------------------------------------
    def credential(self, request: SandboxRequest) -> str | None:
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def authenticate(self, request: SandboxRequest, credential: str | None) -> str:
        if request.path == "/oauth2/token":
            return "oauth"
        if credential is None:
            raise Denied(_auth_error("UNAUTHORIZED", "This request could not be authorized."))
        known = self.tokens.get(credential)
        if known is None:
            raise Denied(self.unauthorized(credential))
        merchant_id, expires = known
        if expires <= time.time():
            raise Denied(
                _auth_error("ACCESS_TOKEN_EXPIRED", "The access token has expired: refresh it.")
            )
        return merchant_id

    def unauthorized(self, credential: str | None) -> Response:
        if credential in self.tokens:
            return _auth_error("ACCESS_TOKEN_REVOKED", "The access token has been revoked.")
        return _auth_error("UNAUTHORIZED", "This request could not be authorized.")

    def rate_limited(self, reason: str) -> Response:
        return _error(SquareError(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limited."))

    def server_error(self, status: int) -> Response:
        code = "SERVICE_UNAVAILABLE" if status == 503 else "INTERNAL_SERVER_ERROR"
        category = "API_ERROR" if status >= 500 else "INVALID_REQUEST_ERROR"
        return _error(SquareError(status, category, code, f"Sandbox fault {status}."))

    # -- API ----------------------------------------------------------------------------------
    def handle(self, request: SandboxRequest, account: str) -> Response:
        try:
            if account == "oauth":
                return self._token(request)
            with self.lock:
                return self._route(request, self.merchant(account))
        except SquareError as exc:
            return _error(exc)
        except ValueError as exc:
            return _error(SquareError(400, "INVALID_REQUEST_ERROR", "BAD_REQUEST", str(exc)))

    def _route(self, request: SandboxRequest, merchant: SquareMerchant) -> Response:
        path, method = request.path.rstrip("/"), request.method
        if path == "/v2/locations" and method == "GET":
            return json_response(200, {"locations": merchant.locations})
        if path in _LISTS and method == "GET":
            name, key = _LISTS[path]
            blobs, cursor = merchant.list_by_location(name, dict(request.query))
            return _listing(key, blobs, cursor)
        if path in _SEARCHES and method == "POST":
            key, search = _SEARCHES[path]
            blobs, cursor = getattr(merchant, search)(request.json() or {})
            latest = rfc3339(merchant.now()) if key == "objects" else None
            response = _listing(key, blobs, cursor, latest)
            if key == "customers" and merchant.last_count is not None:
                response.body = response.body[:-1] + b',"count":%d}' % merchant.last_count
            return response
        parts = path.strip("/").split("/")
        if len(parts) == 3 and method == "GET" and parts[1] in ("payments", "refunds", "orders"):
            found = merchant.get(parts[1], parts[2])
            return json_response(200, {parts[1][:-1]: found})
        if len(parts) == 3 and method == "GET" and parts[1] == "customers":
            return json_response(200, {"customer": merchant.get("customers", parts[2])})
        if len(parts) == 4 and method == "GET" and parts[1:3] == ["catalog", "object"]:
            return json_response(200, {"object": merchant.catalog_object(parts[3])})
        if len(parts) == 3 and method == "GET" and parts[1] == "locations":
            locations = [x for x in merchant.locations if x["id"] == parts[2]]
            if locations:
                return json_response(200, {"location": locations[0]})
        raise SquareError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"No route {method} {path}.")

    def _token(self, request: SandboxRequest) -> Response:
        body = request.json() or {}
        self.token_requests += 1
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            raise SquareError(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "Invalid client.")
        if body.get("grant_type") != "refresh_token":
            raise SquareError(400, "INVALID_REQUEST_ERROR", "BAD_REQUEST", "Unsupported grant.")
        merchant_id = self.refresh_tokens.get(body.get("refresh_token") or "")
        if merchant_id is None:
            raise SquareError(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "Invalid refresh token.")
        token = "EAAA" + square_id(rng_for(time.time_ns(), "token"), 40)
        expires = time.time() + TOKEN_SECONDS
        with self.lock:
            self.tokens[token] = (merchant_id, expires)
        return json_response(200, {
            "access_token": token, "token_type": "bearer", "expires_at": rfc3339(expires),
            "merchant_id": merchant_id, "refresh_token": body["refresh_token"],
            "short_lived": False,
        })  # fmt: skip

    # -- admin --------------------------------------------------------------------------------
    def _state_for(self, account: str | None) -> SquareMerchant:
        if account is None and len(self._spec_of) == 1:
            return self.merchant(next(iter(self._spec_of)))
        merchant_id = self.tokens.get(account or "", (account, 0))[0]
        if merchant_id not in self._spec_of:
            raise NotFound(f"no Square sandbox account {account!r}")
        return self.merchant(merchant_id)

    def objects(self, resource: str, params: dict[str, str]) -> Any:
        if resource not in (*COLLECTIONS, "locations"):
            raise NotFound(f"square sandbox has no resource {resource!r}")
        with self.lock:
            return self._state_for(params.get("account")).current(resource)

    def mutate(self, payload: dict[str, Any]) -> Any:
        action = payload.get("action")
        with self.lock:
            if action == "expire_token":
                merchant_id, _ = self.tokens[payload["token"]]
                self.tokens[payload["token"]] = (merchant_id, time.time() - 1)
                return {"expired": True}
            state = self._state_for(payload.get("account"))
            name = payload.get("resource", "")
            if name not in COLLECTIONS:
                raise SandboxUsageError(f"resource {name!r}: expected one of {COLLECTIONS}")
            try:
                if action == "create":
                    return state.create(name, dict(payload.get("fields") or {}))
                if action == "update":
                    return state.update(name, payload["id"], dict(payload.get("fields") or {}))
                if action == "delete":
                    return state.delete(name, payload["id"])
                if action == "touch":
                    return state.touch(name, int(payload.get("count", 1)))
            except SquareError as exc:
                raise SandboxUsageError(str(exc)) from None
        raise SandboxUsageError(
            f"action {action!r}: expected create, update, delete, touch or expire_token"
        )

    def webhooks(self, payload: dict[str, Any]) -> Any:
        """Deliver the account's events (from `since`, an index, or the ids in `events`) to `url`,
        signed with `signature_key` over `notification_url` (default `url`) + body."""
        url, key = payload.get("url"), payload.get("signature_key")
        if not url or not key:
            raise SandboxUsageError("webhooks needs url and signature_key")
        notification_url = payload.get("notification_url") or url
        with self.lock:
            events = self._state_for(payload.get("account")).events[int(payload.get("since", 0)) :]
            if payload.get("events"):
                wanted = set(payload["events"])
                events = [e for e in events if e["event_id"] in wanted]
            bodies = [(e["event_id"], orjson.dumps(e)) for e in events]

        def sign(body: bytes) -> dict[str, str]:
            signature = hmac_sha256_b64(key, notification_url.encode() + body)
            return {"x-square-hmacsha256-signature": signature}

        done = deliver(
            url,
            bodies,
            sign,
            duplicate_probability=float(payload.get("duplicate_probability", 0)),
            shuffle=bool(payload.get("shuffle")),
            seed=payload.get("seed"),
        )
        return {"deliveries": [d.to_json() for d in done]}


def _listing(
    key: str, blobs: list[bytes], cursor: str | None, latest: str | None = None
) -> Response:
    body = b'{"' + key.encode() + b'":[' + b",".join(blobs) + b"]"
    if cursor:
        body += b',"cursor":' + orjson.dumps(cursor)
    if latest:
        body += b',"latest_time":' + orjson.dumps(latest)
    return json_response(200, body + b"}")


def build_sandbox(options: SandboxOptions) -> SquareSandbox:
    """A Square sandbox from command-line options: `credentials` as access tokens, or
    `accounts` tokens `EAAAsandbox1..N`; account i is seeded with `seed + i` (`seed` with same_ids)."""
    tokens = list(options.credentials) or [f"EAAAsandbox{i + 1}" for i in range(options.accounts)]
    specs = {
        token: SeedSpec(seed=options.account_seed(i), counts=dict(options.counts), now=options.now)
        for i, token in enumerate(tokens)
    }
    return SquareSandbox(specs)
