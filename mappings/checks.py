"""Shared checks for spec parsing: paths, expressions, names, did-you-mean hints."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import get_close_matches

from mappings.catalogue import Miss, Shape, elements, follow
from mappings.errors import ValidationIssue
from mappings.expr_grammar import parse_expression
from mappings.expr_parse import ExprError, Node, PathRef, walk
from mappings.model import CONTEXT_KEYS, Loc
from mappings.paths import SourcePath, parse_path, segment_offsets
from mappings.yamlnodes import Entries, Src

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def did_you_mean(word: str, choices: object) -> str:
    """` (did you mean 'x'?)` for the closest choice, or nothing."""
    match = get_close_matches(word, list(choices), n=1, cutoff=0.6)  # type: ignore[call-overload]
    return f" (did you mean '{match[0]}'?)" if match else ""


def snake(text: str) -> str:
    """A suggestion for a column or table name in lower snake_case."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "name"


def loc(src: Src) -> Loc:
    """The 1-based position of a node."""
    mark = src.node.start_mark
    return Loc(src.file, mark.line + 1, mark.column + 1)


@dataclass
class Checker:
    """Collects issues while one spec is parsed; checks paths against the record's fields when
    the connectors' catalogue is given."""

    issues: list[ValidationIssue]
    shape: Shape | None = None  # the record's fields, from the connector's catalogue
    resource_label: str = ""  # the record in messages: `stripe charges`
    scope: str = ""  # a child table's list, whose elements its paths read: `lines.data[]`
    provider: str = ""  # the spec's provider, once read: its reference objects' id key

    def add(self, src: Src, message: str, offset: int = 0) -> None:
        self.issues.append(src.issue(message, offset))

    def unknown_keys(self, found: Entries, allowed: tuple[str, ...], where: str) -> None:
        for name, (key, _) in found.items():
            if name not in allowed:
                hint = did_you_mean(name, allowed)
                fix = hint or f": use {', '.join(allowed)}"
                self.add(key, f"unknown key '{name}' in {where}{fix}")

    def text(self, src: Src, what: str) -> str | None:
        if src.is_scalar and not src.is_null and src.is_text and src.text().strip():
            return src.text().strip()
        self.add(src, f"{what} must be text")
        return None

    def name(self, src: Src, text: str, what: str) -> bool:
        if NAME.match(text):
            return True
        self.add(src, f"{what} '{text}' must be lower snake_case, e.g. '{snake(text)}'")
        return False

    def path(self, src: Src, text: str, check_known: bool = True) -> SourcePath | None:
        parsed = parse_path(text)
        if isinstance(parsed, str):
            self.add(src, parsed)
            return None
        if check_known:
            self.known_path(src, parsed)
        return parsed

    def known_path(self, src: Src, path: SourcePath, offset: int = 0) -> Shape | None:
        """The catalogue's shape at `path`, or None (no catalogue, or the path leaves it: then
        the issue points at the first segment the record does not have)."""
        if self.shape is None:
            return None
        found = follow(self.shape, path.segments, self.resource_label, self.scope)
        if not isinstance(found, Miss):
            return found
        segment = str(path.segments[found.index])
        hint = did_you_mean(segment, found.choices) if found.choices else ""
        self.add(src, found.message + hint, offset + segment_offsets(path.text)[found.index])
        return None

    def within(self, src: Src, path: SourcePath) -> Checker:
        """A checker for a child table's fields, whose paths read the elements of the list at
        `path` (reported here when the record has no list there)."""
        shape = self.known_path(src, path)
        element = None if shape is None else elements(shape)
        if shape is not None and element is None:
            below = follow(shape, ("data",), "")
            listed = not isinstance(below, Miss) and elements(below) is not None
            hint = f" (did you mean '{path.text}.data'?)" if listed else ""
            self.add(src, f"'{path.text}' is not a list: a child table reads a list{hint}")
        return replace(self, shape=element, scope=f"{path.text}[]")

    def context_name(self, src: Src, text: str) -> str | None:
        name = text[1:]
        if name in CONTEXT_KEYS:
            return name
        hint = did_you_mean(name, CONTEXT_KEYS).replace("'", "'$", 1)
        choices = ", ".join("$" + k for k in CONTEXT_KEYS)
        self.add(src, f"unknown context value '{text}'{hint}: use {choices}")
        return None

    def expression(self, src: Src, check_known: bool = True) -> Node | None:
        text = self.text(src, "an expression")
        if text is None:
            return None
        source = str(src.node.value)
        try:
            node = parse_expression(source)
        except ExprError as exc:
            shown = source if len(source) <= 80 else source[:77] + "..."
            self.add(src, f"expression '{shown}' does not parse: {exc}", exc.offset)
            return None
        if check_known:
            for part in walk(node):
                if isinstance(part, PathRef):
                    self.known_path(src, part.path, part.offset)
        return node
