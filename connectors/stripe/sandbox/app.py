"""A stateful local Stripe API that the real `stripe` SDK talks to through its base-URL setting.

    sandbox = StripeSandbox({"sk_test_a": SeedSpec(seed=1, counts={"charges": 200})})
    with SandboxServer(sandbox) as server:
        client = stripe.StripeClient("sk_test_a", base_addresses={"api": server.url})
        client.v1.charges.list({"limit": 3})

Accounts are keyed by secret API key (Bearer, as the SDK sends it). Keys starting `acct_` are
connected accounts: any valid key reaches them with the `Stripe-Account` header. With
`open_accounts=True` any `sk_test_...` key gets a fresh account seeded from the key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.sandbox.app import Denied, SandboxApp
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.faults import Faults
from connectors.sandbox.http import Response, SandboxRequest, json_response
from connectors.sandbox.options import SandboxOptions
from connectors.sandbox.seeding import SeedSpec
from connectors.stripe.sandbox.admin import StripeAdmin
from connectors.stripe.sandbox.api import ApiError, coerce, decode_nested, parse_list_query
from connectors.stripe.sandbox.resources import RESOURCES, resource_for_id
from connectors.stripe.sandbox.seed import SEEDED
from connectors.stripe.sandbox.state import StripeAccount
from connectors.stripe.sandbox.writes import check_fields

DEFAULT_KEY = "sk_test_sandbox_1"
SEEDABLE = SEEDED
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)
_RATE = (
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


def mask_key(key: str) -> str:
    """`sk_test_****1234`, as Stripe shows a key in errors."""
    head = next(
        (p for p in ("sk_test_", "sk_live_", "rk_test_", "rk_live_") if key.startswith(p)), ""
    )
    return f"{head}****{key[-4:]}"


class StripeSandbox(StripeAdmin, SandboxApp):
    """The Stripe API emulator (WSGI app); serve it with `connectors.sandbox.SandboxServer`."""

    provider = "stripe"

    def __init__(
        self,
        accounts: Mapping[str, SeedSpec] | None = None,
        *,
        faults: Faults | None = None,
        open_accounts: bool = False,
    ) -> None:
        super().__init__(faults)
        self.specs: dict[str, SeedSpec] = dict(accounts or {DEFAULT_KEY: SeedSpec()})
        self.open_accounts = open_accounts
        self._accounts: dict[str, StripeAccount] = {}

    # -- accounts -------------------------------------------------------------------------------
    def account(self, key: str) -> StripeAccount:
        """The state of account `key` (an API key or `acct_...`), seeded on first use."""
        with self.lock:
            state = self._accounts.get(key)
            if state is None:
                spec = self.specs.get(key)
                if spec is None:
                    raise NotFound(f"no Stripe sandbox account {mask_key(key)}")
                connect_id = key if key.startswith("acct_") else None
                state = self._accounts[key] = StripeAccount(spec, connect_id)
            return state

    def reset_state(self) -> None:
        self._accounts.clear()

    def prepare(self) -> None:
        """Seed every configured account now rather than on first use."""
        for key in list(self.specs):
            self.account(key)

    def info(self) -> dict[str, Any]:
        keys = [k for k in self.specs if not k.startswith("acct_")]
        connected = [k for k in self.specs if k.startswith("acct_")]
        return {"provider": "stripe", "api_keys": keys, "connected_accounts": connected}

    # -- framework hooks ------------------------------------------------------------------------
    def credential(self, request: SandboxRequest) -> str | None:
        auth = request.header("Authorization") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip() or None
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode().split(":", 1)[0] or None
            except (ValueError, UnicodeDecodeError):
                return None
        return None

    def authenticate(self, request: SandboxRequest, credential: str | None) -> str:
        if credential is None:
            raise Denied(ApiError(401, _NO_KEY).response(_ids()))
        if credential not in self.specs or credential.startswith("acct_"):
            if not (self.open_accounts and credential.startswith("sk_test_")):
                raise Denied(self.unauthorized(credential))
            with self.lock:
                self.specs.setdefault(credential, SeedSpec(seed=_seed_of(credential)))
        connect = request.header("Stripe-Account")
        if connect:
            if connect not in self.specs or not connect.startswith("acct_"):
                raise Denied(
                    ApiError(
                        403,
                        f"The provided key '{mask_key(credential)}' does not have access to "
                        f"account '{connect}' (or that account does not exist). Application "
                        "access may have been revoked.",
                        code="account_invalid",
                    ).response(_ids())
                )
            return connect
        return credential

    def unauthorized(self, credential: str | None) -> Response:
        message = f"Invalid API Key provided: {mask_key(credential or '')}"
        return ApiError(401, message).response(_ids())

    def rate_limited(self, reason: str) -> Response:
        headers = [*_ids(), ("Stripe-Rate-Limited-Reason", "global-rate")]
        return ApiError(429, _RATE, code="rate_limit").response(headers)

    def server_error(self, status: int) -> Response:
        if status < 500:
            return ApiError(status, f"Scripted {status} from the sandbox").response(_ids())
        message = "An unknown error occurred" if status == 500 else "Service unavailable"
        return ApiError(status, message, kind="api_error").response(_ids())

    def route_label(self, path: str) -> str:
        parts = path.split("/")
        if len(parts) >= 4 and parts[1] == "v1" and parts[2] in RESOURCES:
            parts[3] = "{id}"
        return "/".join(parts)

    # -- API ------------------------------------------------------------------------------------
    def handle(self, request: SandboxRequest, account: str) -> Response:
        headers = _ids()
        try:
            with self.lock:
                status, body = self._route(request, self.account(account), headers)
        except ApiError as exc:
            return exc.response(headers)
        return json_response(status, body, headers)

    def _route(
        self, request: SandboxRequest, state: StripeAccount, headers: list[tuple[str, str]]
    ) -> tuple[int, bytes]:
        parts = request.path.strip("/").split("/")
        method = request.method
        if len(parts) < 2 or parts[0] != "v1" or parts[1] not in RESOURCES:
            raise _unrecognized(request)
        info = RESOURCES[parts[1]]
        if len(parts) == 2 and method == "GET":
            query = parse_list_query(decode_nested(request.query), info)
            return 200, state.list_body(info.name, query, request.path)
        if len(parts) == 3 and method == "GET":
            return 200, state.retrieve(info.name, parts[2])
        if len(parts) == 4 and method == "GET" and (info.name, parts[3]) in _SUBLISTS:
            return 200, self._sublist(state, info.name, parts[2], parts[3], request)
        if method in ("POST", "DELETE") and len(parts) in (2, 3):
            return self._write(request, state, info.name, parts[2:], headers)
        raise _unrecognized(request)

    def _write(
        self,
        request: SandboxRequest,
        state: StripeAccount,
        resource: str,
        rest: list[str],
        headers: list[tuple[str, str]],
    ) -> tuple[int, bytes]:
        info = RESOURCES[resource]
        key = request.header("Idempotency-Key")
        replay = _replayed(state, key, request)
        if replay is not None:
            headers.append(("Idempotent-Replayed", "true"))
            return replay
        meta = {"id": headers[0][1], "idempotency_key": key}
        fields = coerce(decode_nested(request.form))
        if request.method == "DELETE" and rest and info.deletable:
            result = state.delete(resource, rest[0], request=meta)
        elif request.method == "POST" and not rest and info.creatable:
            check_fields(resource, fields, info.creatable)
            result = state.create(resource, fields, request=meta)
        elif request.method == "POST" and rest and info.updatable:
            check_fields(resource, fields, info.updatable)
            result = state.update(resource, rest[0], fields, request=meta)
        else:
            raise _unrecognized(request)
        body = orjson.dumps(result)
        if key:
            state.idempotency[key] = (_fingerprint(request), 200, body)
        return 200, body

    def _sublist(
        self,
        state: StripeAccount,
        resource: str,
        object_id: str,
        field: str,
        request: SandboxRequest,
    ) -> bytes:
        obj = state.get(resource, object_id)
        embedded = obj.get(field) or {"data": []}
        params = decode_nested(request.query)
        limit = parse_list_query({"limit": params.get("limit")}, RESOURCES[resource]).limit
        data = embedded.get("data", [])
        after = params.get("starting_after")
        if after:
            ids = [item["id"] for item in data]
            if after not in ids:
                raise ApiError(400, f"No such object: '{after}'", param="starting_after")
            data = data[ids.index(after) + 1 :]
        return orjson.dumps(
            {"object": "list", "url": request.path, "has_more": len(data) > limit,
             "data": data[:limit]}
        )  # fmt: skip


_SUBLISTS = {("invoices", "lines"), ("charges", "refunds")}


def build_sandbox(options: SandboxOptions) -> StripeSandbox:
    """A Stripe sandbox from command-line options: `credentials` as API keys, or `accounts`
    keys `sk_test_sandbox_1..N`; account i is seeded with `seed + i` (`seed` with same_ids)."""
    keys = list(options.credentials) or [
        f"sk_test_sandbox_{i + 1}" for i in range(options.accounts)
    ]
    for key in keys:
        if not key.startswith(("sk_test_", "rk_test_", "acct_")):
            raise SandboxUsageError(
                f"Stripe sandbox key {mask_key(key)!r} must start with sk_test_, rk_test_ or acct_"
            )
    specs = {
        key: SeedSpec(seed=options.account_seed(i), counts=dict(options.counts), now=options.now)
        for i, key in enumerate(keys)
    }
    return StripeSandbox(specs)


def _ids() -> list[tuple[str, str]]:
    return [("Request-Id", "req_" + secrets.token_hex(7)), ("Stripe-Version", "2026-10-28.endive")]


def _seed_of(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")


def _fingerprint(request: SandboxRequest) -> bytes:
    return hashlib.sha256(request.method.encode() + request.path.encode() + request.body).digest()


def _replayed(
    state: StripeAccount, key: str | None, request: SandboxRequest
) -> tuple[int, bytes] | None:
    if not key or key not in state.idempotency:
        return None
    fingerprint, status, body = state.idempotency[key]
    if fingerprint != _fingerprint(request):
        raise ApiError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were "
            "first used with.",
            kind="idempotency_error",
        )
    return status, body


def _unrecognized(request: SandboxRequest) -> ApiError:
    return ApiError(
        404,
        f"Unrecognized request URL ({request.method}: {request.path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )


__all__ = [
    "DEFAULT_KEY",
    "SEEDABLE",
    "StripeSandbox",
    "build_sandbox",
    "mask_key",
    "resource_for_id",
]
