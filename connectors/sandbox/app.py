"""The WSGI application every provider sandbox builds on: faults, stats, admin API, dispatch.

A provider subclasses `SandboxApp` and fills in the hooks: how a request names its credential and
account, how the provider words 401/429/5xx answers, how it handles its API routes, and what the
admin routes (`mutate`, `objects`, `webhooks`, `reset`) do to its state. Everything else (fault
draws, latency, the per-account rate limit, counting, the `/_sandbox/` routes) lives here, once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.faults import FaultInjector, Faults
from connectors.sandbox.http import Response, SandboxRequest, json_response
from connectors.sandbox.stats import RequestStats

log = logging.getLogger(__name__)
ADMIN_PREFIX = "/_sandbox/"
_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}  # fmt: skip


class Denied(Exception):
    """Raised by `SandboxApp.authenticate` to answer with the provider's own error."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class SandboxApp:
    """Base WSGI app of a provider sandbox. Subclasses implement the hooks below."""

    provider = "sandbox"

    def __init__(self, faults: Faults | None = None) -> None:
        self.injector = FaultInjector(faults)
        self.stats = RequestStats()
        self.lock = threading.RLock()

    # ---- hooks for providers ----------------------------------------------------------------
    def credential(self, request: SandboxRequest) -> str | None:
        """The credential the request presents (checked against revoked credentials)."""
        return None

    def authenticate(self, request: SandboxRequest, credential: str | None) -> str:
        """The account the request acts on; raise Denied(response) to refuse it."""
        return "default"

    def handle(self, request: SandboxRequest, account: str) -> Response:
        """Answer one API request for `account`."""
        return json_response(404, {"error": f"no route {request.method} {request.path}"})

    def unauthorized(self, credential: str | None) -> Response:
        """The provider's answer to a revoked or unknown credential."""
        return json_response(401, {"error": "unauthorized"})

    def rate_limited(self, reason: str) -> Response:
        """The provider's 429; reason is 'rate' (real limit) or 'fault' (injected)."""
        return json_response(429, {"error": "rate limited"})

    def server_error(self, status: int) -> Response:
        """The provider's 5xx (or any scripted status) answer."""
        return json_response(status, {"error": "server error"})

    def route_label(self, path: str) -> str:
        """The path as counted in stats (providers replace object ids with placeholders)."""
        return path

    def info(self) -> dict[str, Any]:
        """What `GET /_sandbox/info` shows: provider, accounts and test credentials."""
        return {"provider": self.provider}

    def mutate(self, payload: dict[str, Any]) -> Any:
        """`POST /_sandbox/mutate`: create/update/delete objects or bulk changes."""
        raise SandboxUsageError(f"{self.provider} sandbox takes no mutations")

    def objects(self, resource: str, params: dict[str, str]) -> bytes | Any:
        """`GET /_sandbox/objects/<resource>`: the current state, JSON bytes or data."""
        raise NotFound(f"{self.provider} sandbox has no resource {resource!r}")

    def webhooks(self, payload: dict[str, Any]) -> Any:
        """`POST /_sandbox/webhooks`: deliver signed webhooks; returns the receivers' answers."""
        raise SandboxUsageError(f"{self.provider} sandbox sends no webhooks")

    def reset_state(self) -> None:
        """Back to the seeded state."""

    def prepare(self) -> None:
        """Do the seeding now (the CLI calls this before announcing the sandbox ready)."""

    # ---- WSGI --------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable:
        request = SandboxRequest(environ)
        if request.path.startswith(ADMIN_PREFIX):
            response = self._admin(request)
        else:
            self.stats.enter()
            response = json_response(500, {"error": "sandbox failure"})
            try:
                response = self._api(request)
            except Exception as exc:  # a sandbox bug must still answer, and say what broke
                log.exception(
                    "%s sandbox failed on %s %s", self.provider, request.method, request.path
                )
                response = json_response(500, {"error": f"sandbox failure: {exc!r}"})
            finally:
                self.stats.leave(request.method, self.route_label(request.path), response.status)
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            *response.headers,
        ]
        reason = _REASONS.get(response.status, "Status")
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def _api(self, request: SandboxRequest) -> Response:
        injector = self.injector
        faulty = injector.applies_to(request.path)
        if faulty:
            delay = injector.delay_seconds()
            if delay:
                time.sleep(delay)
        credential = self.credential(request)
        if injector.is_revoked(credential):
            return self.unauthorized(credential)
        try:
            account = self.authenticate(request, credential)
        except Denied as denied:
            return denied.response
        injector.hold(account)
        if faulty:
            if injector.over_rate(account):
                return self.rate_limited("rate")
            status = injector.drawn_status()
            if status == 429:
                return self.rate_limited("fault")
            if status is not None:
                return self.server_error(status)
        return self.handle(request, account)

    def _admin(self, request: SandboxRequest) -> Response:
        route = request.path[len(ADMIN_PREFIX) :].strip("/")
        try:
            return self._admin_route(request, route)
        except SandboxUsageError as exc:
            return json_response(400, {"error": str(exc)})
        except NotFound as exc:
            return json_response(404, {"error": str(exc)})
        except ValueError as exc:
            return json_response(400, {"error": f"malformed JSON body: {exc}"})

    def _admin_route(self, request: SandboxRequest, route: str) -> Response:
        method = request.method
        if route == "faults" and method == "GET":
            return json_response(200, self.injector.to_json())
        if route == "faults" and method in ("POST", "PUT", "PATCH"):
            self.injector.update(_json_object(request))
            return json_response(200, self.injector.to_json())
        if route == "faults" and method == "DELETE":
            self.injector.reset()
            return json_response(200, self.injector.to_json())
        if route == "stats" and method == "GET":
            return json_response(200, self.stats.snapshot())
        if route == "stats" and method in ("POST", "DELETE"):
            self.stats.reset()
            return json_response(200, self.stats.snapshot())
        if route == "reset" and method == "POST":
            self.reset()
            return json_response(200, {"reset": True})
        if route == "info" and method == "GET":
            return json_response(200, self.info())
        if route == "mutate" and method == "POST":
            return json_response(200, self.mutate(_json_object(request)))
        if route == "webhooks" and method == "POST":
            return json_response(200, self.webhooks(_json_object(request)))
        if route.startswith("objects/") and method == "GET":
            params = dict(request.query)
            return json_response(200, self.objects(route[len("objects/") :], params))
        raise NotFound(f"no admin route {method} {ADMIN_PREFIX}{route}")

    def reset(self) -> None:
        """Seeded state again, no faults, zeroed stats."""
        with self.lock:
            self.reset_state()
        self.injector.reset()
        self.stats.reset()


def _json_object(request: SandboxRequest) -> dict[str, Any]:
    data = request.json()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SandboxUsageError("expected a JSON object in the request body")
    return data
