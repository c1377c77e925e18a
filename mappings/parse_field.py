"""One `fields:` entry into a FieldSpec: its source, transforms, value map, default and type."""

from __future__ import annotations

from typing import Any

from mappings.checks import Checker, did_you_mean, loc
from mappings.expr_eval import infer_type
from mappings.model import FieldSpec
from mappings.paths import SourcePath
from mappings.refs import DEFAULT_ID_KEY, default_id_key
from mappings.scalars import coerce
from mappings.transforms import TRANSFORMS
from mappings.types import TEXT, TIMESTAMP, ColumnType, parse_type, python_type
from mappings.yamlnodes import Src, entries

FIELD_KEYS = (
    "path",
    "ref",
    "id_key",
    "const",
    "expr",
    "type",
    "transform",
    "map",
    "default",
    "nullable",
    "currency_path",
    "currency",
    "exponents",
    "description",
)
_SOURCES = ("path", "ref", "const", "expr")


def parse_field(name: str, value: Src, check: Checker) -> FieldSpec | None:
    """A FieldSpec, or None after recording why not (paths read what `check` reads: a record,
    or a child table's element)."""
    if value.is_null:
        check.add(value, f"field '{name}' is empty: give a path, e.g. {name}: {name}")
        return None
    if value.is_scalar or value.is_sequence:
        return _from_paths(name, value, value, check, {})
    if not value.is_mapping:
        check.add(value, f"field '{name}' must be a path or a mapping of field keys")
        return None
    keys = entries(value, "key", check.issues)
    check.unknown_keys(keys, FIELD_KEYS, f"field '{name}'")
    sources = [k for k in _SOURCES if k in keys]
    if len(sources) != 1:
        said = "none" if not sources else " and ".join(sources)
        check.add(
            value, f"field '{name}' needs exactly one of path, ref, const or expr (found {said})"
        )
        return None
    if "id_key" in keys and sources[0] != "ref":
        check.add(keys["id_key"][0], "'id_key' is only used with ref: write ref: instead of path:")
        return None
    if sources[0] in ("path", "ref"):
        return _from_paths(name, value, keys[sources[0]][1], check, keys)
    if sources[0] == "const":
        return _finish(
            name, value, check, keys, {"const": keys["const"][1].value(), "has_const": True}
        )
    expr = check.expression(keys["expr"][1])
    if expr is None:
        return None
    return _finish(
        name, value, check, keys, {"expr": expr, "expr_text": str(keys["expr"][1].node.value)}
    )


def _from_paths(
    name: str,
    at: Src,
    source: Src,
    check: Checker,
    keys: dict[str, tuple[Src, Src]],
) -> FieldSpec | None:
    items = source.elements() if source.is_sequence else [source]
    if not items:
        check.add(source, f"field '{name}' lists no paths")
        return None
    paths: list[SourcePath] = []
    for item in items:
        text = check.text(item, "a path")
        if text is None:
            return None
        if text.startswith("$"):
            if "ref" in keys:
                check.add(item, f"ref reads a record path, not the context value '{text}'")
                return None
            if len(items) > 1:
                check.add(
                    item,
                    "a context value cannot be one of several paths: use "
                    "expr: coalesce(...) instead",
                )
                return None
            context = check.context_name(item, text)
            return None if context is None else _finish(name, at, check, keys, {"context": context})
        parsed = check.path(item, text)
        if parsed is None:
            return None
        paths.append(parsed)
    read: dict[str, Any] = {"paths": tuple(paths)}
    if "ref" in keys:
        read["ref_key"] = _id_key(keys, check)
    return _finish(name, at, check, keys, read)


def _id_key(keys: dict[str, tuple[Src, Src]], check: Checker) -> str:
    """The key of a reference object that holds the id: `id_key:`, else the provider's own."""
    if "id_key" not in keys:
        return default_id_key(check.provider)
    text = check.text(keys["id_key"][1], "id_key")
    if text is not None and "." in text:
        check.add(keys["id_key"][1], f"id_key '{text}' is one key of the object, not a path")
    return text or DEFAULT_ID_KEY


def _finish(
    name: str, at: Src, check: Checker, keys: dict[str, tuple[Src, Src]], source: dict[str, Any]
) -> FieldSpec | None:
    before = len(check.issues)
    transforms = _transforms(keys, check)
    produced = _produced(transforms, keys, source)
    column_type = _declared(keys, check, transforms, produced)
    value_map = _value_map(keys, check, column_type)
    default = _default(keys, check, column_type)
    extra = _money_options(keys, check, transforms)
    nullable = True
    if "nullable" in keys:
        raw = keys["nullable"][1].value()
        if not isinstance(raw, bool):
            check.add(keys["nullable"][1], "nullable takes true or false")
        nullable = raw is not False
    if len(check.issues) != before:
        return None
    description = keys["description"][1].value() if "description" in keys else ""
    return FieldSpec(
        name=name,
        loc=loc(at),
        type=column_type,
        transforms=transforms,
        value_map=value_map,
        default=default,
        nullable=nullable,
        description=str(description or ""),
        **source,
        **extra,
    )


