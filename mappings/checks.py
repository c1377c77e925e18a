"""Shared checks for spec parsing: paths, expressions, names, did-you-mean hints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches

from mappings.errors import ValidationIssue
from mappings.expr_grammar import parse_expression
from mappings.expr_parse import ExprError, Node, PathRef, walk
from mappings.model import CONTEXT_KEYS, Loc
from mappings.paths import SourcePath, parse_path
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
    """Collects issues while one spec is parsed; knows the resource's fields when the connector
    can say."""

    issues: list[ValidationIssue]
    known: set[str] | None = None
    resource_label: str = ""
    relative: bool = False  # parsing a child table's fields: paths read the array's elements
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
            self.known_root(src, parsed.root, text)
        return parsed

    def known_root(self, src: Src, root: str, text: str, offset: int = 0) -> None:
        if self.known is None or root in self.known:
            return
        self.add(
            src,
            f"'{text}' is not a field of {self.resource_label}{did_you_mean(root, self.known)}",
            offset,
        )

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
            self.add(src, f"expression '{source}' does not parse: {exc}", exc.offset)
            return None
        if check_known:
            for part in walk(node):
                if isinstance(part, PathRef):
                    self.known_root(src, part.path.root, part.path.text, part.offset)
        return node
