"""Framework fixtures: a tiny provider sandbox built on SandboxApp, served on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.sandbox import (
    Collection,
    Denied,
    NotFound,
    Response,
    SandboxApp,
    SandboxRequest,
    SandboxServer,
    json_response,
)

TOKEN = "tok_good_1234"


class NotesSandbox(SandboxApp):
    """A minimal provider: `GET /notes` lists notes of the caller's account; Bearer auth."""

    provider = "notes"

    def __init__(self) -> None:
        super().__init__()
        self.reset_state()

    def reset_state(self) -> None:
        self.notes = Collection()
        self.notes.load({"id": f"n{i:03d}", "created": 1000 + i} for i in range(5))

    def credential(self, request: SandboxRequest) -> str | None:
        auth = request.header("Authorization") or ""
        return auth[7:] if auth.startswith("Bearer ") else None

    def authenticate(self, request: SandboxRequest, credential: str | None) -> str:
        if credential != TOKEN:
            raise Denied(self.unauthorized(credential))
        return "acct-1"

    def handle(self, request: SandboxRequest, account: str) -> Response:
        if request.path == "/notes" and request.method in ("GET", "HEAD"):
            blobs, more = self.notes.page(100)
            return json_response(200, b'{"notes":[' + b",".join(blobs) + b"]}")
        if request.path == "/echo" and request.method == "POST":
            return json_response(200, {"body": request.body.decode(), "form": request.form})
        return json_response(404, {"error": "no route"})

    def unauthorized(self, credential: str | None) -> Response:
        return json_response(401, {"error": "bad token"})

    def rate_limited(self, reason: str) -> Response:
        return json_response(429, {"error": "slow down", "reason": reason}, [("Retry-After", "1")])

    def server_error(self, status: int) -> Response:
        return json_response(status, {"error": "boom"})

    def mutate(self, payload: dict[str, Any]) -> Any:
        self.notes.put({"id": payload["id"], "created": payload["created"]})
        return {"count": len(self.notes)}

    def objects(self, resource: str, params: dict[str, str]) -> Any:
        if resource != "notes":
            raise NotFound(f"no resource {resource!r}")
        return self.notes.dump()


@pytest.fixture
def notes_app() -> NotesSandbox:
    return NotesSandbox()


@pytest.fixture
def notes_server(notes_app: NotesSandbox) -> Iterator[SandboxServer]:
    with SandboxServer(notes_app) as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session
