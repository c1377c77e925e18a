"""Field catalogues: what a provider's records may hold, as plain data the mapping layer checks
spec paths against (see mappings/catalogue.py for the form). Written once here: the types of
the providers' typed models (Python annotations) turned into shapes.

Reading an SDK's models takes a second or more (importing them builds their classes), so each
provider's catalogue is also kept as a snapshot beside its module (`fields.json`), made from the
SDK version it names and read instead of the SDK while that version is the one installed.

A shape is a kind name (`"text"`, `"integer"`, `"number"`, `"boolean"`) for a value, `ANYTHING`
for a free-form object, a dict of fields, a one-element list for an array, a tuple for "any of
these", or a function of no arguments that gives the shape when first needed.
"""

from __future__ import annotations

import importlib.metadata
import json
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache, partial
from pathlib import Path
from typing import Any, TypeAlias

import orjson

Shape: TypeAlias = (
    "str | Mapping[str, Shape] | list[Shape] | tuple[Shape, ...] | Callable[[], Shape]"
)
ANYTHING = "*"
TEXT, INTEGER, NUMBER, BOOLEAN = "text", "integer", "number", "boolean"
SCALARS: dict[Any, str] = {str: TEXT, int: INTEGER, float: NUMBER, bool: BOOLEAN}

# How a provider turns a class it knows (a model, a resource; or a forward reference to one) into
# a shape; None when it is not one of its own.
ClassShape = Callable[[Any], "Shape | None"]


def lazy(make: Callable[[], Shape]) -> Callable[[], Shape]:
    """`make`, called once when a path first reaches it."""
    return cache(make)


def shape_of(annotation: Any, of_class: ClassShape) -> Shape:
    """The shape of a typed field: Optional/Union as alternatives, List as an array, Dict and
    Any as free-form, Literal and plain types as values, classes as `of_class` says."""
    if annotation is Any or annotation is object:
        return ANYTHING
    if annotation in SCALARS:
        return SCALARS[annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return shape_of(args[0], of_class)
    if origin is typing.Literal:
        return SCALARS.get(type(args[0]), TEXT)
    if origin in (typing.Union, types.UnionType):
        return _union(args, of_class)
    if origin in (list, tuple, set, frozenset) or origin is typing.Sequence:
        return [shape_of(args[0], of_class)] if args else [ANYTHING]
    if origin in (dict, Mapping) or origin is typing.Mapping:
        return ANYTHING
    if isinstance(origin or annotation, type) or isinstance(annotation, typing.ForwardRef | str):
        found = of_class(annotation)
        if found is not None:
            return found
    return ANYTHING


def _union(args: tuple[Any, ...], of_class: ClassShape) -> Shape:
    present = [a for a in args if a is not type(None)]
    if any(typing.get_origin(a) is typing.Literal for a in present):
        # enums typed `Union[Literal[...], Any]`: a value, whatever new members it gains
        present = [a for a in present if a is not Any]
    shapes: list[Shape] = []
    for arg in present:
        shape = shape_of(arg, of_class)
        if shape not in shapes:
            shapes.append(shape)
    return shapes[0] if len(shapes) == 1 else tuple(shapes)


def fields_of(annotations: Mapping[str, Any], of_class: ClassShape) -> dict[str, Shape]:
    """An object's fields from `{name: annotation}`, each field's shape made when first read
    (so that models that refer to each other stay cheap)."""
    return {
        name: lazy(partial(shape_of, annotation, of_class))
        for name, annotation in annotations.items()
    }


class SdkCatalogue:
    """A provider's catalogue read from its SDK (`live()`: resource -> shape), through the
    snapshot `fields.json` beside `module_file` while that was made from the installed SDK."""

    def __init__(
        self, module_file: str, distribution: str, live: Callable[[], dict[str, Shape]]
    ) -> None:
        self.snapshot = Path(module_file).with_name("fields.json")
        self.distribution = distribution
        self.live = live
        self._shapes: dict[str, Shape] | None = None

    def resource_fields(self, resource: str) -> Shape | None:
        """One resource's shape (None for a resource the connector does not read)."""
        if self._shapes is None:
            self._shapes = self._read()
        return self._shapes.get(resource)

    def renew(self) -> None:
        """Write the snapshot from the installed SDK (after upgrading it)."""
        data = {"sdk": self._sdk(), **freeze(self.live())}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        self.snapshot.write_text(text + "\n", encoding="utf-8")

    def _read(self) -> dict[str, Shape]:
        if self.snapshot.is_file():
            data = orjson.loads(self.snapshot.read_bytes())
            if data.get("sdk") == self._sdk():
                return thaw(data)
        return self.live()

    def _sdk(self) -> str:
        return f"{self.distribution} {importlib.metadata.version(self.distribution)}"


def freeze(catalogue: Mapping[str, Shape]) -> dict[str, Any]:
    """The whole of each resource's shape as JSON data: objects numbered once in `nodes` (so
    that models referring to each other stay finite), `{"$": n}` where one is used,
    `{"|": [...]}` for alternatives, a one-element list for an array."""
    objects: list[Mapping[str, Shape]] = []  # numbered in the order first seen
    numbers: dict[int, int] = {}

    def encode(shape: Shape) -> Any:
        while callable(shape):
            shape = shape()
        if isinstance(shape, str):
            return shape
        if isinstance(shape, list):
            return [encode(shape[0])]
        if isinstance(shape, tuple):
            return {"|": [encode(part) for part in shape]}
        if id(shape) not in numbers:
            numbers[id(shape)] = len(objects)
            objects.append(shape)
        return {"$": numbers[id(shape)]}

    resources = {name: encode(shape) for name, shape in catalogue.items()}
    nodes: list[dict[str, Any]] = []
    while len(nodes) < len(objects):  # encoding a node may number more
        nodes.append({name: encode(below) for name, below in objects[len(nodes)].items()})
    return {"resources": resources, "nodes": nodes}


def thaw(data: Mapping[str, Any]) -> dict[str, Shape]:
    """A frozen catalogue back as shapes, each object built when a path first reaches it."""
    nodes = data["nodes"]

    @cache
    def node(number: int) -> Shape:
        return {name: decode(below) for name, below in nodes[number].items()}

    def decode(encoded: Any) -> Shape:
        if isinstance(encoded, str):
            return encoded
        if isinstance(encoded, list):
            return [decode(encoded[0])]
        if "|" in encoded:
            return tuple(decode(part) for part in encoded["|"])
        return partial(node, encoded["$"])

    return {name: decode(encoded) for name, encoded in data["resources"].items()}
