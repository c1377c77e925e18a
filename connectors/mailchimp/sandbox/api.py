"""The Mailchimp sandbox's API routes: `/3.0/...` reads with offset paging and `since_*`
filters, member writes, and errors as `application/problem+json`."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from connectors.common.times import parse_iso
from connectors.mailchimp.resources import PAGE_SIZE, mailchimp_time
from connectors.mailchimp.sandbox.state import MailchimpAccount
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.http import Response, SandboxRequest, json_response

_ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> Response:
    """An error the way Mailchimp sends one: `instance` names this occurrence, and a request
    that fails validation says which field in `errors`."""
    body: dict[str, Any] = {"type": _ERRORS_DOC, "title": title, "status": status,
                            "detail": detail, "instance": str(uuid.uuid4())}  # fmt: skip
    if errors:
        body["errors"] = errors
    response = json_response(status, body)
    response.content_type = "application/problem+json; charset=utf-8"
    return response


def route(request: SandboxRequest, state: MailchimpAccount) -> Response:
    """Answer one `/3.0/...` request for the account `state`."""
    parts = request.path.strip("/").split("/")
    if not parts or parts[0] != "3.0":
        raise NotFound(f"no route {request.method} {request.path}")
    parts = parts[1:]
    query = dict(request.query)
    method = request.method
    if method == "GET":
        return json_response(200, _read(parts, query, state))
    if len(parts) >= 3 and parts[0] == "lists" and parts[2] == "members":
        written = _write_member(method, parts, request, state)
        return Response(204) if method == "DELETE" else json_response(200, written)
    raise NotFound(f"no route {method} {request.path}")


def _read(parts: list[str], query: dict[str, str], state: MailchimpAccount) -> bytes | Any:
    if parts in ([], [""]):
        return {"account_id": "sandbox", "account_name": "Sandbox venue", "pricing_plan_type": "x"}
    if parts == ["ping"]:
        return {"health_status": "Everything's Chimpy!"}
    offset, count = _paging(query)
    head = parts[0]
    if head == "lists" and len(parts) == 1:
        audiences = [state.audience(lid) for lid in state.lists]
        return {"lists": audiences[offset : offset + count], "total_items": len(audiences)}
    if head == "lists" and len(parts) == 2:
        return state.audience(parts[1])
    if head == "lists" and len(parts) == 3 and parts[2] == "members":
        since = _time(query, "since_last_changed")
        blobs, total = state.member_page(parts[1], offset, count, since)
        return _listing("members", blobs, total, list_id=parts[1])
    if head == "lists" and len(parts) == 4 and parts[2] == "members":
        return state.member(parts[1], parts[3])
    if head == "campaigns" and len(parts) == 1:
        since_create = _time(query, "since_create_time")
        blobs, total = state.campaign_page(
            offset, count, since_create, _time(query, "since_send_time")
        )
        return _listing("campaigns", blobs, total)
    if head in ("campaigns", "reports") and len(parts) == 2:
        found = (state.campaigns if head == "campaigns" else state.reports).get(parts[1])
        if found is None:
            raise NotFound(f"The requested resource could not be found: {head} {parts[1]}")
        return found
    if head == "reports" and len(parts) == 1:
        blobs, total = state.report_page(offset, count, _time(query, "since_send_time"))
        return _listing("reports", blobs, total)
    raise NotFound(f"The requested resource could not be found: /{'/'.join(parts)}")


def _write_member(
    method: str, parts: list[str], request: SandboxRequest, state: MailchimpAccount
) -> Any:
    body = request.json() or {}
    if not isinstance(body, dict):
        raise SandboxUsageError("expected a JSON object")
    list_id = parts[1]
    if method == "POST" and len(parts) == 3:
        if not body.get("email_address"):
            raise SandboxUsageError("email_address: This value should not be blank.")
        return state.upsert_member(list_id, body)
    if len(parts) == 4 and method in ("PATCH", "PUT"):
        if method == "PATCH":
            state.member(list_id, parts[3])
        return state.upsert_member(list_id, body, parts[3])
    if len(parts) == 4 and method == "DELETE":
        state.member(list_id, parts[3])
        return state.archive_member(list_id, parts[3])
    raise NotFound(f"no route {method} /3.0/{'/'.join(parts)}")


def _listing(key: str, blobs: list[bytes], total: int, **extra: str) -> bytes:
    tail = orjson.dumps({**extra, "total_items": total, "_links": []})
    return b'{"' + key.encode() + b'":[' + b",".join(blobs) + b"]," + tail[1:]


class InvalidField(SandboxUsageError):
    """A query parameter Mailchimp would refuse: answered 400 Invalid Resource, with the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _paging(query: dict[str, str]) -> tuple[int, int]:
    offset = _whole(query, "offset", 0)
    count = _whole(query, "count", 10)
    if not 0 <= count <= PAGE_SIZE:
        raise InvalidField("count", f"The maximum count is {PAGE_SIZE} (asked for {count}).")
    if offset < 0:
        raise InvalidField("offset", f"Offset must be 0 or more (asked for {offset}).")
    return offset, count


def _whole(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise InvalidField(name, f"{raw!r} is not a whole number.") from None


def _time(query: dict[str, str], name: str) -> str | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return mailchimp_time(parse_iso(value))
    except ValueError:
        raise SandboxUsageError(f"{name}: {value!r} is not an ISO 8601 time") from None
