"""The benchmark's baseline (c): a per-record interpreter that walks the spec document for each
record, the way stream-map tools work: the YAML as loaded (plain dicts and strings), each field's
shorthand read again, each dotted path split again, each transform and type looked up by name,
one row dict per record, rows to Arrow at the end. Expressions are parsed once and cached, which
favours this baseline. Value semantics come from the mappings package, so its output must equal
the compiled mapping's (the benchmark checks)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from mappings.assemble import Context
from mappings.currencies import exponent
from mappings.expr_eval import infer_type
from mappings.expr_grammar import parse_expression
from mappings.interpret import STEPS, evaluate
from mappings.scalars import as_int, as_text, coerce
from mappings.transforms import TRANSFORMS
from mappings.types import TEXT, parse_type, python_type


def resolve(record: Any, path: str) -> Any:
    """Walk `a.b[0].c` through one record."""
    value = record
    for part in path.split("."):
        name, _, index = part.partition("[")
        if not isinstance(value, dict):
            return None
        value = value.get(name)
        if index:
            position = int(index.rstrip("]"))
            if not isinstance(value, list) or not -len(value) <= position < len(value):
                return None
            value = value[position]
    return value


class SpecWalker:
    """Maps pages record by record from the spec document."""

    def __init__(self, path: Path, compiled: Any, salt: str) -> None:
        self.doc = yaml.safe_load(path.read_text())
        self.compiled = compiled  # only for the output schemas
        self.salt = salt.encode()
        self.expressions: dict[str, Any] = {}

    def map_page(self, records: list[dict[str, Any]], context: dict[str, Any]) -> pa.Table:
        ctx = Context(context, self.doc["provider"])
        head = {k: ctx.values[k].as_py() for k in ("tenant_id", "venue_id", "integration_id")}
        tail = {"_synced_at": ctx.values["_synced_at"].as_py(), "_deleted_at": None}
        rows = []
        for record in records:
            try:
                row = dict(head)
                for name, entry in self.doc["fields"].items():
                    row[name] = self.field(entry, record, ctx.plain)
                for child in (self.doc.get("children") or {}).values():
                    for item in resolve(record, child["path"]) or []:
                        for entry in child["fields"].values():
                            self.field(entry, item, ctx.plain)
                row.update(tail)
                rows.append(row)
            except (ValueError, TypeError, ArithmeticError):
                continue  # quarantined
        return pa.Table.from_pylist(rows, schema=self.compiled.arrow_schema)

    def field(self, entry: Any, record: dict[str, Any], context: dict[str, Any]) -> Any:
        if not isinstance(entry, dict):
            entry = {"path": entry}
        if "expr" in entry:
            text = entry["expr"]
            if text not in self.expressions:
                self.expressions[text] = parse_expression(text)
            value = evaluate(self.expressions[text], record, context)
        elif "const" in entry:
            value = entry["const"]
        else:
            paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
            value = None
            for path in paths:
                value = context.get(path[1:]) if path.startswith("$") else resolve(record, path)
                if value is not None:
                    break
        names = entry.get("transform") or []
        names = [names] if isinstance(names, str) else names
        column_type = self.column_type(entry, names)
        for name in names:
            if value is not None:
                value = self.step(name, value, entry, record, column_type)
        if "map" in entry and value is not None:
            value = entry["map"].get(value, entry.get("default", value))
        if value is None:
            value = entry.get("default")
        if value is None or (names and names[-1] == "json"):
            return value
        return coerce(value, column_type)

    def column_type(self, entry: dict[str, Any], names: list[str]) -> Any:
        if "type" in entry:
            return parse_type(entry["type"])
        if "map" in entry:
            kinds = {python_type(v) for v in entry["map"].values()}
            return kinds.pop() if len(kinds) == 1 else TEXT
        if names:
            return TRANSFORMS[names[-1]].output
        if "expr" in entry:
            return infer_type(self.expressions[entry["expr"]]) or TEXT
        if "const" in entry:
            return python_type(entry["const"])
        return TEXT

    def step(
        self, name: str, value: Any, entry: dict[str, Any], record: dict[str, Any], column_type: Any
    ) -> Any:
        if name == "minor_units":
            code = (
                resolve(record, entry["currency_path"])
                if "currency_path" in entry
                else (entry.get("currency"))
            )
            if code is None:
                raise ValueError("no currency")
            return Decimal(as_int(value)).scaleb(-exponent(as_text(code)))
        if name == "sha256":
            return hashlib.sha256(self.salt + as_text(value).encode()).hexdigest()
        return STEPS[name](value, _Field(column_type), record, self.salt)


class _Field:
    """What the shared one-value steps read from a field (only its type, for to_decimal)."""

    def __init__(self, column_type: Any) -> None:
        self.type = column_type
