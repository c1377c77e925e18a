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
    depth,
    path_node,
    tokenize,
    unquote,
)
from mappings.limits import MAX_EXPRESSION_DEPTH, MAX_NUMBER_DIGITS, MAX_ROUND_DIGITS


def _describe(token: Token) -> str:
    return "the end" if token.kind == "end" else f"'{token.text}'"


def parse_expression(source: str) -> Node:
    """Parse an expression; raises ExprError naming what was expected and where."""
    if not source.strip():
        raise ExprError("the expression is empty", 0)
    node = Parser(tokenize(source)).parse()
    if depth(node) > MAX_EXPRESSION_DEPTH:
        raise ExprError(_too_deep(), node.offset)
    return node


def _too_deep() -> str:
    return (
        "the expression nests too deep: split it into several fields "
        f"(limit: {MAX_EXPRESSION_DEPTH} levels of nesting)"
    )


class Parser:
    """One pass over a token list; each method parses one precedence level."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.level = 0  # nesting of the rules below, bounded before Python's stack is

    def nested(self, token: Token) -> None:
        """One level deeper (a parenthesis, a call, a `not` or a minus)."""
        self.level += 1
        if self.level > MAX_EXPRESSION_DEPTH:
            raise ExprError(_too_deep(), token.offset)

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
            self.nested(token)
            node = Unary(token.offset, "not", self.not_())
            self.level -= 1
            return node
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
            self.nested(token)
            operand = self.unary()
            self.level -= 1
            if isinstance(operand, Lit) and isinstance(operand.value, int | float):
                return Lit(token.offset, -operand.value)
            return Unary(token.offset, "-", operand)
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        kind = token.kind
        if kind == "number":
            return Lit(token.offset, _number(token))
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
            self.nested(token)
            node = self.or_()
            self.expect(")", "to close '('")
            self.level -= 1
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
        self.nested(self.take())  # (
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.or_())
            while self.accept(","):
                args.append(self.or_())
            self.expect(")", f"to close the arguments of {name}()")
        self.level -= 1
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            wanted = str(low) if low == high else f"{low} to {high}" if high else f"{low} or more"
            raise ExprError(
                f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, not {len(args)}",
                token.offset,
            )
        if name == "round" and len(args) == 2:
            _check_round_digits(args[1])
        return Call(token.offset, name, tuple(args))


def _number(token: Token) -> int | float:
    """A number literal; one of more than MAX_NUMBER_DIGITS digits, or beyond what a float
    holds (`1e999`), is an ExprError."""
    digits = sum(c.isdigit() for c in token.text.split("e")[0].split("E")[0])
    if digits > MAX_NUMBER_DIGITS:
        raise ExprError(
            f"the number has {digits} digits (limit: {MAX_NUMBER_DIGITS} number digits)",
            token.offset,
        )
    if not any(c in token.text for c in ".eE"):
        return int(token.text)
    value = float(token.text)
    if value in (float("inf"), float("-inf")):
        raise ExprError(f"the number {token.text} is too large for a decimal column", token.offset)
    return value


def _check_round_digits(node: Node) -> None:
    """round(x, n) computes 10**n: n must be a whole number written in the spec, in bounds."""
    if not (isinstance(node, Lit) and type(node.value) is int):
        raise ExprError(
            "round() takes its digits as a whole number written in the spec, e.g. round(x, 2)",
            node.offset,
        )
    if abs(node.value) > MAX_ROUND_DIGITS:
        raise ExprError(
            f"round() to {node.value} digits: use -{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS} "
            f"(limit: {MAX_ROUND_DIGITS} round digits)",
            node.offset,
        )
