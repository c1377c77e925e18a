"""Errors the web layer answers with: JSON bodies with stable codes, one shape everywhere.

Every error is `{"error": {"code": "...", "message": "...", "requestId": "..."}}`; the code is the
part a caller branches on and never changes, the message is for people.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from warehouse.errors import StoreError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An error answered to the caller as JSON with `status` and a stable `code`."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


class OrchestratorUnavailable(ApiError):
    """No Prefect API is configured or it could not be reached: the run was not started."""

    def __init__(self, message: str) -> None:
        super().__init__(503, "orchestrator_unavailable", message)


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    """The JSON error body every route answers with."""
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    request_id = g.get("request_id")
    if request_id:
        body["requestId"] = request_id
    response = jsonify({"error": body})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    """Answer every error, ours or Werkzeug's or unexpected, as JSON."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _CODES.get(status) or (exc.name or "error").lower().replace(" ", "_")
        response = error_response(status, code, exc.description or exc.name or "error")
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(StoreError)
    @app.errorhandler(SQLAlchemyError)  # the store's database refused or dropped a statement
    def _store_error(exc: Exception) -> Response:
        log.error("operational store failed: %s", exc)
        return error_response(
            503, "store_unavailable", "the operational store is unavailable; try again shortly"
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; quote the request id")
