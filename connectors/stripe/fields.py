"""The fields of every Stripe resource intsync reads, from the `stripe` SDK's resource classes,
which annotate every field: `Optional[ExpandableField["Customer"]]` (an id, or the whole
customer when expanded) becomes "text, or the customer's fields"; `ListObject[X]` a list page
of X; `metadata` a free-form object. Built when first asked for, one class at a time."""

from __future__ import annotations

import ast
import importlib
import sys
import typing
from functools import cache
from typing import Any

from connectors.common.fields import (
    ANYTHING,
    BOOLEAN,
    INTEGER,
    TEXT,
    SdkCatalogue,
    Shape,
    fields_of,
    lazy,
    shape_of,
)
from connectors.stripe.resources import RESOURCES

READS = tuple(RESOURCES)  # what the connector reads, in its order

# Fields that accounts pinned to an older API version still receive (intsync sends no
# Stripe-Version, so a record comes in the account's version), which the SDK, written for the
# newest version, no longer declares. Specs read them as a fallback to the new place.
OLDER_VERSIONS: dict[str, dict[str, Any]] = {
    # 2025-03-31.basil moved these under `parent.subscription_details` and `pricing`
    "Invoice": {"subscription": typing.Union[str, typing.ForwardRef("Subscription"), None]},  # noqa: UP007
    "InvoiceLineItem": {"price": typing.Union[typing.ForwardRef("Price"), None]},  # noqa: UP007
}
# Deleted objects (`{"id", "object", "deleted": true}`) come through the same reads.
DELETABLE = frozenset({"Customer", "Invoice", "Product", "Price"})


def resource_fields(resource: str) -> Shape | None:
    """The fields of one resource's records (None for a resource the connector does not read)."""
    return CATALOGUE.resource_fields(resource)


def live_catalogue() -> dict[str, Shape]:
    """Every resource's fields, read from the installed `stripe` SDK."""
    stripe = importlib.import_module("stripe")
    shapes: dict[str, Shape] = {}
    for name, resource in RESOURCES.items():
        cls = getattr(stripe, "".join(part.title() for part in resource.object.split("_")))
        assert resource.object == cls.OBJECT_NAME, (cls, resource.object)
        shapes[name] = _class_fields(cls)
    return shapes


@cache
def _class_fields(cls: type) -> Shape:
    """A StripeObject subclass's fields, its own annotations and those it inherits."""
    annotations: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if _is_stripe_object(base) and base.__name__ != "StripeObject":
            annotations.update(base.__dict__.get("__annotations__", {}))
    annotations.update(OLDER_VERSIONS.get(cls.__name__, {}))
    remapped = cls.__dict__.get("_field_remappings", {})
    wire = {
        remapped.get(name, name): annotation
        for name, annotation in annotations.items()
        if not name.startswith("_") and typing.get_origin(annotation) is not typing.ClassVar
    }
    of_class = _class_reader(cls.__module__)
    fields = fields_of(wire, of_class)
    fields.setdefault("object", TEXT)
    if cls.__name__ in DELETABLE:
        fields.setdefault("deleted", BOOLEAN)
    return fields


def _class_reader(module: str) -> Any:
    def of_class(annotation: Any) -> Shape | None:
        if isinstance(annotation, typing.ForwardRef | str):
            name = (
                annotation.__forward_arg__
                if isinstance(annotation, typing.ForwardRef)
                else annotation
            )
            return of_class(_resolve(module, name))
        origin = typing.get_origin(annotation) or annotation
        if not isinstance(origin, type) or not _is_stripe_object(origin):
            return None
        if origin.__name__ == "ListObject":
            (item,) = typing.get_args(annotation) or (Any,)
            return {
                "object": TEXT,
                "data": [shape_of(item, of_class)],
                "has_more": BOOLEAN,
                "url": TEXT,
                "total_count": INTEGER,
            }
        if origin.__name__ == "UntypedStripeObject":
            return ANYTHING
        return lazy(lambda: _class_fields(origin))

    return of_class


def _resolve(module: str, name: str) -> Any:
    """A name in a `stripe` module's annotations: its own, one it imports for type checking
    only (`from stripe._card import Card as CardResource`), or one of `stripe`'s."""
    found = vars(sys.modules[module]).get(name)
    if found is not None:
        return found
    imported = _type_imports(module).get(name)
    if imported is not None:
        return getattr(importlib.import_module(imported[0]), imported[1])
    return getattr(importlib.import_module("stripe"), name)


@cache
def _type_imports(module: str) -> dict[str, tuple[str, str]]:
    spec = sys.modules[module].__spec__
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stripe")
        for alias in node.names
    }


def _is_stripe_object(cls: type) -> bool:
    return any(base.__name__ == "StripeObject" for base in cls.__mro__)


CATALOGUE = SdkCatalogue(__file__, "stripe", live_catalogue)

if __name__ == "__main__":  # python -m connectors.stripe.fields: renew fields.json
    CATALOGUE.renew()
