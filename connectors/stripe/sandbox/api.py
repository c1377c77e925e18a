"""Stripe's wire conventions for the sandbox: error bodies, nested form decoding, list queries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox.collection import CreatedRange
from connectors.sandbox.http import Response, json_response
from connectors.stripe.sandbox.resources import (
    BOOLEAN_FIELDS,
    EVENT_TYPES_MAX,
    INTEGER_FIELDS,
    ResourceInfo,
)

_KEY = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


class ApiError(Exception):
    """An answer in Stripe's error form: `{"error": {"type", "message", "param", "code"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = (
            status,
            message,
            kind,
            param,
            code,
        )

    def response(self, headers: Iterable[tuple[str, str]] = ()) -> Response:
        error: dict[str, Any] = {"type": self.kind, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        return json_response(self.status, {"error": error}, headers)


def missing(object_name: str, object_id: str, param: str = "id", status: int = 404) -> ApiError:
    """Stripe's `resource_missing` error."""
    return ApiError(
        status, f"No such {object_name}: '{object_id}'", param=param, code="resource_missing"
    )


def decode_nested(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`metadata[a]=1&items[0][price]=p&types[]=x` into nested dicts and lists, as Stripe reads
    form and query parameters."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [m.group(1) if m.group(1) is not None else m.group(2) for m in _KEY.finditer(key)]
        if not parts:
            continue
        node = root
        for part in parts[:-1]:
            part = part if part != "" else str(len(node))
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1] if parts[-1] != "" else str(len(node))
        node[last] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def coerce(values: dict[str, Any], path: str = "") -> dict[str, Any]:
    """Integers and booleans where Stripe takes them (form values arrive as strings)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{path}[{key}]" if path else key
        if isinstance(value, dict) and key != "metadata":
            out[key] = coerce(value, name)
        elif isinstance(value, str) and key in INTEGER_FIELDS:
            try:
                out[key] = int(value)
            except ValueError:
                raise ApiError(400, f"Invalid integer: {value}", param=name) from None
        elif isinstance(value, str) and key in BOOLEAN_FIELDS:
            if value not in ("true", "false"):
                raise ApiError(400, f"Invalid boolean: {value}", param=name)
            out[key] = value == "true"
        else:
            out[key] = value
    return out


@dataclass
class ListQuery:
    """A parsed list request."""

    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None
    created: CreatedRange | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    types: list[str] | None = None


_PAGING = {"limit", "starting_after", "ending_before", "created", "expand"}


def parse_list_query(params: dict[str, Any], info: ResourceInfo) -> ListQuery:
    """Validate list parameters the way Stripe does; unknown ones are a 400 naming the param."""
    allowed = _PAGING | set(info.filters) | ({"types"} if info.name == "events" else set())
    for name in params:
        if name not in allowed:
            raise ApiError(400, f"Received unknown parameter: {name}", param=name)
    query = ListQuery(limit=_limit(params.get("limit")))
    query.starting_after = _id_param(params, "starting_after")
    query.ending_before = _id_param(params, "ending_before")
    if query.starting_after and query.ending_before:
        raise ApiError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    query.created = _created(params.get("created"))
    query.filters = {k: v for k, v in params.items() if k in info.filters}
    for key in ("active",):
        if key in query.filters:
            query.filters[key] = query.filters[key] == "true"
    if "types" in params:
        query.types = _types(params["types"])
    return query


def _limit(raw: Any) -> int:
    if raw is None:
        return 10
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, f"Invalid integer: {raw}", param="limit") from None
    if not 1 <= limit <= 100:
        raise ApiError(
            400,
            f"This value must be greater than or equal to 1 and less than or equal to 100 "
            f"(it was {limit}).",
            param="limit",
        )
    return limit


def _id_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid string: {value}", param=name)
    return value


def _created(raw: Any) -> CreatedRange | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return CreatedRange.of(eq=_int(raw, "created"))
    if not isinstance(raw, dict):
        raise ApiError(400, "Invalid created: must be an integer or a hash", param="created")
    bounds = {}
    for op, value in raw.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise ApiError(
                400, f"Received unknown parameter: created[{op}]", param=f"created[{op}]"
            )
        bounds[op] = _int(value, f"created[{op}]")
    return CreatedRange.of(**bounds)


def _int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Invalid integer: {value}", param=param) from None


def _types(raw: Any) -> list[str]:
    types = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(t, str) for t in types):
        raise ApiError(400, "Invalid array", param="types")
    if len(types) > EVENT_TYPES_MAX:
        raise ApiError(
            400,
            f"You may pass at most {EVENT_TYPES_MAX} types (you passed {len(types)}).",
            param="types",
        )
    return types


def type_matcher(pattern: str) -> Callable[[str], bool]:
    """Stripe's event `type` filter: exact, or a `*` wildcard such as `charge.*`."""
    if "*" not in pattern:
        return lambda kind: kind == pattern
    regex = re.compile("^" + re.escape(pattern).replace(r"\*", "[^.]*(\\.[^.]*)*") + "$")
    return lambda kind: regex.match(kind) is not None
