"""A field compiled once into a plan that computes its whole column for a page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mappings.arrowcast import Errors, to_arrow
from mappings.expr_eval import Page, compile_expression
from mappings.expr_parse import PathRef, walk
from mappings.model import FieldSpec
from mappings.paths import PathTree, coalesce
from mappings.refs import ref_ids
from mappings.texts import as_list
from mappings.transforms import TRANSFORMS, Options, Values

_MISSING = object()
_KEY_IDS: dict[Any, int] = {}
_BATCHABLE = (pa.string(), pa.bool_())


def _key_id(key: Any) -> int:
    """A small int standing for a (source, options, transforms) key: cheap to look up per page."""
    return _KEY_IDS.setdefault(key, len(_KEY_IDS))


class FieldPlan:
    """Everything about one column decided at compile time; `run` only moves data."""

    def __init__(self, spec: FieldSpec, salt: bytes) -> None:
        self.name = spec.name
        self.type = spec.type
        self.arrow_type = spec.type.arrow
        self.nullable = spec.nullable
        self.paths = [p.segments for p in spec.paths]
        self._ref_key = spec.ref_key
        self._context = spec.context
        self._const = spec.const if spec.has_const else _MISSING
        self._expr = compile_expression(spec.expr) if spec.expr is not None else None
        self._expr_node = spec.expr
        self._steps = [TRANSFORMS[name] for name in spec.transforms]
        self._currency_path = spec.currency_path.segments if spec.currency_path else None
        self._currency = spec.currency
        self._options = Options(salt=salt, exponents=spec.exponents, target=spec.type)
        self._map = spec.value_map
        self._default = None if spec.default is None else pa.scalar(spec.default, self.arrow_type)
        self.money_key = (
            (spec.currency_path.text, repr(spec.exponents), spec.type)
            if spec.transforms == ("minor_units",)
            and spec.currency_path is not None
            and self._map is None
            and self._default is None
            and len(spec.paths) == 1
            and spec.ref_key is None
            else None
        )
        self.direct = (
            not self._steps
            and self._map is None
            and self._default is None
            and len(self.paths) == 1
            and spec.type.kind in ("text", "boolean")
        )
        source = (
            tuple(self.paths),
            self._ref_key,
            self._context,
            spec.expr_text or None,
            repr(self._const) if spec.has_const else None,
        )
        options = (self._currency_path, self._currency, repr(spec.exponents), spec.type)
        names = tuple(spec.transforms)
        # `values` can go straight into a text or boolean batch conversion (the default, if
        # any, is applied by the map)
        self.deferrable = self.arrow_type in _BATCHABLE and (
            self._default is None or self._map is not None
        )
        self.required = not spec.nullable  # the compiler adds primary key columns
        self._coalesce_key = _key_id(("coalesce", tuple(self.paths)))
        self._refs_key = _key_id(("refs", tuple(self.paths), self._ref_key))
        self._keys = [_key_id((source, options, names[: k + 1])) for k in range(len(names))]

    def reads(self) -> list[tuple[Any, ...]]:
        """Every record path this field reads."""
        found = list(self.paths)
        if self._currency_path is not None:
            found.append(self._currency_path)
        if self._expr_node is not None:
            found += [n.path.segments for n in walk(self._expr_node) if isinstance(n, PathRef)]
        return found

    def raw(self, page: Page) -> tuple[Sequence[Any], Errors]:
        """The source values before transforms (what a quarantine row shows)."""
        if self.paths:
            if self._ref_key is not None:
                return self._refs(page)
            if len(self.paths) == 1:
                return page.extractor.column(self.paths[0]), {}
            key = self._coalesce_key
            found = page.memo.get(key)
            if found is None:
                found = page.memo[key] = coalesce([page.extractor.column(s) for s in self.paths])
            return found, {}
        if self._expr is not None:
            return self._expr(page)
        value = page.context.get(self._context) if self._context else self._const
        return [value] * page.size, {}

    def _refs(self, page: Page) -> tuple[Sequence[Any], Errors]:
        """The ids of a reference column (bare ids and objects alike), shared between fields
        that read the same references on this page."""
        found = page.memo.get(self._refs_key)
        if found is None:
            columns = [page.extractor.column(s) for s in self.paths]
            values = columns[0] if len(columns) == 1 else coalesce(columns)
            found = page.memo[self._refs_key] = ref_ids(values, self._ref_key or "")
        return found[0], dict(found[1])

    def run(self, page: Page) -> tuple[pa.Array, Errors, Sequence[Any]]:
        """The column as Arrow, {row: reason} for rows that could not be mapped, raw values."""
        values, errors, raw = self.values(page)
        if isinstance(values, pa.Array) and values.type == self.arrow_type:
            return values, errors, raw
        return self.finish(values, errors), errors, raw

    def values(self, page: Page) -> tuple[Values, Errors, Sequence[Any]]:
        """The column before its conversion to Arrow (an Arrow array for direct columns and
        vectorised transforms), {row: reason}, and the raw values."""
        raw, errors = self.raw(page)
        if self.direct:
            try:
                return pa.array(raw, self.arrow_type), errors, raw
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                pass
        values: Values = raw
        if self._steps:
            values, errors = self._transform(page, raw, errors)
        if self._map is not None:
            values, map_errors = _apply_map(as_list(values), self._map, self._default)
            _merge(errors, map_errors)
        return values, errors, raw

    def finish(self, values: Values, errors: Errors) -> pa.Array:
        """Convert `values` to the column's type; refusals are added to `errors`."""
        array, cast_errors = to_arrow(values, self.type)
        _merge(errors, cast_errors)
        if self._default is not None and array.null_count:
            array = pc.fill_null(array, self._default)
        return array

    def _transform(self, page: Page, raw: Sequence[Any], errors: Errors) -> tuple[Values, Errors]:
        """Run the transforms, reusing what another field with the same source and leading
        transforms already computed on this page (email and email_sha256 share trim, lower)."""
        memo = page.memo
        start, values = 0, raw
        for done in range(len(self._keys), 0, -1):
            hit = memo.get(self._keys[done - 1])
            if hit is not None:
                values, found = hit
                errors = {**errors, **found}
                start = done
                break
        if start == len(self._steps):
            return values, errors
        options = self._options
        if self._currency_path is not None:
            options = with_currency(options, page.extractor.column(self._currency_path), memo)
        elif self._currency is not None:
            options = with_currency(options, [self._currency] * page.size, memo)
        for index in range(start, len(self._steps)):
            values, step_errors = self._steps[index].run(values, options)
            if step_errors:
                errors = {**step_errors, **errors}
            memo[self._keys[index]] = (values, errors)
        return values, errors


