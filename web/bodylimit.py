"""The body limit for streamed (chunked) requests, which carry no Content-Length.

Werkzeug enforces MAX_CONTENT_LENGTH on a declared Content-Length, but a streamed body is only
read up to the limit and the rest dropped without a word: a webhook then fails its signature
over the cut body. Here such a body is read once, up to one byte past the limit, and answered
413 when it is over.
"""

from __future__ import annotations

import io

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

_CHUNK = 64 * 1024


def init_app(app: Flask) -> None:
    """Refuse streamed bodies over MAX_CONTENT_LENGTH with 413 before any route reads them."""

    @app.before_request
    def _limit_streamed_body() -> None:
        environ = request.environ
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit is None or request.content_length is not None:
            return
        if not environ.get("wsgi.input_terminated"):
            return
        body = _read_at_most(environ["wsgi.input"], int(limit) + 1)
        if len(body) > int(limit):
            raise RequestEntityTooLarge(
                f"the request body is over the {int(limit)} byte limit (sent chunked)"
            )
        environ["wsgi.input"] = io.BytesIO(body)  # the routes read it from here, whole


def _read_at_most(stream: io.RawIOBase, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        data = stream.read(min(_CHUNK, size - len(out)))
        if not data:
            break
        out.extend(data)
    return bytes(out)
