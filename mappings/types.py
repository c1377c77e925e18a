"""Column types of the mapping language, and their Arrow and dlt forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa

KINDS = ("text", "bigint", "double", "decimal", "boolean", "timestamp", "date", "json")
_DLT_NAMES = {"boolean": "bool"}
_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
MAX_PRECISION = 38
_ALIASES = {
    "int": "bigint",
    "integer": "bigint",
    "long": "bigint",
    "string": "text",
    "str": "text",
    "varchar": "text",
    "float": "double",
    "number": "double",
    "numeric": "decimal(18,2)",
    "money": "decimal(18,2)",
    "bool": "boolean",
    "datetime": "timestamp",
    "timestamptz": "timestamp",
    "object": "json",
    "dict": "json",
    "list": "json",
}


@dataclass(frozen=True)
class ColumnType:
    """A column type: `kind` is one of KINDS; decimals carry precision and scale."""

    kind: str
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.kind

    @cached_property
    def arrow(self) -> pa.DataType:
        """The Arrow type values of this column are built as."""
        return _arrow_type(self)

    def dlt_hint(self) -> dict[str, object]:
        """The dlt column hint for this type (without nullable/primary_key)."""
        hint: dict[str, object] = {"data_type": _DLT_NAMES.get(self.kind, self.kind)}
        if self.kind == "decimal":
            hint["precision"] = self.precision
            hint["scale"] = self.scale
        elif self.kind == "timestamp":
            hint["timezone"] = True
            hint["precision"] = 6
        return hint


TEXT = ColumnType("text")
BIGINT = ColumnType("bigint")
DOUBLE = ColumnType("double")
BOOLEAN = ColumnType("boolean")
TIMESTAMP = ColumnType("timestamp")
DATE = ColumnType("date")
JSON = ColumnType("json")
MONEY = ColumnType("decimal", 18, 2)
WIDE_DECIMAL = ColumnType("decimal", 38, 9)
SIMPLE = {t.kind: t for t in (TEXT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DATE, JSON)}


def parse_type(text: str) -> ColumnType | str:
    """`decimal(18,2)` -> ColumnType; an error message (str) when it is not a type."""
    name = text.strip().lower()
    if name in SIMPLE:
        return SIMPLE[name]
    match = _DECIMAL.match(name)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= MAX_PRECISION:
            return f"decimal precision {precision} is out of range: use 1 to {MAX_PRECISION}"
        if scale > precision:
            return f"decimal scale {scale} is larger than its precision {precision}"
        return ColumnType("decimal", precision, scale)
    if name == "decimal":
        return "decimal needs a precision and scale, e.g. decimal(18,2)"
    if name in _ALIASES:
        return f"unknown type '{text}' (did you mean '{_ALIASES[name]}'?)"
    return f"unknown type '{text}': use one of {', '.join(KINDS[:3])}, decimal(p,s), " + ", ".join(
        KINDS[4:]
    )


def python_type(value: object) -> ColumnType:
    """The column type a constant from YAML takes when none is declared."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return BIGINT
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, dict | list):
        return JSON
    return TEXT


def _arrow_type(column_type: ColumnType) -> pa.DataType:
    kind = column_type.kind
    if kind == "decimal":
        assert column_type.precision is not None and column_type.scale is not None
        return pa.decimal128(column_type.precision, column_type.scale)
    return {
        "text": pa.string(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "json": pa.string(),
    }[kind]
