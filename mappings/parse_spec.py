"""A merged RawSpec into a validated Spec; every problem becomes a located issue."""

from __future__ import annotations

from dataclasses import replace

from mappings.checks import Checker, did_you_mean, loc
from mappings.model import (
    ADDED_COLUMNS,
    CHILD_COLUMNS,
    EXTRA_COLUMN,
    ChildSpec,
    FieldSpec,
    Spec,
)
from mappings.parse_field import parse_field
from mappings.rawspec import RawSpec
from mappings.yamlnodes import Entries, Src, entries

TOP_KEYS = (
    "provider",
    "resource",
    "table",
    "dataset",
    "primary_key",
    "write_disposition",
    "where",
    "unmapped",
    "fields",
    "children",
    "description",
    "extends",
)
# keys the language had once, and what a spec that still carries one is told
RETIRED = {
    "incremental": "syncs never read it (a first sync reads everything, each later one what "
    "changed since the connector's own cursor): delete it",
}
CHILD_KEYS = ("path", "table", "fields", "primary_key", "where", "description")
REQUIRED = {
    "provider": "name the provider, e.g. provider: stripe",
    "resource": "name the connector resource it reads, e.g. resource: charges",
    "table": "name the table to write, e.g. table: stripe_charges",
}
CHOICES = {
    "dataset": ("staging", "core"),
    "write_disposition": ("merge", "append", "replace"),
    "unmapped": ("drop", "keep_json"),
}


def parse_spec(
    raw: RawSpec, check: Checker, dataset_hint: str | None = None, venue_id: str | None = None
) -> Spec | None:
    """Validate and build a Spec; None when any issue was recorded."""
    before = len(check.issues)
    top = raw.top
    if "source" in top and "provider" not in top:  # the first drafts of the language said source
        top = {("provider" if k == "source" else k): v for k, v in top.items()}
    check.unknown_keys(
        {k: v for k, v in top.items() if k not in ("fields", "children", *RETIRED)},
        TOP_KEYS,
        "the spec",
    )
    for name in RETIRED.keys() & top.keys():
        check.add(top[name][0], f"'{name}' is no longer a key: {RETIRED[name]}")
    values = {name: _required(raw, top, name, hint, check) for name, hint in REQUIRED.items()}
    check.provider = values["provider"] or ""
    choice = {name: _choice(top, name, check) for name in CHOICES}
    dataset = _dataset(top, choice["dataset"], dataset_hint, check)
    if values["table"]:
        check.name(top["table"][1], values["table"], "table name")
    if not raw.fields:
        check.add(
            top["fields"][1] if "fields" in top else raw.root,
            "missing key 'fields': map at least one column, e.g. fields: {id: id}",
        )
    reserved = ADDED_COLUMNS + (("provider",) if dataset == "core" else ())
    fields = _fields(raw.fields, check, reserved)
    if choice["unmapped"] == "keep_json" and any(f.name == EXTRA_COLUMN for f in fields):
        check.add(
            raw.fields[EXTRA_COLUMN][0],
            f"column '{EXTRA_COLUMN}' is written by unmapped: keep_json: rename this field",
        )
    primary_key = _primary_key(top, fields, raw, check)
    children = tuple(_children(raw, check, reserved, primary_key))
    where = check.expression(top["where"][1]) if "where" in top else None
    if len(check.issues) != before:
        return None
    return Spec(
        path=raw.file,
        provider=values["provider"] or "",
        resource=values["resource"] or "",
        table=values["table"] or "",
        dataset=dataset,
        primary_key=primary_key,
        write_disposition=choice["write_disposition"] or "merge",
        fields=tuple(fields),
        children=children,
        where=where,
        where_text=str(top["where"][1].node.value) if where is not None else "",
        unmapped=choice["unmapped"] or "drop",
        venue_id=venue_id,
        files=tuple(raw.files),
        version=raw.version,
        description=str(top["description"][1].value() or "") if "description" in top else "",
    )


def _required(raw: RawSpec, top: Entries, name: str, hint: str, check: Checker) -> str | None:
    if name not in top:
        check.add(raw.root, f"missing key '{name}': {hint}")
        return None
    return check.text(top[name][1], name)


