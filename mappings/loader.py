"""Loading every spec (and venue override) from disk, validated before any sync starts."""

from __future__ import annotations

from pathlib import Path

from mappings.catalogue import Catalogue
from mappings.checks import Checker
from mappings.crosscheck import check_tables
from mappings.errors import SpecValidationError, ValidationIssue
from mappings.model import Spec
from mappings.parse_spec import parse_spec
from mappings.rawspec import RawSpec, read_raw, shown_path
from mappings.reads import checker_for
from mappings.specset import SpecSet

KnownFields = Catalogue  # the connectors' providers, resources and fields (mappings.catalogue)
PACKAGE_DIR = Path(__file__).parent
SPECS_DIR = PACKAGE_DIR / "specs"
OVERRIDES_DIR = PACKAGE_DIR / "overrides"
OVERRIDE_KEYS = ("fields", "children", "where", "unmapped", "description")


def load_specs(
    specs_dir: Path | None = None,
    overrides_dir: Path | None = None,
    known_fields: KnownFields | None = None,
) -> SpecSet:
    """Every spec under `specs_dir` (default: the shipped specs) with the venue overrides under
    `overrides_dir` applied; raises SpecValidationError listing every issue in every file."""
    specs, overrides, issues = collect(specs_dir, overrides_dir, known_fields)
    if issues:
        raise SpecValidationError(issues)
    return SpecSet(specs, overrides)


def collect(
    specs_dir: Path | None, overrides_dir: Path | None, known_fields: KnownFields | None
) -> tuple[list[Spec], list[Spec], list[ValidationIssue]]:
    """(specs, venue override specs, issues) without raising: what `validate` reports."""
    issues: list[ValidationIssue] = []
    shown_root = _shown_root(specs_dir, SPECS_DIR)
    root = SPECS_DIR if specs_dir is None else specs_dir
    if not root.is_dir():
        issue = ValidationIssue(shown_root, 1, 1, "no such folder of specs")
        return [], [], [issue]
    specs: list[Spec] = []
    raws: dict[int, RawSpec] = {}
    for file in _spec_files(root):
        relative = file.relative_to(root)
        hint = "core" if relative.parts[0] == "core" else "staging"
        raw = read_raw(file, _join(shown_root, relative), issues)
        if raw is None:
            continue
        spec = parse_spec(raw, _checker(raw, issues, known_fields), dataset_hint=hint)
        if spec is not None:
            specs.append(spec)
            raws[id(spec)] = raw
    issues.extend(check_tables(specs, raws))
    overrides_root = _overrides_root(specs_dir, overrides_dir)
    overrides = _overrides(overrides_root, overrides_dir, specs, raws, known_fields, issues)
    return specs, overrides, sorted(set(issues))


def load_spec(path: Path, known_fields: KnownFields | None = None) -> Spec:
    """One spec file (with its `extends:` chain) on its own, e.g. for a preview."""
    issues: list[ValidationIssue] = []
    raw = read_raw(path, str(path), issues)
    spec = None
    if raw is not None:
        hint = "core" if path.parent.parent.name == "core" else "staging"
        spec = parse_spec(raw, _checker(raw, issues, known_fields), dataset_hint=hint)
    if issues or spec is None:
        raise SpecValidationError(sorted(set(issues)))
    return spec


def _checker(
    raw: RawSpec, issues: list[ValidationIssue], known_fields: KnownFields | None
) -> Checker:
    return checker_for(raw, issues, known_fields)


def _top_text(raw: RawSpec, key: str) -> str | None:
    entry = raw.top.get(key)
    return entry[1].text() if entry is not None and entry[1].is_text else None


def _spec_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _shown_root(given: Path | None, default: Path) -> str:
    return shown_path(default) if given is None else str(given)


def _join(root: str, relative: Path) -> str:
    return str(Path(root) / relative)


def _overrides_root(specs_dir: Path | None, overrides_dir: Path | None) -> Path:
    """The overrides folder: as given; the shipped one for the shipped specs; else the
    `overrides` folder beside a `specs` folder (mappings/specs and mappings/overrides)."""
    if overrides_dir is not None:
        return overrides_dir
    if specs_dir is None:
        return OVERRIDES_DIR
    return specs_dir.parent / "overrides"


def _overrides(
    root: Path,
    overrides_dir: Path | None,
    specs: list[Spec],
    raws: dict[int, RawSpec],
    known_fields: KnownFields | None,
    issues: list[ValidationIssue],
) -> list[Spec]:
    if not root.is_dir():
        return []
    shown_root = _shown_root(None, OVERRIDES_DIR) if root is OVERRIDES_DIR else str(root)
    result: list[Spec] = []
    for file in _spec_files(root):
        relative = file.relative_to(root)
        shown = _join(shown_root, relative)
        if len(relative.parts) != 3:
            issues.append(
                ValidationIssue(
                    shown, 1, 1, "an override lives at <venue_id>/<provider>/<resource>.yaml"
                )
            )
            continue
        venue, provider, resource = relative.parts[0], relative.parts[1], file.stem
        raw = read_raw(file, shown, issues)
        if raw is None:
            continue
        result.extend(
            _apply_override(raw, venue, provider, resource, specs, raws, known_fields, issues)
        )
    return result


def _apply_override(
    raw: RawSpec,
    venue: str,
    provider: str,
    resource: str,
    specs: list[Spec],
    raws: dict[int, RawSpec],
    known_fields: KnownFields | None,
    issues: list[ValidationIssue],
) -> list[Spec]:
    bases = [
        s
        for s in specs
        if s.dataset == "staging" and s.provider == provider and s.resource == resource
    ]
    for name, (key, _) in raw.top.items():
        if name not in OVERRIDE_KEYS:
            issues.append(
                key.issue(
                    f"an override cannot set '{name}': it may change {', '.join(OVERRIDE_KEYS)}"
                )
            )
    if not bases:
        issues.append(
            raw.root.issue(
                f"no staging spec reads {provider} {resource}, so there is nothing to override"
            )
        )
        return []
    if any(name not in OVERRIDE_KEYS for name in raw.top):
        return []
    result = []
    for base in bases:
        merged = raws[id(base)].overlay(raw)
        spec = parse_spec(
            merged, _checker(merged, issues, known_fields), dataset_hint="staging", venue_id=venue
        )
        if spec is not None:
            result.append(spec)
    return result
