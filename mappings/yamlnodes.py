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
from mappings.limits import MAX_SPEC_BYTES, MAX_YAML_DEPTH, MAX_YAML_VALUES

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
        # A constructor per call: one kept for the process remembers every node it ever built.
        return SafeConstructor().construct_object(self.node, deep=True)

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


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


_TEXT = "tag:yaml.org,2002:str"


def _unbuildable(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """The first scalar whose value cannot be built (`2020-13-45`), with the reason."""
    constructor = SafeConstructor()
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _TEXT:  # text is always readable
                continue
            try:
                constructor.construct_object(node)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
                return (
                    node,
                    f"cannot read {_short(node.value)!r}: {exc}; quote it to keep it as text",
                )
        else:
            stack.extend(reversed(_children(node)))
    return None


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _beyond_limits(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """The node where the document goes past MAX_YAML_DEPTH or MAX_YAML_VALUES (an alias
    counting as a copy of what it names at each use), or that contains itself through an alias."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:  # without aliases every node is met once: count and depth are exact
        node, level = stack.pop()
        if id(node) in seen:
            return _with_aliases(root)
        seen.add(id(node))
        if not isinstance(node, yaml.ScalarNode):
            if level > MAX_YAML_DEPTH:
                return node, _TOO_DEEP
            stack.extend((child, level + 1) for child in _children(node))
    if len(seen) > MAX_YAML_VALUES:
        message = f"the file holds {len(seen):,} values (limit: {MAX_YAML_VALUES:,} YAML values)"
        return root, message + ": split it into several specs"
    return None


_TOO_DEEP = (
    f"lists and mappings nest too deep here (limit: {MAX_YAML_DEPTH} levels of YAML nesting)"
)


def _too_many(values: int) -> str:
    return (
        f"this value holds {values:,} values, counting each use of an alias (*name) as a copy "
        f"of what it names (limit: {MAX_YAML_VALUES:,} YAML values, aliases expanded)"
    )


def _with_aliases(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """_beyond_limits for a document that uses aliases: sizes are summed bottom up, once per
    node, so that a billion laughs costs no more than its text."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values, depth of collections)
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            open_.discard(id(node))
            below = [sizes[id(child)] for child in _children(node)]
            depth = (
                0
                if isinstance(node, yaml.ScalarNode)
                else 1 + max((d for _, d in below), default=0)
            )
            sizes[id(node)] = (1 + sum(v for v, _ in below), depth)
        elif id(node) in open_:
            return node, "this value contains itself through an alias: write it out instead"
        elif id(node) not in sizes:
            open_.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node)))
    values, depth = sizes[id(root)]
    if depth > MAX_YAML_DEPTH:
        return _descend(root, sizes, 1, MAX_YAML_DEPTH), _TOO_DEEP
    if values > MAX_YAML_VALUES:
        return _descend(root, sizes, 0, MAX_YAML_VALUES), _too_many(values)
    return None


def _descend(
    root: yaml.Node, sizes: dict[int, tuple[int, int]], part: int, limit: int
) -> yaml.Node:
    """From the root towards the child largest in `part` (0: values, 1: depth) while that child
    is still past `limit`; for depth, the node at the first level past it."""
    node, level = root, 1
    while True:
        children = _children(node)
        if not children:
            return node
        child = max(children, key=lambda c: sizes[id(c)][part])
        if part == 1 and level > limit:
            return node
        if part == 0 and sizes[id(child)][0] <= limit:
            return node
        node, level = child, level + 1


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def load_yaml(path: Path, shown: str) -> tuple[Src | None, list[ValidationIssue]]:
    """Compose one YAML file into nodes; syntax errors, empty files and files past the limits
    (docs/mappings.md, Validation) become issues."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            return None, [_too_large(shown, size)]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ValidationIssue(shown, 1, 1, f"cannot read the file: {exc}")]
    return compose_yaml(text, shown)


def _too_large(shown: str, size: int) -> ValidationIssue:
    message = (
        f"the file is {size:,} bytes: split it into several specs "
        f"(limit: {MAX_SPEC_BYTES:,} bytes of YAML per spec)"
    )
    return ValidationIssue(shown, 1, 1, message)


def compose_yaml(text: str, shown: str) -> tuple[Src | None, list[ValidationIssue]]:
    """Compose YAML text (read from `shown`) into nodes, as load_yaml does for a file."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_SPEC_BYTES:
        return None, [_too_large(shown, size)]
    try:
        node = yaml.compose(text, Loader=SpecLoader)
        bad = None if node is None else _beyond_limits(node) or _unbuildable(node)
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
