"""What `intsync mappings validate` and `preview` need from the package: validating the paths a
user names, reading a records file, and mapped rows in a printable, JSON-safe form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from mappings.compiler import CompiledMapping, compile_spec
from mappings.errors import MappingError, SpecValidationError, ValidationIssue
from mappings.loader import KnownFields, collect, load_spec
from mappings.model import Spec
from mappings.page import MappedPage


@dataclass
class ValidationReport:
    """Specs that loaded, venue variants, and every issue found."""

    specs: list[Spec] = field(default_factory=list)
    overrides: list[Spec] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)

    def summary(self) -> str:
        """`15 specs valid (11 staging, 4 core), 0 venue overrides`."""
        core = sum(1 for s in self.specs if s.dataset == "core")
        count = len(self.specs)
        return (
            f"{count} spec{'s' if count != 1 else ''} valid ({count - core} staging, "
            f"{core} core), {len(self.overrides)} venue override"
            f"{'s' if len(self.overrides) != 1 else ''}"
        )


def validate_paths(
    paths: Sequence[Path], known_fields: KnownFields | None = None
) -> ValidationReport:
    """Validate spec files or folders (none: the shipped specs and overrides). A folder holding
    `specs/` is a mappings root; any other folder is a folder of specs; a file is one spec."""
    report = ValidationReport()
    targets: list[Path | None] = [*paths] or [None]
    for target in targets:
        if target is None:
            specs, overrides, issues = collect(None, None, known_fields)
        elif target.is_dir():
            root = target / "specs" if (target / "specs").is_dir() else target
            specs, overrides, issues = collect(root, None, known_fields)
        elif target.is_file():
            specs, overrides, issues = _one_file(target, known_fields)
        else:
            specs, overrides = [], []
            issues = [ValidationIssue(str(target), 1, 1, "no such file or folder")]
        report.specs += specs
        report.overrides += overrides
        report.issues += issues
    report.issues = sorted(set(report.issues))
    return report


def _one_file(
    path: Path, known_fields: KnownFields | None
) -> tuple[list[Spec], list[Spec], list[ValidationIssue]]:
    try:
        return [load_spec(path, known_fields)], [], []
    except SpecValidationError as exc:
        return [], [], exc.errors


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records from a JSON file: a list of objects, a provider page with them under `data`
    (Stripe) or another single list-valued key, or one object per line."""
    text = path.read_text(encoding="utf-8")
    try:
        loaded: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            loaded = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise MappingError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(loaded, dict):
        lists = [v for v in loaded.values() if isinstance(v, list)]
        loaded = (
            loaded["data"]
            if isinstance(loaded.get("data"), list)
            else (lists[0] if len(lists) == 1 else [loaded])
        )
    if not isinstance(loaded, list) or not all(isinstance(r, dict) for r in loaded):
        raise MappingError(f"{path}: expected a JSON list of objects (or a page with one)")
    return loaded


def preview(
    spec_path: Path,
    records: list[dict[str, Any]],
    venue_id: str | None = None,
    hash_salt: str = "",
    known_fields: KnownFields | None = None,
) -> tuple[CompiledMapping, MappedPage]:
    """Map `records` with one spec file, as a sync for `venue_id` would (its override applied
    when the spec sits in a mappings tree that has one); `known_fields` checks its paths."""
    spec = load_spec(spec_path, known_fields)
    if venue_id:
        spec = _venue_variant(spec_path, spec, venue_id, known_fields)
    compiled = compile_spec(spec, hash_salt)
    context = {
        "tenant_id": "preview",
        "venue_id": venue_id or "preview",
        "integration_id": "preview",
        "provider": spec.provider,
        "synced_at": datetime.now(UTC),
    }
    return compiled, compiled.map_page(records, context)


def _venue_variant(
    spec_path: Path, spec: Spec, venue_id: str, known_fields: KnownFields | None
) -> Spec:
    specs_root = next((p for p in spec_path.resolve().parents if p.name == "specs"), None)
    if specs_root is None or spec.dataset != "staging":
        return spec
    from mappings.loader import load_specs

    spec_set = load_specs(specs_root, known_fields=known_fields)
    return next(
        (
            s
            for s in spec_set.for_resource(spec.provider, spec.resource, venue_id)
            if s.table == spec.table
        ),
        spec,
    )


def plain(value: Any) -> Any:
    """A JSON-safe form of a mapped value (decimals as text, times in ISO 8601)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def page_as_dict(compiled: CompiledMapping, page: MappedPage) -> dict[str, Any]:
    """The mapped page as plain data: table name, rows, child tables, quarantined records."""
    return {
        "table": f"{compiled.dataset}.{compiled.table}",
        "rows": plain(page.table.to_pylist()),
        "children": {name: plain(rows.to_pylist()) for name, rows in page.children.items()},
        "quarantined": [plain(q.as_dict()) for q in page.quarantined],
        "filtered": page.filtered,
    }
