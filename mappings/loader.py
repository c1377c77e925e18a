"""Loading every spec (and venue override) from disk, validated before any sync starts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mappings.catalogue import Catalogue
from mappings.checks import Checker
from mappings.crosscheck import check_tables
from mappings.errors import SpecValidationError, ValidationIssue
from mappings.model import Spec
from mappings.parse_spec import parse_spec
from mappings.rawspec import RawSpec, read_raw, read_raw_text, shown_path
from mappings.reads import checker_for
from mappings.specset import SpecSet

KnownFields = Catalogue  # the connectors' providers, resources and fields (mappings.catalogue)
PACKAGE_DIR = Path(__file__).parent
SPECS_DIR = PACKAGE_DIR / "specs"
OVERRIDES_DIR = PACKAGE_DIR / "overrides"
OVERRIDE_KEYS = ("fields", "children", "where", "unmapped", "description")
SHIPPED = "shipped"  # a spec's origin: inside intsync
TEAM = "team"  # a spec's origin: a folder the user names (INTSYNC_SPECS, a validated folder)


def load_specs(
    specs_dir: Path | None = None,
    overrides_dir: Path | None = None,
    known_fields: KnownFields | None = None,
    team_dir: Path | None = None,
) -> SpecSet:
    """Every spec under `specs_dir` (default: the shipped specs) with the venue overrides under
    `overrides_dir` applied, and a team's folder (`team_dir`, INTSYNC_SPECS) over them: its spec
    of a table replaces the one of that table (see `collect`). Raises SpecValidationError listing
    every issue in every file."""
    specs, overrides, issues = collect(specs_dir, overrides_dir, known_fields, team_dir)
    if issues:
        raise SpecValidationError(issues)
    return SpecSet(specs, overrides)


def collect(
    specs_dir: Path | None,
    overrides_dir: Path | None,
    known_fields: KnownFields | None,
    team_dir: Path | None = None,
) -> tuple[list[Spec], list[Spec], list[ValidationIssue]]:
    """(specs, venue override specs, issues) without raising: what `validate` reports.

    With `team_dir`, its specs are read over those of `specs_dir`: a team spec replaces the
    base spec that writes the same table (for a core table: the same table from the same
    provider resource), base specs of other tables stay, and a team override replaces the base
    override of the same venue and resource. Issues of a replaced file are not reported."""
    # under a team folder the base is what intsync ships (or stands in for it)
    shipped = specs_dir is None or team_dir is not None
    base = _base_layer(specs_dir, overrides_dir, SHIPPED if shipped else TEAM)
    layers = [base] if team_dir is None else [base, _team_layer(team_dir)]
    missing = [layer for layer in layers if not layer.specs.is_dir()]
    if missing:
        return [], [], [ValidationIssue(m.shown, 1, 1, "no such folder of specs") for m in missing]
    issues: list[ValidationIssue] = []
    specs: list[Spec] = []
    raws: dict[int, RawSpec] = {}
    for read in _layered(layers, known_fields):
        issues += read.issues
        if read.spec is not None and read.raw is not None:
            specs.append(read.spec)
            raws[id(read.spec)] = read.raw
    issues.extend(check_tables(specs, raws))
    overrides = _overrides(layers, specs, raws, known_fields, issues)
    return specs, overrides, sorted(set(issues))


def folder_layout(folder: Path) -> tuple[Path, Path]:
    """(specs, overrides) of a folder a user names: `specs/` and `overrides/` inside it when it
    holds a `specs` folder (a mappings root, like intsync's own `mappings/`), else the specs in
    the folder itself and the venue overrides in its `overrides` folder."""
    if (folder / "specs").is_dir():
        return folder / "specs", folder / "overrides"
    return folder, folder / "overrides"


@dataclass(frozen=True)
class Layer:
    """One folder of specs and its venue overrides, and whose they are."""

    specs: Path
    overrides: Path
    shown: str
    origin: str

    def shown_file(self, file: Path, root: Path) -> str:
        """How messages name a file under `root` (this layer's specs or overrides folder)."""
        shown_root = self.shown if root == self.specs else self.shown_overrides
        return _join(shown_root, file.relative_to(root))

    @property
    def shown_overrides(self) -> str:
        if self.overrides.parent == self.specs:
            return _join(self.shown, Path(self.overrides.name))
        return (
            shown_path(self.overrides) if self.overrides == OVERRIDES_DIR else str(self.overrides)
        )


def _base_layer(specs_dir: Path | None, overrides_dir: Path | None, origin: str) -> Layer:
    if specs_dir is None:
        return Layer(SPECS_DIR, overrides_dir or OVERRIDES_DIR, shown_path(SPECS_DIR), origin)
    return Layer(specs_dir, overrides_dir or _overrides_root(specs_dir), str(specs_dir), origin)


def _team_layer(team_dir: Path) -> Layer:
    specs, overrides = folder_layout(team_dir)
    return Layer(specs, overrides, str(specs), TEAM)


@dataclass
class _Read:
    """One spec file as read: the spec (None when invalid) and the issues it raised."""

    spec: Spec | None
    raw: RawSpec | None
    issues: list[ValidationIssue]
    key: tuple[str, ...] | None


def _layered(layers: list[Layer], known_fields: KnownFields | None) -> list[_Read]:
    """The spec files of every layer, a later layer's file replacing an earlier one's that
    writes the same table."""
    kept: list[_Read] = []
    for layer in layers:
        found = [_read(file, layer, known_fields) for file in _spec_files(layer)]
        replaced = {read.key for read in found if read.key is not None}
        kept = [read for read in kept if read.key not in replaced] + found
    return kept


def _read(file: Path, layer: Layer, known_fields: KnownFields | None) -> _Read:
    issues: list[ValidationIssue] = []
    relative = file.relative_to(layer.specs)
    hint = "core" if relative.parts[0] == "core" else "staging"
    raw = read_raw(file, layer.shown_file(file, layer.specs), issues, layer.specs)
    if raw is None:
        return _Read(None, None, issues, None)
    spec = parse_spec(raw, _checker(raw, issues, known_fields), dataset_hint=hint)
    if spec is not None:
        spec = replace(spec, origin=layer.origin)
    return _Read(spec, raw, issues, _table_key(raw, hint))


def _table_key(raw: RawSpec, hint: str) -> tuple[str, ...] | None:
    """What a spec file writes, read from its text (so that an invalid file still replaces):
    (staging, table), or (core, table, provider, resource)."""
    table = _top_text(raw, "table")
    if table is None:
        return None
    dataset = _top_text(raw, "dataset") or hint
    if dataset != "core":
        return (dataset, table)
    provider = _top_text(raw, "provider") or _top_text(raw, "source") or ""
    return (dataset, table, provider, _top_text(raw, "resource") or "")


def load_spec(
    path: Path, known_fields: KnownFields | None = None, root: Path | None = None
) -> Spec:
    """One spec file (with its `extends:` chain) on its own, e.g. for a preview; `extends`
    stays inside `root` (default: the `specs` folder the file sits in, else its own folder)."""
    issues: list[ValidationIssue] = []
    raw = read_raw(path, str(path), issues, root or spec_root(path))
    hint = "core" if path.parent.parent.name == "core" else "staging"
    return _parsed(raw, issues, known_fields, hint)


def load_spec_text(
    text: str, known_fields: KnownFields | None = None, team_dir: Path | None = None
) -> Spec:
    """A staging spec given as YAML text (the public API's validate): it has no folder, so its
    `extends:` names a spec by its path inside the specs folder syncs use (`team_dir`, the
    INTSYNC_SPECS folder, when set; else the shipped specs)."""
    issues: list[ValidationIssue] = []
    root = SPECS_DIR if team_dir is None else folder_layout(team_dir)[0]
    raw = read_raw_text(text, "spec.yaml", issues, root)
    return _parsed(raw, issues, known_fields, "staging")


def _parsed(
    raw: RawSpec | None, issues: list[ValidationIssue], known_fields: KnownFields | None, hint: str
) -> Spec:
    spec = None
    if raw is not None:
        spec = parse_spec(raw, _checker(raw, issues, known_fields), dataset_hint=hint)
    if issues or spec is None:
        raise SpecValidationError(sorted(set(issues)))
    return spec


def spec_root(path: Path) -> Path:
    """The folder of specs a file on its own belongs to: the nearest folder named `specs`
    above it (a mappings tree), else the folder it is in."""
    absolute = path.resolve()
    return next((p for p in absolute.parents if p.name == "specs"), absolute.parent)


def _checker(
    raw: RawSpec, issues: list[ValidationIssue], known_fields: KnownFields | None
) -> Checker:
    return checker_for(raw, issues, known_fields)


def _top_text(raw: RawSpec, key: str) -> str | None:
    entry = raw.top.get(key)
    return entry[1].text() if entry is not None and entry[1].is_text else None


def _spec_files(layer: Layer) -> list[Path]:
    """The layer's spec files in name order (its overrides folder, when inside, left out)."""
    return [
        file
        for file in _yaml_files(layer.specs)
        if layer.overrides.parent != layer.specs
        or file.parts[len(layer.specs.parts)] != "overrides"
    ]


def _yaml_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _join(root: str, relative: Path) -> str:
    return str(Path(root) / relative)


def _overrides_root(specs_dir: Path) -> Path:
    """The overrides of a folder of specs: its own `overrides` folder, else the one beside it
    (mappings/specs and mappings/overrides)."""
    inside = specs_dir / "overrides"
    return inside if inside.is_dir() else specs_dir.parent / "overrides"


def _overrides(
    layers: list[Layer],
    specs: list[Spec],
    raws: dict[int, RawSpec],
    known_fields: KnownFields | None,
    issues: list[ValidationIssue],
) -> list[Spec]:
    """Every layer's venue overrides applied to `specs`; a later layer's override of a venue
    and resource replaces an earlier one's."""
    files: dict[Path, tuple[Path, Layer]] = {}
    for layer in layers:
        if layer.overrides.is_dir():
            for file in _yaml_files(layer.overrides):
                files[file.relative_to(layer.overrides)] = (file, layer)
    result: list[Spec] = []
    for relative, (file, layer) in sorted(files.items()):
        shown = layer.shown_file(file, layer.overrides)
        if len(relative.parts) != 3:
            issues.append(
                ValidationIssue(
                    shown, 1, 1, "an override lives at <venue_id>/<provider>/<resource>.yaml"
                )
            )
            continue
        venue, provider, resource = relative.parts[0], relative.parts[1], file.stem
        raw = read_raw(file, shown, issues, layer.overrides)
        if raw is None:
            continue
        found = _apply_override(raw, venue, provider, resource, specs, raws, known_fields, issues)
        result.extend(replace(spec, origin=layer.origin) for spec in found)
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
