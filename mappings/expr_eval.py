"""Expressions evaluated a column at a time: each tree node becomes a function from a page to a
list of values plus {row: reason} for rows where it could not be computed (e.g. 'a' > 1)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from mappings.arrowcast import Errors
from mappings.expr_parse import Binary, Call, Ctx, In, IsNull, Lit, Node, PathRef, Unary
from mappings.paths import Extractor
from mappings.scalars import as_text, show
from mappings.types import BIGINT, BOOLEAN, DOUBLE, TEXT, TIMESTAMP, ColumnType, python_type


class Page:
    """What an expression reads: the page's records (through a shared extractor) and context."""

    __slots__ = ("extractor", "size", "context", "memo")

    def __init__(self, extractor: Extractor, size: int, context: dict[str, Any]) -> None:
        self.extractor = extractor
        self.size = size
        self.context = context
        self.memo: dict[Any, Any] = {}  # results shared between fields (same source and steps)


Evaluator = Callable[[Page], tuple[Sequence[Any], Errors]]
_NUMBERS = (int, float, Decimal)


def _number(value: Any) -> Any:
    if value.__class__ is bool or not isinstance(value, _NUMBERS):
        raise ValueError(f"{show(value)} is not a number")
    return value


def _truth(value: Any) -> bool:
    if value.__class__ is not bool:
        raise ValueError(f"{show(value)} is not true or false")
    return value


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        return op(_number(a), _number(b))

    return run


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        raise ValueError("division by zero")
    return a / b


def _compare(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        return None if a is None or b is None else op(a, b)

    return run


def _and(a: Any, b: Any) -> Any:
    """Three-valued: false wins, then null."""
    if (a is not None and a.__class__ is not bool) or (b is not None and b.__class__ is not bool):
        raise ValueError(f"'and' needs true or false, got {show(a)} and {show(b)}")
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: Any, b: Any) -> Any:
    """Three-valued: true wins, then null."""
    if (a is not None and a.__class__ is not bool) or (b is not None and b.__class__ is not bool):
        raise ValueError(f"'or' needs true or false, got {show(a)} and {show(b)}")
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": _arith(operator.add),
    "-": _arith(operator.sub),
    "*": _arith(operator.mul),
    "/": _arith(_divide),
    "%": _arith(lambda a, b: a % b if b != 0 else _divide(a, b)),
    "==": _compare(operator.eq),
    "!=": _compare(operator.ne),
    "<": _compare(operator.lt),
    "<=": _compare(operator.le),
    ">": _compare(operator.gt),
    ">=": _compare(operator.ge),
    "and": _and,
    "or": _or,
}


def _concat(*parts: Any) -> Any:
    present = [as_text(p) for p in parts if p is not None]
    return "".join(present) if present else None


def _null_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda v, *rest: None if v is None else fn(v, *rest)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "coalesce": lambda *vs: next((v for v in vs if v is not None), None),
    "concat": _concat,
    "lower": _null_safe(lambda v: as_text(v).lower()),
    "upper": _null_safe(lambda v: as_text(v).upper()),
    "trim": _null_safe(lambda v: as_text(v).strip()),
    "length": _null_safe(len),
    "round": _null_safe(lambda v, n=0: round(_number(v), n)),
    "abs": _null_safe(lambda v: abs(_number(v))),
    "if": lambda cond, a, b: a if cond is True else b,
}


def _apply(
    fn: Callable[..., Any], label: str, columns: list[Sequence[Any]], errors: Errors
) -> list[Any]:
    """fn over rows of columns; one comprehension when every row works, else row by row."""
    try:
        if len(columns) == 1:
            return list(map(fn, columns[0]))
        if len(columns) == 2:
            return list(map(fn, columns[0], columns[1]))
        return [fn(*row) for row in zip(*columns, strict=True)]
    except Exception:  # noqa: BLE001 - the per-row pass below names the failing rows
        pass
    out: list[Any] = []
    for index, row in enumerate(zip(*columns, strict=True)):
        try:
            out.append(fn(*row))
        except (ValueError, TypeError, ArithmeticError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, ValueError)
                else (f"cannot apply {label} to " + " and ".join(show(v) for v in row))
            )
            errors.setdefault(index, reason)
            out.append(None)
    return out


