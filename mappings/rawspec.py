"""Spec files read as located YAML entries, with `extends:` bases and venue overrides merged in
before validation, so every message still points at the file and line that said it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from mappings.errors import ValidationIssue
from mappings.yamlnodes import Entries, Src, compose_yaml, entries, load_yaml

MERGED_BY_NAME = ("fields", "children")


@dataclass
class RawSpec:
    """Top-level entries of a spec, with `fields` and `children` merged entry by entry."""

    file: str
    root: Src
    top: Entries
    fields: Entries = field(default_factory=dict)
    children: Entries = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # the bytes of each file in `files`, in the same order (base first): what `version` hashes
    contents: list[bytes] = field(default_factory=list, repr=False)

    @property
    def version(self) -> str:
        """`sha256:` and the first 12 hex digits of the SHA-256 of the bytes of every file this
        spec was read from, base first (`cat base.yaml spec.yaml override.yaml | sha256sum`)."""
        return "sha256:" + hashlib.sha256(b"".join(self.contents)).hexdigest()[:12]

    def overlay(self, other: RawSpec) -> RawSpec:
        """`other` on top of this: its keys replace, its fields and children merge by name,
        and a field or child set to null (`email: ~`) is removed."""
        merged = RawSpec(
            file=other.file,
            root=other.root,
            top={**self.top, **other.top},
            fields=_merge(self.fields, other.fields),
            children=_merge(self.children, other.children),
            files=self.files + other.files,
            contents=self.contents + other.contents,
        )
        merged.top.pop("extends", None)
        return merged


def _merge(base: Entries, extra: Entries) -> Entries:
    result = dict(base)
    for name, (key, value) in extra.items():
        if value.is_null:
            result.pop(name, None)
        else:
            result[name] = (key, value)
    return result


def shown_path(path: Path, base: Path | None = None) -> str:
    """The path as it goes into messages: relative to `base` (or the working directory) when
    inside it, as given otherwise."""
    for anchor in (base, Path.cwd()):
        if anchor is None or not path.is_absolute():
            continue
        try:
            return str(path.relative_to(anchor))
        except ValueError:
            continue
    return str(path)


def read_raw(
    path: Path,
    shown: str,
    issues: list[ValidationIssue],
    root: Path | None = None,
    _seen: tuple[Path, ...] = (),
) -> RawSpec | None:
    """One spec file with its `extends:` chain resolved; problems go to `issues`. `extends`
    may name only files inside `root`, the folder of specs it was loaded from (default: the
    folder the file is in)."""
    node, problems = load_yaml(path, shown)
    issues.extend(problems)
    if node is None:
        return None
    where = Extending(path.parent, root or path.parent, _seen + (path.resolve(),))
    return _raw(node, shown, path.read_bytes(), issues, where)


def read_raw_text(
    text: str, shown: str, issues: list[ValidationIssue], root: Path
) -> RawSpec | None:
    """A spec given as text, which has no folder of its own: its `extends:` names a spec by
    its path inside `root` (the configured folder of specs)."""
    node, problems = compose_yaml(text, shown)
    issues.extend(problems)
    if node is None:
        return None
    return _raw(
        node, shown, text.encode("utf-8", "surrogatepass"), issues, Extending(root, root, ())
    )


@dataclass(frozen=True)
class Extending:
    """Where `extends:` of a spec is read: relative to `folder`, never outside `root`; `seen`
    holds the files of the chain so far (a cycle is an issue)."""

    folder: Path
    root: Path
    seen: tuple[Path, ...]


def _raw(
    root: Src, shown: str, content: bytes, issues: list[ValidationIssue], where: Extending
) -> RawSpec | None:
    if not root.is_mapping:
        issues.append(
            root.issue(
                "a spec is a mapping of keys (provider, resource, table, "
                "fields, ...), not a list or a single value"
            )
        )
        return None
    top = entries(root, "key", issues)
    raw = RawSpec(file=shown, root=root, top=top, files=[shown], contents=[content])
    for name in MERGED_BY_NAME:
        if name in top:
            key, value = top.pop(name)
            noun = "column" if name == "fields" else "child table"
            if value.is_mapping:
                setattr(raw, name, entries(value, noun, issues))
            else:
                issues.append(value.issue(f"'{name}' must be a mapping of {noun} names"))
    if "extends" not in top:
        return raw
    base = _read_base(shown, top["extends"][1], issues, where)
    return None if base is None else base.overlay(raw)  # no base: nothing to check it against


def _read_base(
    shown: str, target: Src, issues: list[ValidationIssue], where: Extending
) -> RawSpec | None:
    if not target.is_text:
        issues.append(
            target.issue(
                "'extends' takes the path of another spec file, relative "
                "to this one, e.g. extends: ../stripe/charges.yaml"
            )
        )
        return None
    name = target.text()
    said = name if len(name) <= 80 else name[:77] + "..."
    base_path = (where.folder / name).resolve()
    # Outside the folder of specs nothing is read, nor said of whether the file exists.
    if not base_path.is_relative_to(where.root.resolve()):
        issues.append(
            target.issue(
                f"'extends: {said}' leaves the folder of specs: a spec extends only another "
                "spec in the same folder of specs, e.g. extends: ../stripe/charges.yaml"
            )
        )
        return None
    base_shown = str(Path(shown).parent / name)
    if base_path in where.seen:
        issues.append(
            target.issue(
                f"'extends: {said}' leads back to this file: "
                "specs cannot extend each other in a cycle"
            )
        )
        return None
    if not base_path.is_file():
        issues.append(
            target.issue(f"'extends: {said}' names no file ({base_shown} does not exist)")
        )
        return None
    return read_raw(base_path, base_shown, issues, where.root, where.seen)