def with_currency(
    options: Options, currency: Sequence[Any], memo: dict[Any, Any], repeat: int = 1
) -> Options:
    """A field's options with this page's currency column and memo (for `repeat` columns of
    values in a row: money columns converted together)."""
    return Options(
        salt=options.salt,
        currency=currency,
        exponents=options.exponents,
        target=options.target,
        memo=memo,
        repeat=repeat,
    )


def _merge(errors: Errors, more: Errors) -> None:
    for row, reason in more.items():
        errors.setdefault(row, reason)


def _apply_map(
    values: Sequence[Any], table: dict[Any, Any], default: pa.Scalar | None
) -> tuple[Sequence[Any], Errors]:
    """Listed values are replaced; others become the default when there is one, else stay."""
    fallback = default.as_py() if default is not None else _MISSING
    try:
        if fallback is _MISSING:
            return [None if v is None else table.get(v, v) for v in values], {}
        return [fallback if v is None else table.get(v, fallback) for v in values], {}
    except TypeError:  # an object or list cannot be looked up
        pass
    out: list[Any] = []
    errors: Errors = {}
    for row, value in enumerate(values):
        try:
            hit = None if value is None else table.get(value, _MISSING)
        except TypeError:
            errors[row] = "an object or list cannot be looked up in map: pick a deeper path"
            out.append(None)
            continue
        out.append(
            value
            if hit is _MISSING and fallback is _MISSING
            else fallback
            if hit is _MISSING
            else hit
        )
    return out, errors


def fetch_plan(plans: list[FieldPlan], extra: list[tuple[Any, ...]] = ()) -> list[Any]:  # type: ignore[assignment]
    """The level-at-a-time read plan for the paths of `plans` (plus `extra` paths)."""
    tree = PathTree()
    for plan in plans:
        for segments in plan.reads():
            tree.add(segments)
    for segments in extra:
        tree.add(segments)
    return tree.order()
