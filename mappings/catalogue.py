"""What provider records may hold, as the connectors describe it: the catalogue spec paths are
checked against. Plain data, so that the connectors can publish it without importing this layer.

A `Shape` is one of:
- a text naming a value's kind (`"text"`, `"integer"`, ...): a value with nothing below it;
- `ANYTHING` (`"*"`): a free-form object such as Stripe's `metadata`: any path below is allowed;
- a mapping of field names to their shapes: an object;
- a one-element list holding the elements' shape: an array;
- a tuple of shapes: any of them (Stripe's expandable `customer`: an id, or the whole object);
- a function of no arguments giving the shape: computed when a path first reaches it (and
  cached by the connector), which keeps deep or self-referring catalogues cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from mappings.paths import Segment

Shape: TypeAlias = (
    "str | Mapping[str, Shape] | list[Shape] | tuple[Shape, ...] | Callable[[], Shape]"
)
ANYTHING = "*"


class Catalogue(Protocol):
    """What the connectors read: the providers intsync knows, the resources each one's connector
    reads, and each resource's fields (None where the connector cannot say)."""

    @property
    def providers(self) -> Sequence[str]: ...

    def resources(self, provider: str) -> Sequence[str]: ...

    def fields(self, provider: str, resource: str) -> Shape | None: ...


@dataclass(frozen=True)
class Miss:
    """A path that leaves the catalogue: `index` is the segment that is not there, `choices`
    the fields that level has (for a did-you-mean)."""

    index: int
    message: str
    choices: tuple[str, ...] = ()


def options(shape: Shape) -> list[Shape]:
    """The alternatives a shape allows, with functions called and nested tuples flattened."""
    while callable(shape):
        shape = shape()
    if isinstance(shape, tuple):
        return [option for part in shape for option in options(part)]
    return [shape]


def follow(shape: Shape, segments: Sequence[Segment], where: str, scope: str = "") -> Shape | Miss:
    """The shape at the end of `segments`, or a Miss naming the first segment that is not in
    the catalogue; `where` names the record (`stripe charges`) in messages, `scope` the list
    whose elements the path reads (`lines.data[]`), if any."""
    for index, segment in enumerate(segments):
        found = _step(options(shape), segment)
        if found is None:
            return _miss(options(shape), segments, index, where, scope)
        shape = found
    return shape


def elements(shape: Shape) -> Shape | None:
    """The element shape of an array (None when the shape allows no array)."""
    found = _step(options(shape), 0)
    return found


def field_names(shape: Shape) -> list[str]:
    """The fields an object shape names (empty for values, arrays and free-form objects)."""
    return sorted(
        {name for option in options(shape) if isinstance(option, Mapping) for name in option}
    )


def unknown_paths(shape: Shape, record: Any, prefix: str = "") -> list[str]:
    """The paths in `record` that the catalogue does not have (to check data against it)."""
    found: list[str] = []
    choices = options(shape)
    if ANYTHING in choices or record is None:
        return found
    if isinstance(record, dict):
        objects = [o for o in choices if isinstance(o, Mapping)]
        for key, value in record.items():
            below = [o[key] for o in objects if key in o]
            path = f"{prefix}.{key}" if prefix else str(key)
            if not below:
                found.append(path)
            else:
                found.extend(unknown_paths(tuple(below), value, path))
    elif isinstance(record, list):
        element = elements(tuple(choices))
        for value in record:
            found.extend(unknown_paths(element, value, prefix + "[]") if element else [prefix])
    return sorted(set(found))


def _step(choices: list[Shape], segment: Segment) -> Shape | None:
    if ANYTHING in choices:
        return ANYTHING
    if isinstance(segment, int):
        below = [o[0] for o in choices if isinstance(o, list) and o]
    else:
        below = [o[segment] for o in choices if isinstance(o, Mapping) and segment in o]
    if not below:
        return None
    return below[0] if len(below) == 1 else tuple(below)


def _miss(
    choices: list[Shape], segments: Sequence[Segment], index: int, where: str, scope: str
) -> Miss:
    segment = segments[index]
    before = _text(segments[:index])
    if isinstance(segment, int):
        return Miss(index, f"'{before}' is not a list: [{segment}] picks an element of a list")
    names = field_names(tuple(choices))
    if names:
        at = ".".join(part for part in (scope, before) if part)
        return Miss(index, f"'{segment}' is not a field of {where} {at}".rstrip(), tuple(names))
    if any(isinstance(o, list) for o in choices):
        return Miss(
            index,
            f"'{before}' is a list: pick an element ({before}[0].{segment}) "
            "or map its elements as a child table",
        )
    return Miss(
        index,
        f"'{before}' is a single value in {where} {scope}".rstrip()
        + f": it has no field '{segment}'",
    )


def _text(segments: Sequence[Segment]) -> str:
    text = ""
    for segment in segments:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text