def _choice(top: Entries, name: str, check: Checker) -> str | None:
    if name not in top:
        return None
    node = top[name][1]
    text = node.text() if node.is_scalar else ""
    if text not in CHOICES[name]:
        check.add(
            node,
            f"{name} '{text}' is not one of {', '.join(CHOICES[name])}"
            f"{did_you_mean(text, CHOICES[name])}",
        )
        return None
    return text


def _dataset(top: Entries, stated: str | None, hint: str | None, check: Checker) -> str:
    if stated and hint and stated != hint:
        check.add(
            top["dataset"][1],
            f"dataset '{stated}' contradicts the folder, which makes "
            f"this a {hint} spec: remove 'dataset' or move the file",
        )
    return stated or hint or "staging"


def _fields(found: Entries, check: Checker, reserved: tuple[str, ...]) -> list[FieldSpec]:
    fields = []
    for name, (key, value) in found.items():
        if not check.name(key, name, "column name"):
            continue
        if name in reserved:
            check.add(key, f"column '{name}' is added by intsync: rename this field")
            continue
        parsed = parse_field(name, value, check)
        if parsed is not None:
            fields.append(replace(parsed, loc=loc(key)))  # messages about a column name its key
    return fields


def _primary_key(
    top: Entries,
    fields: list[FieldSpec] | tuple[FieldSpec, ...],
    raw: RawSpec | None,
    check: Checker,
) -> tuple[str, ...]:
    if "primary_key" not in top:
        if fields and not any(f.name == "id" for f in fields):
            where = raw.root if raw is not None else None
            if where is not None:
                check.add(
                    where,
                    "no primary_key given and no 'id' column: add id under fields "
                    "or set primary_key: [...]",
                )
        return ("id",)
    node = top["primary_key"][1]
    items = node.elements() if node.is_sequence else [node]
    names: list[str] = []
    known = {f.name for f in fields}
    for item in items:
        text = check.text(item, "a primary key column")
        if text is None:
            continue
        if text not in known and fields:
            check.add(
                item,
                f"primary key field '{text}' is not a column of this spec"
                f"{did_you_mean(text, known)}: add it under fields or fix primary_key",
            )
        names.append(text)
    if not names:
        check.add(node, "primary_key lists no columns")
    return tuple(names)


def _children(
    raw: RawSpec, check: Checker, reserved: tuple[str, ...], parent_key: tuple[str, ...]
) -> list[ChildSpec]:
    result = []
    for name, (key, value) in raw.children.items():
        if not value.is_mapping:
            check.add(value, f"child table '{name}' needs path, table and fields")
            continue
        if len(parent_key) != 1:
            check.add(
                key,
                "child tables need a parent with a one-column primary_key "
                f"(this one has {len(parent_key)})",
            )
        keys = entries(value, "key", check.issues)
        check.unknown_keys(keys, CHILD_KEYS, f"child table '{name}'")
        child = _child(name, key, value, keys, check, reserved)
        if child is not None:
            result.append(child)
    return result


def _child(
    name: str, key: Src, value: Src, keys: Entries, check: Checker, reserved: tuple[str, ...]
) -> ChildSpec | None:
    for needed in ("path", "table", "fields"):
        if needed not in keys:
            check.add(value, f"child table '{name}' is missing '{needed}'")
            return None
    path_text = check.text(keys["path"][1], "path")
    path = check.path(keys["path"][1], path_text, check_known=False) if path_text else None
    inner = check.within(keys["path"][1], path) if path else replace(check, shape=None)
    table = check.text(keys["table"][1], "table")
    if table:
        check.name(keys["table"][1], table, "table name")
    field_node = keys["fields"][1]
    if not field_node.is_mapping:
        check.add(field_node, "'fields' must be a mapping of column names")
        return None
    found = entries(field_node, "column", check.issues)
    fields = _fields(found, inner, reserved + CHILD_COLUMNS)
    primary_key = _primary_key(keys, fields, None, check) if "primary_key" in keys else ()
    where = inner.expression(keys["where"][1]) if "where" in keys else None
    if path is None or not table:
        return None
    return ChildSpec(
        name=name,
        loc=loc(key),
        path=path,
        table=table,
        fields=tuple(fields),
        primary_key=primary_key,
        where=where,
        description=str(keys["description"][1].value() or "") if "description" in keys else "",
    )
