"""Checks across spec files: one staging table per spec, and core specs that agree."""

from __future__ import annotations

from mappings.errors import ValidationIssue
from mappings.model import Spec
from mappings.rawspec import RawSpec


def check_tables(specs: list[Spec], raws: dict[int, RawSpec]) -> list[ValidationIssue]:
    """Issues for staging tables written twice and core tables whose specs disagree."""
    issues: list[ValidationIssue] = []
    first: dict[tuple[str, str], Spec] = {}
    for spec in specs:
        tables = [(spec.dataset, spec.table)] + [(spec.dataset, c.table) for c in spec.children]
        for key in tables:
            other = first.setdefault(key, spec)
            if other is spec:
                continue
            if spec.dataset == "staging":
                at = raws[id(spec)].top["table"][1]
                issues.append(
                    at.issue(
                        f"table '{key[1]}' is also written by {other.path}: "
                        "give each staging spec its own table"
                    )
                )
            elif key[1] == spec.table:
                issues.extend(_agree(other, spec, raws[id(spec)]))
    return issues


def _agree(first: Spec, spec: Spec, raw: RawSpec) -> list[ValidationIssue]:
    issues = []
    where = f"core.{spec.table}"
    if first.primary_key != spec.primary_key:
        node = raw.top["primary_key"][1] if "primary_key" in raw.top else raw.root
        issues.append(
            node.issue(
                f"{where} is keyed by {list(first.primary_key)} in "
                f"{first.path}: use the same primary_key"
            )
        )
    if first.write_disposition != spec.write_disposition:
        node = raw.top.get("write_disposition", (raw.root, raw.root))[1]
        issues.append(
            node.issue(
                f"{where} uses write_disposition {first.write_disposition} in "
                f"{first.path}: use the same"
            )
        )
    for field in spec.fields:
        other = first.field(field.name)
        if other is not None and other.type != field.type:
            issues.append(
                ValidationIssue(
                    field.loc.file,
                    field.loc.line,
                    field.loc.column,
                    f"column '{field.name}' is {other.type} in "
                    f"{first.path} but {field.type} here: specs of "
                    f"{where} must agree on column types",
                )
            )
    return issues