def compile_expression(node: Node) -> Evaluator:
    """A column-at-a-time evaluator for a parsed expression."""
    if isinstance(node, Lit):
        value = node.value
        return lambda page: ([value] * page.size, {})
    if isinstance(node, PathRef):
        segments = node.path.segments
        return lambda page: (page.extractor.column(segments), {})
    if isinstance(node, Ctx):
        name = node.name
        return lambda page: ([page.context.get(name)] * page.size, {})
    if isinstance(node, IsNull):
        return _is_null(compile_expression(node.operand), node.negate)
    if isinstance(node, In):
        options = frozenset(node.options)
        negate = node.negate

        def member(value: Any) -> Any:
            return None if value is None else (value in options) != negate

        return _combine(
            member, f"'{'not in' if negate else 'in'}'", [compile_expression(node.operand)]
        )
    if isinstance(node, Unary):
        fn = _not if node.op == "not" else _negative
        return _combine(fn, f"'{node.op}'", [compile_expression(node.operand)])
    if isinstance(node, Binary):
        if node.op in _COMPARE and isinstance(node.right, Lit) and node.right.value is not None:
            return _compare_with(compile_expression(node.left), node.op, node.right.value)
        parts = [compile_expression(node.left), compile_expression(node.right)]
        return _combine(BINARY[node.op], f"'{node.op}'", parts)
    assert isinstance(node, Call)
    parts = [compile_expression(arg) for arg in node.args]
    return _combine(FUNCTIONS[node.name], f"{node.name}()", parts)


_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare_with(inner: Evaluator, op: str, constant: Any) -> Evaluator:
    """`path > 0` and the like: one comprehension against the constant."""
    compare = _COMPARE[op]
    slow = BINARY[op]

    def run(page: Page) -> tuple[Sequence[Any], Errors]:
        values, errors = inner(page)
        try:
            return [None if v is None else compare(v, constant) for v in values], errors
        except TypeError:
            errors = dict(errors)
            return _apply(slow, f"'{op}'", [values, [constant] * len(values)], errors), errors

    return run


def _not(value: Any) -> Any:
    return None if value is None else not _truth(value)


def _negative(value: Any) -> Any:
    return None if value is None else -_number(value)


def _is_null(inner: Evaluator, negate: bool) -> Evaluator:
    def run(page: Page) -> tuple[Sequence[Any], Errors]:
        values, errors = inner(page)
        if negate:
            return [v is not None for v in values], errors
        return [v is None for v in values], errors

    return run


def _combine(fn: Callable[..., Any], label: str, parts: list[Evaluator]) -> Evaluator:
    def run(page: Page) -> tuple[Sequence[Any], Errors]:
        errors: Errors = {}
        columns = []
        for part in parts:
            values, part_errors = part(page)
            for row, reason in part_errors.items():
                errors.setdefault(row, reason)
            columns.append(values)
        return _apply(fn, label, columns, errors), errors

    return run


def infer_type(node: Node) -> ColumnType | None:
    """The column type an expression yields when the spec declares none (None: unknown)."""
    if isinstance(node, Lit):
        return None if node.value is None else python_type(node.value)
    if isinstance(node, Ctx):
        return TIMESTAMP if node.name == "synced_at" else TEXT
    if isinstance(node, IsNull | In) or (isinstance(node, Unary) and node.op == "not"):
        return BOOLEAN
    if isinstance(node, Unary):
        return infer_type(node.operand) or DOUBLE
    if isinstance(node, Binary):
        if node.op in BINARY and node.op not in "+-*/%":
            return BOOLEAN
        left, right = infer_type(node.left), infer_type(node.right)
        return BIGINT if node.op != "/" and left == right == BIGINT else DOUBLE
    if isinstance(node, Call):
        return _call_type(node)
    return None


def _call_type(node: Call) -> ColumnType | None:
    if node.name in ("concat", "lower", "upper", "trim"):
        return TEXT
    if node.name == "length":
        return BIGINT
    if node.name == "round":
        return DOUBLE if len(node.args) == 2 else BIGINT
    args = node.args[1:] if node.name == "if" else node.args
    known = [t for t in (infer_type(a) for a in args) if t is not None]
    return known[0] if known else None
