"""What `intsync mappings validate` and `preview` need from the package: validating the paths a
user names, reading a records file, and mapped rows in a printable, JSON-safe form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from mappings.compiler import CompiledMapping, compile_spec
from mappings.errors import MappingError, SpecValidationError, ValidationIssue
from mappings.loader import SHIPPED, SPECS_DIR, TEAM, KnownFields, collect, load_spec
from mappings.model import Spec
from mappings.page import MappedPage


@dataclass
class ValidationReport:
    """Specs that loaded, venue variants, and every issue found."""

    specs: list[Spec] = field(default_factory=list)
    overrides: list[Spec] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)

    def summary(self) -> str:
        """`15 specs valid (11 staging, 4 core), 0 venue overrides`, and where they came from
        when some are the team's and some shipped: `: 2 from the team folder, 13 shipped`."""
        core = sum(1 for s in self.specs if s.dataset == "core")
        count = len(self.specs)
        text = (
            f"{count} spec{'s' if count != 1 else ''} valid ({count - core} staging, "
            f"{core} core), {len(self.overrides)} venue override"
            f"{'s' if len(self.overrides) != 1 else ''}"
        )
        team = sum(1 for s in self.specs if s.origin == TEAM)
        if 0 < team < count:
            text += f": {team} from the team folder, {count - team} shipped"
        return text

    def listing(self) -> list[str]:
        """One line per table (and venue variant): its name, whose file it is (`team` or
        `shipped`), the file and the spec's version."""
        rows = [(_shown_name(s), s.origin, s.path, s.version) for s in self.all()]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
        return [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
            + f"  {row[3]}"
            for row in rows
        ]

    def all(self) -> list[Spec]:
        """The specs (staging, then core), then the venue variants, each by table name."""
        return sorted(self.specs, key=_order) + sorted(self.overrides, key=_order)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (`intsync mappings validate --json`)."""
        return {
            "valid": not self.issues,
            "specs": [_spec_dict(s) for s in self.all()],
            "issues": [str(issue) for issue in self.issues],
            "summary": self.summary() if not self.issues else None,
        }


def _order(spec: Spec) -> tuple[bool, str]:
    return spec.dataset != "staging", _shown_name(spec)


def _shown_name(spec: Spec) -> str:
    return spec.name if spec.venue_id is None else f"{spec.name} (venue {spec.venue_id})"


def _spec_dict(spec: Spec) -> dict[str, Any]:
    return {
        "table": f"{spec.dataset}.{spec.table}",
        "provider": spec.provider,
        "resource": spec.resource,
        "venue": spec.venue_id,
        "origin": spec.origin,
        "file": spec.path,
        "files": list(spec.files),
        "version": spec.version,
    }


def validate_paths(
    paths: Sequence[Path], known_fields: KnownFields | None = None, team_dir: Path | None = None
) -> ValidationReport:
    """Validate spec files or folders (none: the shipped specs and overrides, with `team_dir`,
    the INTSYNC_SPECS folder, over them). A folder holding `specs/` is a mappings root; any
    other folder is a folder of specs (its venue overrides in `overrides/` inside it or beside
    it); a file is one spec."""
    report = ValidationReport()
    targets: list[Path | None] = [*paths] or [None]
    for target in targets:
        if target is None:
            specs, overrides, issues = collect(None, None, known_fields, team_dir)
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
        spec = load_spec(path, known_fields)
    except SpecValidationError as exc:
        return [], [], exc.errors
    shipped = path.resolve().is_relative_to(SPECS_DIR)
    return [replace(spec, origin=SHIPPED if shipped else TEAM)], [], []


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
    team_dir: Path | None = None,
) -> tuple[CompiledMapping, MappedPage]:
    """Map `records` with one spec file, as a sync for `venue_id` would (its override applied
    when the spec sits in a mappings tree that has one, or in `team_dir`, the INTSYNC_SPECS
    folder); `known_fields` checks its paths."""
    spec = load_spec(spec_path, known_fields)
    if venue_id:
        spec = _venue_variant(spec_path, spec, venue_id, known_fields, team_dir)
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
    spec_path: Path,
    spec: Spec,
    venue_id: str,
    known_fields: KnownFields | None,
    team_dir: Path | None,
) -> Spec:
    from mappings.loader import load_specs

    resolved = spec_path.resolve()
    specs_root = next((p for p in resolved.parents if p.name == "specs"), None)
    if spec.dataset != "staging":
        return spec
    if team_dir is not None and resolved.is_relative_to(team_dir):
        spec_set = load_specs(known_fields=known_fields, team_dir=team_dir)
    elif specs_root is not None:
        spec_set = load_specs(specs_root, known_fields=known_fields)
    else:
        return spec
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