def _transforms(keys: dict[str, tuple[Src, Src]], check: Checker) -> tuple[str, ...]:
    if "transform" not in keys:
        return ()
    node = keys["transform"][1]
    items = node.elements() if node.is_sequence else [node]
    names: list[str] = []
    previous = None
    for item in items:
        text = check.text(item, "a transform name")
        if text is None:
            continue
        transform = TRANSFORMS.get(text)
        if transform is None:
            check.add(item, f"unknown transform '{text}'{did_you_mean(text, TRANSFORMS)}")
            continue
        if previous is not None and transform.takes is not None:
            given = TRANSFORMS[previous].output.kind
            if given not in transform.takes:
                check.add(
                    item,
                    f"transform '{text}' takes {'/'.join(sorted(transform.takes))}, "
                    f"but '{previous}' before it gives {given}",
                )
        names.append(text)
        previous = text
    return tuple(names)


def _produced(
    transforms: tuple[str, ...], keys: dict[str, tuple[Src, Src]], source: dict[str, Any]
) -> ColumnType:
    if "map" in keys and keys["map"][1].is_mapping:
        values = [v.value() for _, v in keys["map"][1].pairs()]
        if "default" in keys:
            values.append(keys["default"][1].value())
        kinds = {python_type(v) for v in values if v is not None}
        return kinds.pop() if len(kinds) == 1 else TEXT
    if transforms:
        return TRANSFORMS[transforms[-1]].output
    if "expr" in source:
        return infer_type(source["expr"]) or TEXT
    if source.get("has_const"):
        return TEXT if source["const"] is None else python_type(source["const"])
    return TIMESTAMP if source.get("context") == "synced_at" else TEXT


def _declared(
    keys: dict[str, tuple[Src, Src]],
    check: Checker,
    transforms: tuple[str, ...],
    produced: ColumnType,
) -> ColumnType:
    if "type" not in keys:
        return produced
    node = keys["type"][1]
    text = check.text(node, "type")
    if text is None:
        return produced
    parsed = parse_type(text)
    if isinstance(parsed, str):
        check.add(node, parsed)
        return produced
    if transforms and "map" not in keys:
        last = TRANSFORMS[transforms[-1]]
        if parsed.kind not in last.produces:
            check.add(
                node,
                f"transform '{last.name}' produces {last.output.kind}, not "
                f"{parsed}: remove 'type' or use {_producers(parsed.kind)}",
            )
    return parsed


def _producers(kind: str) -> str:
    names = [t.name for t in TRANSFORMS.values() if kind in t.produces]
    return "a transform that gives it (" + ", ".join(names) + ")" if names else "no transform"


def _value_map(
    keys: dict[str, tuple[Src, Src]], check: Checker, column_type: ColumnType
) -> dict[Any, Any] | None:
    if "map" not in keys:
        return None
    node = keys["map"][1]
    if not node.is_mapping:
        check.add(node, "map takes a mapping of source value: column value")
        return None
    result: dict[Any, Any] = {}
    for key, value in entries(node, "map key", check.issues).values():
        mapped = value.value()
        if mapped is not None:
            mapped = _fits(value, mapped, column_type, check, "map value")
        result[key.value()] = mapped
    return result


def _default(keys: dict[str, tuple[Src, Src]], check: Checker, column_type: ColumnType) -> Any:
    if "default" not in keys:
        return None
    node = keys["default"][1]
    value = node.value()
    return None if value is None else _fits(node, value, column_type, check, "default")


def _fits(node: Src, value: Any, column_type: ColumnType, check: Checker, what: str) -> Any:
    try:
        return coerce(value, column_type)
    except (ValueError, TypeError) as exc:
        check.add(node, f"{what} {value!r} does not fit type {column_type}: {exc}")
        return None


def _money_options(
    keys: dict[str, tuple[Src, Src]], check: Checker, transforms: tuple[str, ...]
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    uses = "minor_units" in transforms
    for key in ("currency_path", "currency", "exponents"):
        if key in keys and not uses:
            check.add(keys[key][0], f"'{key}' is only used by transform minor_units")
    if not uses:
        return extra
    if "currency_path" in keys:
        text = check.text(keys["currency_path"][1], "currency_path")
        extra["currency_path"] = text and check.path(keys["currency_path"][1], text)
    elif "currency" in keys:
        extra["currency"] = check.text(keys["currency"][1], "currency")
    else:
        check.add(
            keys["transform"][1],
            "transform 'minor_units' needs currency_path (where the "
            "record keeps its currency) or currency (a fixed code such as usd)",
        )
    if "exponents" in keys:
        extra["exponents"] = _exponents(keys["exponents"][1], check)
    return extra


def _exponents(node: Src, check: Checker) -> dict[str, int] | None:
    raw = node.value()
    if isinstance(raw, dict) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 4
        for k, v in raw.items()
    ):
        return {k.lower(): v for k, v in raw.items()}
    check.add(node, "exponents takes currency codes and decimal places 0 to 4, e.g. {isk: 0}")
    return None
