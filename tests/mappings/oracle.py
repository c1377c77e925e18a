"""A straightforward per-record interpreter of a spec: for each record it walks the spec's
fields, resolves each path, applies each transform to one value and builds a row dict, the way
stream-map tools do. It is the reference the compiled mapping is tested against, and
bench/mapping.py's baseline (d); it ships with the tests, not in the package: pipelines use
compile_spec."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyarrow as pa

from mappings.assemble import Context
from mappings.compiler import CompiledMapping
from mappings.currencies import exponent
from mappings.expr_eval import BINARY, FUNCTIONS
from mappings.expr_parse import Binary, Call, Ctx, In, IsNull, Lit, Node, PathRef, Unary
from mappings.model import FieldSpec
from mappings.page import MappedPage, QuarantinedRow
from mappings.paths import get_one
from mappings.refs import ref_id
from mappings.scalars import (
    as_bool,
    as_float,
    as_int,
    as_json,
    as_text,
    coerce,
    from_unix,
    parse_iso,
)
from mappings.types import WIDE_DECIMAL

One = Callable[[Any, FieldSpec, dict[str, Any], bytes], Any]


def _minor(value: Any, field: FieldSpec, record: dict[str, Any], salt: bytes) -> Decimal:
    code = (
        field.currency
        if field.currency_path is None
        else get_one(record, field.currency_path.segments)
    )
    if code is None:
        raise ValueError(f"amount {value!r} has no currency: set currency_path or currency")
    return Decimal(as_int(value)).scaleb(-exponent(as_text(code), field.exponents))


def _sha(value: Any, field: FieldSpec, record: dict[str, Any], salt: bytes) -> str:
    return hashlib.sha256(salt + as_text(value).encode()).hexdigest()


def _decimal(value: Any, field: FieldSpec, record: dict[str, Any], salt: bytes) -> Any:
    target = field.type if field.type.kind == "decimal" else WIDE_DECIMAL
    return coerce(value, target)


STEPS: dict[str, One] = {
    "trim": lambda v, f, r, s: as_text(v).strip(),
    "lower": lambda v, f, r, s: as_text(v).lower(),
    "upper": lambda v, f, r, s: as_text(v).upper(),
    "sha256": _sha,
    "minor_units": _minor,
    "unix_seconds": lambda v, f, r, s: from_unix(v, 1),
    "unix_millis": lambda v, f, r, s: from_unix(v, 1000),
    "iso8601": lambda v, f, r, s: parse_iso(as_text(v)),
    "to_int": lambda v, f, r, s: as_int(v),
    "to_double": lambda v, f, r, s: as_float(v),
    "to_decimal": _decimal,
    "to_bool": lambda v, f, r, s: as_bool(v),
    "to_text": lambda v, f, r, s: as_text(v),
    "json": lambda v, f, r, s: as_json(v),
}


def evaluate(node: Node, record: dict[str, Any], context: dict[str, Any]) -> Any:
    """One expression on one record, by walking its tree."""
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, PathRef):
        return get_one(record, node.path.segments)
    if isinstance(node, Ctx):
        return context.get(node.name)
    if isinstance(node, IsNull):
        return (evaluate(node.operand, record, context) is None) != node.negate
    if isinstance(node, In):
        value = evaluate(node.operand, record, context)
        return None if value is None else (value in node.options) != node.negate
    if isinstance(node, Unary):
        value = evaluate(node.operand, record, context)
        if value is None:
            return None
        return (not as_bool(value)) if node.op == "not" else -value
    if isinstance(node, Binary):
        left = evaluate(node.left, record, context)
        return BINARY[node.op](left, evaluate(node.right, record, context))
    assert isinstance(node, Call)
    return FUNCTIONS[node.name](*(evaluate(a, record, context) for a in node.args))


def source_value(field: FieldSpec, record: dict[str, Any], context: dict[str, Any]) -> Any:
    """What a field reads before its transforms: an expression, a constant, a context value, or
    the first non-null of its paths."""
    if field.expr is not None:
        return evaluate(field.expr, record, context)
    if field.has_const:
        return field.const
    if field.context:
        return context.get(field.context)
    for path in field.paths:
        value = get_one(record, path.segments)
        if value is not None:
            return value if field.ref_key is None else ref_id(value, field.ref_key)
    return None


def field_value(
    field: FieldSpec, record: dict[str, Any], context: dict[str, Any], salt: bytes
) -> Any:
    """One field of one record: source, transforms, map, default, type."""
    value = source_value(field, record, context)
    for name in field.transforms:
        if value is not None:
            value = STEPS[name](value, field, record, salt)
    if field.value_map is not None and value is not None:
        if value in field.value_map:
            value = field.value_map[value]
        elif field.default is not None:
            value = field.default
    if value is None:
        value = field.default
    if value is None:
        return None
    if field.transforms and field.transforms[-1] == "json" and field.type.kind == "json":
        return value  # already JSON text
    return coerce(value, field.type)


def interpret_page(
    compiled: CompiledMapping,
    records: list[dict[str, Any]],
    context: dict[str, Any],
    salt: str = "",
) -> MappedPage:
    """Map a page record by record, walking the spec for each one. Only the output schemas are
    taken from `compiled`; none of its column plans run."""
    spec = compiled.spec
    ctx = Context(context, spec.provider)
    key = salt.encode()
    head = {name: ctx.values[name].as_py() for name in ("tenant_id", "venue_id", "integration_id")}
    if spec.dataset == "core":
        head["provider"] = spec.provider
    tail = {"_synced_at": ctx.values["_synced_at"].as_py(), "_deleted_at": None}
    rows: list[dict[str, Any]] = []
    child_rows: dict[str, list[dict[str, Any]]] = {c.table: [] for c in spec.children}
    quarantined: list[QuarantinedRow] = []
    for record in records:
        try:
            if spec.where is not None and _where(spec.where, record, ctx.plain) is not True:
                continue
            row = {**head, **_fields(spec.fields, record, ctx.plain, key), **tail}
            parent_id = row[spec.primary_key[0]]
            kids = {
                c.table: _children(c, parent_id, head, tail, record, ctx.plain, key)
                for c in spec.children
            }
        except _Refused as refused:
            quarantined.append(
                QuarantinedRow(
                    spec.path,
                    spec.table,
                    str(record.get("id")),
                    refused.field,
                    None,
                    refused.reason,
                    record,
                )
            )
            continue
        rows.append(row)
        for table, found in kids.items():
            child_rows[table].extend(found)
    children = {
        child.table: pa.Table.from_pylist(child_rows[child.table], schema=child.arrow_schema)
        for child in compiled.children
    }
    schema = compiled.arrow_schema
    if compiled.keep_json:
        schema = schema.remove(schema.get_field_index("_extra"))
    return MappedPage(
        table=pa.Table.from_pylist(rows, schema=schema), children=children, quarantined=quarantined
    )


def _where(node: Node, record: dict[str, Any], context: dict[str, Any]) -> Any:
    try:
        return evaluate(node, record, context)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise _Refused("where", str(exc)) from exc


class _Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _fields(
    fields: tuple[FieldSpec, ...], record: dict[str, Any], context: dict[str, Any], salt: bytes
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields:
        try:
            row[field.name] = field_value(field, record, context, salt)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise _Refused(field.name, str(exc)) from exc
    return row


def _children(
    child: Any,
    parent_id: Any,
    head: dict[str, Any],
    tail: dict[str, Any],
    record: dict[str, Any],
    context: dict[str, Any],
    salt: bytes,
) -> list[dict[str, Any]]:
    items = get_one(record, child.path.segments)
    if not isinstance(items, list):
        return []
    found = []
    for position, item in enumerate(items):
        element = item if isinstance(item, dict) else {"value": item}
        try:
            if child.where is not None and _where(child.where, element, context) is not True:
                continue
            values = _fields(child.fields, element, context, salt)
        except _Refused as refused:
            field = "where" if refused.field == "where" else refused.field
            named = f"{child.name}: where" if field == "where" else f"{child.name}.{field}"
            raise _Refused(named, refused.reason) from refused
        found.append({**head, "parent_id": parent_id, "position": position, **values, **tail})
    return found
