"""New Stripe objects made by create calls, and how update fields merge into an object."""

from __future__ import annotations

import random
from typing import Any

from connectors.sandbox.seeding import random_token
from connectors.stripe.sandbox.api import ApiError
from connectors.stripe.sandbox.resources import RESOURCES
from connectors.stripe.sandbox.templates import TEMPLATES

Obj = dict[str, Any]


def new_object(resource: str, object_id: str, fields: Obj, now: int, rng: random.Random) -> Obj:
    """A complete object for a create call: the template, Stripe's defaults, then `fields`."""
    base: Obj = {**TEMPLATES[resource], "id": object_id, "created": now, "metadata": {}}
    shaper = _SHAPERS.get(resource)
    if shaper is not None:
        shaper(base, fields, rng)
    return merge(base, fields)


def merge(obj: Obj, fields: Obj) -> Obj:
    """`fields` applied to a copy of `obj`: dicts merge (metadata keys set to "" are removed,
    metadata="" clears it), other values replace."""
    out = dict(obj)
    for key, value in fields.items():
        if key in ("expand", "id", "object"):
            continue
        if key == "metadata":
            out["metadata"] = _metadata(obj.get("metadata") or {}, value)
        elif isinstance(value, dict) and isinstance(obj.get(key), dict):
            out[key] = {**obj[key], **value}
        else:
            out[key] = value
    return out


def _metadata(current: Obj, value: Any) -> Obj:
    if value == "" or value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "Invalid hash", param="metadata")
    merged = dict(current)
    for key, item in value.items():
        if item == "" or item is None:
            merged.pop(key, None)
        else:
            merged[key] = str(item) if not isinstance(item, str) else item
    return merged


def require(fields: Obj, *names: str) -> None:
    """400 `parameter_missing` for the first absent field."""
    for name in names:
        if fields.get(name) in (None, ""):
            raise ApiError(
                400, f"Missing required param: {name}.", param=name, code="parameter_missing"
            )


def check_fields(resource: str, fields: Obj, allowed: frozenset[str]) -> None:
    """400 for parameters the endpoint does not take, as Stripe answers."""
    for name in fields:
        if name not in allowed:
            raise ApiError(400, f"Received unknown parameter: {name}", param=name)
    del resource


def _charge(base: Obj, fields: Obj, rng: random.Random) -> None:
    require(fields, "amount", "currency")
    amount = fields["amount"]
    if not isinstance(amount, int) or amount < 1:
        raise ApiError(
            400, "Amount must be at least 1 (in the currency's smallest unit).", param="amount"
        )
    fields["currency"] = str(fields["currency"]).lower()
    source = fields.pop("source", None)
    fields.pop("capture", None)
    oid = base["id"]
    base.update(
        amount_captured=amount,
        amount_refunded=0,
        captured=True,
        paid=True,
        refunded=False,
        status="succeeded",
        description=None,
        balance_transaction=RESOURCES["balance_transactions"].id_prefix + random_token(rng, 24),
        payment_method=source if isinstance(source, str) else "pm_" + random_token(rng, 24),
        refunds={"object": "list", "data": [], "has_more": False, "total_count": 0,
                 "url": f"/v1/charges/{oid}/refunds"},
        receipt_url=f"https://pay.stripe.com/receipts/payment/{random_token(rng, 40)}",
        transfer_data=None,
    )  # fmt: skip


def _customer(base: Obj, fields: Obj, rng: random.Random) -> None:
    base.update(invoice_prefix=random_token(rng, 8).upper(), discount=None, currency=None)


def _product(base: Obj, fields: Obj, rng: random.Random) -> None:
    require(fields, "name")
    base.update(
        updated=base["created"], default_price=None, package_dimensions=None, description=None
    )


def _price(base: Obj, fields: Obj, rng: random.Random) -> None:
    require(fields, "currency", "product")
    fields["currency"] = str(fields["currency"]).lower()
    amount = fields.get("unit_amount")
    recurring = fields.pop("recurring", None)
    base.update(
        unit_amount=amount,
        unit_amount_decimal=None if amount is None else str(amount),
        type="recurring" if recurring else "one_time",
        recurring={**TEMPLATES["prices"]["recurring"], **recurring} if recurring else None,
        custom_unit_amount=None,
        transform_quantity=None,
    )


_SHAPERS = {"charges": _charge, "customers": _customer, "products": _product, "prices": _price}
