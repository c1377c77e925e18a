"""The fields of every Square resource intsync reads, from the `squareup` SDK's pydantic models
(`square.types.*`), under the names Square sends (a model's alias: `address_line_1`). Built when
first asked for, one model at a time."""

from __future__ import annotations

import importlib
import typing
from functools import cache
from typing import Any

from connectors.common.fields import SdkCatalogue, Shape, fields_of, lazy
from connectors.square.resources import RESOURCES

READS = tuple(RESOURCES)  # what the connector reads, in its order

# resource -> (module under square.types, model class): the object each read returns
MODELS: dict[str, tuple[str, str]] = {
    "locations": ("location", "Location"),
    "payments": ("payment", "Payment"),
    "refunds": ("payment_refund", "PaymentRefund"),
    "orders": ("order", "Order"),
    "customers": ("customer", "Customer"),
    "catalog_items": ("catalog_object", "CatalogObject_Item"),
    "catalog_variations": ("catalog_object", "CatalogObject_ItemVariation"),
}


def resource_fields(resource: str) -> Shape | None:
    """The fields of one resource's records (None for a resource the connector does not read)."""
    return CATALOGUE.resource_fields(resource)


def live_catalogue() -> dict[str, Shape]:
    """Every resource's fields, read from the installed `squareup` SDK's models."""
    shapes: dict[str, Shape] = {}
    for resource, (module, name) in MODELS.items():
        model = getattr(importlib.import_module(f"square.types.{module}"), name)
        shapes[resource] = _model_fields(model)
    return shapes


@cache
def _model_fields(model: type) -> Shape:
    fields: dict[str, Any] = getattr(model, "model_fields", {})
    return fields_of({(f.alias or name): f.annotation for name, f in fields.items()}, _of_class)


def _of_class(annotation: Any) -> Shape | None:
    model = typing.get_origin(annotation) or annotation
    if isinstance(model, type) and hasattr(model, "model_fields"):
        return lazy(lambda: _model_fields(model))
    return None


CATALOGUE = SdkCatalogue(__file__, "squareup", live_catalogue)

if __name__ == "__main__":  # python -m connectors.square.fields: renew fields.json
    CATALOGUE.renew()
