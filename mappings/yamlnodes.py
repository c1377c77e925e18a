"""YAML read as nodes that remember their file, line and column, so every issue can point at them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from mappings.errors import ValidationIssue

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecLoader(_Base):
    """Safe YAML where only true/false are booleans: `on`, `yes`, `no` stay text (map keys)."""


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True)
class Src:
    """A YAML node plus the file it was read from (as the user named it)."""

    node: yaml.Node
    file: str

    def issue(self, message: str, offset: int = 0) -> ValidationIssue:
        """An issue at this node; `offset` moves right within a one-line scalar (expressions)."""
        mark = self.node.start_mark
        column = mark.column + 1
        one_line = isinstance(self.node, yaml.ScalarNode) and mark.line == self.node.end_mark.line
        if offset and one_line:
            column += offset + (1 if self.node.style in ("'", '"') else 0)
        return ValidationIssue(self.file, mark.line + 1, column, message)

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode)

    @property
    def is_null(self) -> bool:
        return self.is_scalar and self.node.tag == "tag:yaml.org,2002:null"

    @property
    def is_text(self) -> bool:
        return self.is_scalar and self.node.tag == "tag:yaml.org,2002:str"

    def value(self) -> Any:
        """The plain Python value of this node and everything below it."""
        return _CONSTRUCTOR.construct_object(self.node, deep=True)

    def text(self) -> str:
        """The scalar as written (for keys and names)."""
        return str(self.node.value) if self.is_scalar else ""

    def elements(self) -> list[Src]:
        """Items of a sequence node."""
        return [Src(child, self.file) for child in self.node.value] if self.is_sequence else []

    def pairs(self) -> Iterator[tuple[Src, Src]]:
        """(key, value) pairs of a mapping node, duplicates included, in file order."""
        if self.is_mapping:
            for key, value in self.node.value:
                yield Src(key, self.file), Src(value, self.file)


Entries = dict[str, tuple[Src, Src]]


def entries(src: Src, noun: str, issues: list[ValidationIssue]) -> Entries:
    """A mapping node as name -> (key, value); a repeated key is an issue naming `noun`."""
    found: Entries = {}
    for key, value in src.pairs():
        name = key.text()
        if not key.is_scalar or not name:
            issues.append(key.issue(f"{noun} names must be plain text"))
            continue
        if name in found:
            first = found[name][0].line
            issues.append(key.issue(f"duplicate {noun} '{name}' (first defined at line {first})"))
            continue
        found[name] = (key, value)
    return found


def _unbuildable(node: yaml.Node, seen: set[int] | None = None) -> tuple[yaml.Node, str] | None:
    """The first scalar whose value cannot be built (`2020-13-45`), with the reason."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        try:
            _CONSTRUCTOR.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            return node, f"cannot read {node.value!r}: {exc}; quote it to keep it as text"
        return None
    children = (
        node.value
        if isinstance(node, yaml.SequenceNode)
        else [part for pair in node.value for part in pair]
    )
    for child in children:
        found = _unbuildable(child, seen)
        if found is not None:
            return found
    return None


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def load_yaml(path: Path, shown: str) -> tuple[Src | None, list[ValidationIssue]]:
    """Compose one YAML file into nodes; syntax errors and empty files become issues."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ValidationIssue(shown, 1, 1, f"cannot read the file: {exc}")]
    try:
        node = yaml.compose(text, Loader=SpecLoader)
        bad = _unbuildable(node) if node is not None else None
        if bad is not None:
            mark = bad[0].start_mark
            return None, [ValidationIssue(shown, mark.line + 1, mark.column + 1, bad[1])]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [ValidationIssue(shown, line, col, f"YAML syntax error: {problem}")]
    except yaml.reader.ReaderError as exc:
        line, col = _position(text, exc.position)
        char = exc.character
        code = char if isinstance(char, int) else ord(str(char)[:1] or " ")
        message = f"YAML cannot contain the character U+{code:04X}: remove it"
        return None, [ValidationIssue(shown, line, col, message)]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, [ValidationIssue(shown, 1, 1, f"not readable YAML: {exc}")]
    if node is None:
        return None, [
            ValidationIssue(
                shown,
                1,
                1,
                "the file is empty: a spec needs at least provider, resource, table and fields",
            )
        ]
    return Src(node, shown), []
