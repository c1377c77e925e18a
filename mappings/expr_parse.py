"""The expression language's tokens and tree (parsed by mappings.expr_grammar).

Only literals, record paths, `$context` names, operators and a fixed set of functions exist:
nothing reaches Python's eval, attributes, imports or arbitrary calls."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mappings.limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_TOKENS
from mappings.paths import SourcePath, parse_path

CONTEXT_NAMES = ("tenant_id", "venue_id", "integration_id", "provider", "synced_at")
FUNCTIONS: dict[str, tuple[int, int | None]] = {  # name -> (min args, max args or None)
    "coalesce": (1, None),
    "concat": (1, None),
    "lower": (1, 1),
    "upper": (1, 1),
    "trim": (1, 1),
    "length": (1, 1),
    "round": (1, 2),
    "abs": (1, 1),
    "if": (3, 3),
}
KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<context>\$[A-Za-z_]\w*)
    | (?P<path>[A-Za-z_][\w\-]*(?:\.[A-Za-z_0-9][\w\-]*|\[-?\d+\]|\["[^"]*"\]|\['[^']*'\])*)
    | (?P<op>==|!=|<=|>=|[<>+\-*/%(),\[\]])
    )""",
    re.VERBOSE,
)


class ExprError(ValueError):
    """An expression that does not parse; `offset` is where, within the expression text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Node:
    """A node of an expression tree; `offset` is where it starts in the text."""

    offset: int


@dataclass(frozen=True)
class Lit(Node):
    """A literal: number, text, true, false or null."""

    value: Any


@dataclass(frozen=True)
class PathRef(Node):
    """A path into the record (`billing_details.email`)."""

    path: SourcePath


@dataclass(frozen=True)
class Ctx(Node):
    """A context value (`$venue_id`)."""

    name: str


@dataclass(frozen=True)
class Unary(Node):
    """`-x` or `not x`."""

    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic, comparison, `and`, `or`."""

    op: str  # comparisons, arithmetic, "and", "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull(Node):
    """`x is null`, `x is not null`."""

    operand: Node
    negate: bool


@dataclass(frozen=True)
class In(Node):
    """`x in [...]`, `x not in [...]`."""

    operand: Node
    options: tuple[Any, ...]
    negate: bool


@dataclass(frozen=True)
class Call(Node):
    """A call of one of FUNCTIONS."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Token:
    """One token: its kind, its text, and where it starts."""

    kind: str
    text: str
    offset: int


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; unknown characters, and an expression longer than
    MAX_EXPRESSION_CHARS or of more than MAX_EXPRESSION_TOKENS tokens, are an ExprError."""
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExprError(
            f"the expression is {len(source)} characters long: split it into several fields "
            f"(limit: {MAX_EXPRESSION_CHARS} characters per expression)",
            0,
        )
    tokens: list[Token] = []
    pos = 0
    end = len(source.rstrip())
    while pos < end:
        match = _TOKEN.match(source, pos)
        if match is None or match.lastgroup is None:
            bad = pos + len(source[pos:end]) - len(source[pos:end].lstrip())
            raise ExprError(_unexpected(source[bad]), bad)
        kind = match.lastgroup
        text = match.group(kind)
        start = match.start(kind)
        if kind == "path" and text in KEYWORDS:
            kind = text
        if len(tokens) == MAX_EXPRESSION_TOKENS:
            raise ExprError(
                f"the expression has more than {MAX_EXPRESSION_TOKENS} names, values and "
                f"operators: split it into several fields (limit: {MAX_EXPRESSION_TOKENS} "
                "tokens per expression)",
                start,
            )
        tokens.append(Token(kind, text, start))
        pos = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


def unquote(text: str) -> str:
    """The value of a quoted string token: backslash escapes \\n, \\t and any \\<char>."""
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text[1:-1]
    )


def _unexpected(char: str) -> str:
    hints = {"=": "use '==' to compare", "&": "use 'and'", "|": "use 'or'", "!": "use 'not'"}
    hint = hints.get(char)
    return f"unexpected '{char}': {hint}" if hint else f"unexpected character '{char}'"


def path_node(token: Token) -> PathRef:
    """A path token as a node (its syntax was checked by the tokenizer's pattern)."""
    parsed = parse_path(token.text)
    if isinstance(parsed, str):
        raise ExprError(parsed, token.offset)
    return PathRef(token.offset, parsed)


def walk(node: Node) -> list[Node]:
    """Every node of a tree, parents first (depth first, left to right)."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(_children(current)))
    return found


def depth(node: Node) -> int:
    """How many nodes deep the tree goes (a lone value: 1)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(current))
    return deepest


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary | IsNull | In):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()
