"""Recursive descent over expression tokens, loosest binding first:
or > and > not > comparison / is null / in > + - > * / % > unary minus > atom."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from mappings.expr_parse import (
    COMPARISONS,
    CONTEXT_NAMES,
    FUNCTIONS,
    Binary,
    Call,
    Ctx,
    ExprError,
    In,
    IsNull,
    Lit,
    Node,
    Token,
    Unary,
    path_node,
    tokenize,
    unquote,
)


def _describe(token: Token) -> str:
    return "the end" if token.kind == "end" else f"'{token.text}'"


def parse_expression(source: str) -> Node:
    """Parse an expression; raises ExprError naming what was expected and where."""
    if not source.strip():
        raise ExprError("the expression is empty", 0)
    return Parser(tokenize(source)).parse()


class Parser:
    """One pass over a token list; each method parses one precedence level."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def here(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        if self.here.kind in texts or (self.here.kind == "op" and self.here.text in texts):
            return self.take()
        return None

    def expect(self, text: str, after: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise ExprError(
                f"expected '{text}' {after}, found {_describe(self.here)}", self.here.offset
            )
        return token

    def parse(self) -> Node:
        node = self.or_()
        if self.here.kind != "end":
            raise ExprError(
                f"unexpected {_describe(self.here)}: expected an operator or the end",
                self.here.offset,
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while token := self.accept("or"):
            node = Binary(token.offset, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while token := self.accept("and"):
            node = Binary(token.offset, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if token := self.accept("not"):
            return Unary(token.offset, "not", self.not_())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum_()
        if token := self.accept(*COMPARISONS):
            right = self.sum_()
            if (
                isinstance(right, Lit)
                and right.value is None
                or (isinstance(node, Lit) and node.value is None)
            ):
                word = "is null" if token.text == "==" else "is not null"
                raise ExprError(f"compare with null using '{word}'", token.offset)
            return Binary(token.offset, token.text, node, right)
        if token := self.accept("is"):
            negate = self.accept("not") is not None
            self.expect("null", "after 'is'")
            return IsNull(token.offset, node, negate)
        negate_at = self.here.offset
        if self.accept("not"):
            self.expect("in", "after 'not'")
            return In(negate_at, node, self.options(), True)
        if token := self.accept("in"):
            return In(token.offset, node, self.options(), False)
        return node

    def options(self) -> tuple[Any, ...]:
        self.expect("[", "to open the list after 'in'")
        values: list[Any] = []
        while True:
            atom = self.unary()
            if not isinstance(atom, Lit):
                raise ExprError("the list after 'in' takes only literal values", atom.offset)
            values.append(atom.value)
            if not self.accept(","):
                break
        self.expect("]", "to close the list after 'in'")
        return tuple(values)

    def sum_(self) -> Node:
        node = self.product()
        while token := self.accept("+", "-"):
            node = Binary(token.offset, token.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while token := self.accept("*", "/", "%"):
            node = Binary(token.offset, token.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if token := self.accept("-"):
            operand = self.unary()
            if isinstance(operand, Lit) and isinstance(operand.value, int | float):
                return Lit(token.offset, -operand.value)
            return Unary(token.offset, "-", operand)
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        kind = token.kind
        if kind == "number":
            is_float = any(c in token.text for c in ".eE")
            return Lit(token.offset, float(token.text) if is_float else int(token.text))
        if kind == "string":
            return Lit(token.offset, unquote(token.text))
        if kind in ("true", "false", "null"):
            return Lit(token.offset, {"true": True, "false": False, "null": None}[kind])
        if kind == "context":
            return self.context(token)
        if kind == "path":
            if self.here.kind == "op" and self.here.text == "(":
                return self.call(token)
            return path_node(token)
        if kind == "op" and token.text == "(":
            node = self.or_()
            self.expect(")", "to close '('")
            return node
        raise ExprError(f"expected a value, found {_describe(token)}", token.offset)

    def context(self, token: Token) -> Ctx:
        name = token.text[1:]
        if name not in CONTEXT_NAMES:
            hint = get_close_matches(name, CONTEXT_NAMES, n=1)
            extra = f" (did you mean '${hint[0]}'?)" if hint else ""
            raise ExprError(
                f"unknown context value '{token.text}'{extra}: use one of "
                + ", ".join("$" + n for n in CONTEXT_NAMES),
                token.offset,
            )
        return Ctx(token.offset, name)

    def call(self, token: Token) -> Call:
        name = token.text
        if name not in FUNCTIONS:
            hint = get_close_matches(name, FUNCTIONS, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ExprError(f"unknown function '{name}'{extra}", token.offset)
        self.take()  # (
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.or_())
            while self.accept(","):
                args.append(self.or_())
            self.expect(")", f"to close the arguments of {name}()")
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            wanted = str(low) if low == high else f"{low} to {high}" if high else f"{low} or more"
            raise ExprError(
                f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, not {len(args)}",
                token.offset,
            )
        return Call(token.offset, name, tuple(args))
