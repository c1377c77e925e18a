"""The request and response types every sandbox handler works with: a thin layer over WSGI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

import orjson


@dataclass
class Response:
    """A finished answer: status, raw body and headers."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """Serialize `payload` with orjson (bytes payloads are sent as they are)."""
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return Response(status, body, list(headers))


class SandboxRequest:
    """One incoming request, parsed lazily from the WSGI environ."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method: str = environ["REQUEST_METHOD"].upper()
        self.path: str = environ.get("PATH_INFO") or "/"

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header by its case-insensitive name."""
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return self.environ.get(key) or default
        return self.environ.get("HTTP_" + key, default)

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        """Query-string pairs in order, repeated keys kept."""
        return parse_qsl(self.environ.get("QUERY_STRING", ""), keep_blank_values=True)

    @cached_property
    def body(self) -> bytes:
        """The raw request body."""
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        return self.environ["wsgi.input"].read(length) if length > 0 else b""

    @cached_property
    def form(self) -> list[tuple[str, str]]:
        """Form-encoded body pairs in order (empty for other content types)."""
        ctype = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return []
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)

    def json(self) -> Any:
        """The body parsed as JSON; None when empty. Raises ValueError when malformed."""
        if not self.body.strip():
            return None
        return orjson.loads(self.body)
