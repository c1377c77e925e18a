"""One Square merchant's state in the sandbox: seeded collections ordered by `updated_at`, and
the changes tests make to them (each recorded as a webhook event)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from connectors.sandbox.collection import Collection
from connectors.sandbox.seeding import SeedSpec, rng_for
from connectors.square.sandbox.api import SquareError, SquareReads, bad_request
from connectors.square.sandbox.seed import (
    catalog_item,
    customer,
    order,
    payment,
    refund,
    rfc3339,
    seed_merchant,
    square_id,
)

_ATTRS = ("location_id", "created_at", "closed_at", "state", "type", "is_deleted")
COLLECTIONS = (
    "payments",
    "refunds",
    "orders",
    "customers",
    "catalog_items",
    "catalog_variations",
)


class SquareMerchant(SquareReads):
    """Locations and collections of one merchant, with Square's read semantics."""

    def __init__(self, spec: SeedSpec, merchant_id: str) -> None:
        self.spec = spec
        self.merchant_id = merchant_id
        seeded = seed_merchant(spec, merchant_id)
        self.locations: list[dict[str, Any]] = seeded["locations"]
        self.collections = {name: Collection(_ATTRS, "updated_at") for name in COLLECTIONS}
        for refunded in seeded["refunds"]:
            paid = next(p for p in seeded["payments"] if p["id"] == refunded["payment_id"])
            paid.setdefault("refund_ids", []).append(refunded["id"])
            paid["refunded_money"] = dict(refunded["amount_money"])
        for name in COLLECTIONS:
            self.collections[name].load(seeded[name])
        self.events: list[dict[str, Any]] = []
        self.last_count: int | None = None  # what the last customers search with count found
        self._last = float(spec.anchor())
        self._made = 0

    # -- clock ------------------------------------------------------------------------------
    def now(self) -> float:
        """Our time, never going backwards, at least a millisecond after the last change."""
        self._last = max(self._last + 0.001, time.time())
        return self._last

    # -- changes ---------------------------------------------------------------------------
    def create(self, name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """A new object made as seeding makes them, with `fields` on top."""
        self._made += 1
        rng = rng_for(self.spec.seed, "made", self._made)
        when = self.now()
        customers = [c for c in map(orjson.loads, self._blobs("customers"))]
        if name == "payments":
            obj = payment(rng, when, self._location(fields), customers)
            obj["status"] = "COMPLETED"
        elif name == "orders":
            variations = list(map(orjson.loads, self._blobs("catalog_variations")))
            obj = order(rng, when, self._location(fields), customers, variations)
        elif name == "customers":
            obj = customer(rng, when)
            obj["updated_at"] = obj["created_at"]
        elif name == "catalog_items":
            obj, variations = catalog_item(rng, when)
            for variation in variations:
                self.collections["catalog_variations"].put(variation)
                self._event("catalog.version.updated", "catalog_object", variation)
        elif name == "refunds":
            obj = self._refund(rng, when, fields)
        else:
            raise bad_request(f"the sandbox cannot create {name}")
        obj.update(fields)
        self.collections[name].put(obj)
        self._event(_event_type(name, "created"), _data_type(name), obj)
        return obj

    def _refund(self, rng: Any, when: float, fields: dict[str, Any]) -> dict[str, Any]:
        """A refund of `fields["payment_id"]` (default: the newest unrefunded completed payment);
        the payment gains the refund id and its refunded money."""
        paid_id = fields.pop("payment_id", None)
        if paid_id is None:
            paid_id = next(
                p["id"]
                for p in self.current("payments")
                if p["status"] == "COMPLETED" and not p.get("refund_ids")
            )
        paid = self.get("payments", paid_id)
        made = refund(rng, paid, when + 1)
        made["created_at"] = made["updated_at"] = rfc3339(when)
        made["status"] = "COMPLETED"
        refunded = (paid.get("refunded_money") or {}).get("amount", 0)
        amount = made["amount_money"]["amount"] + refunded
        self.update(
            "payments",
            paid_id,
            {
                "refund_ids": [*(paid.get("refund_ids") or []), made["id"]],
                "refunded_money": {**made["amount_money"], "amount": amount},
            },
        )
        return made

    def update(self, name: str, object_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Change fields of one object; updated_at moves to now and the version goes up."""
        obj = self.get(name, object_id)
        obj.update(fields)
        for key in [key for key, value in fields.items() if value is None]:
            del obj[key]  # Square leaves an emptied field out
        obj["updated_at"] = rfc3339(self.now())
        if isinstance(obj.get("version"), int):
            obj["version"] += 1
        self.collections[name].put(obj)
        self._event(_event_type(name, "updated"), _data_type(name), obj)
        if name == "catalog_variations":
            item_id = obj["item_variation_data"]["item_id"]
            item = self.get("catalog_items", item_id)
            kept = [v for v in item["item_data"]["variations"] if v["id"] != object_id]
            item["item_data"]["variations"] = [*kept, obj]
            self.update("catalog_items", item_id, {"item_data": item["item_data"]})
        return obj

    def delete(self, name: str, object_id: str) -> dict[str, Any]:
        """Catalog objects stay with `is_deleted: true` (an item takes its variations along);
        customers are gone."""
        obj = self.get(name, object_id)
        if name == "customers":
            self.collections[name].delete(object_id)
            self._event("customer.deleted", "customer", obj)
            return obj
        if not name.startswith("catalog_"):
            raise bad_request(f"{name} cannot be deleted in Square")
        if name == "catalog_items":
            for variation in obj["item_data"].get("variations", []):
                if variation["id"] in self.collections["catalog_variations"]:
                    self.delete("catalog_variations", variation["id"])
        obj["is_deleted"] = True
        obj["updated_at"] = rfc3339(self.now())
        obj["version"] = int(self._last * 1000)
        self.collections[name].put(obj)
        self._event("catalog.version.updated", "catalog_object", obj)
        return obj

    def touch(self, name: str, count: int) -> list[str]:
        """Update the `count` least recently updated objects (a note or state change)."""
        coll = self.collections[name]
        oldest = list(coll.ids())[-count:]
        for oid in oldest:
            self.update(name, oid, {"note": f"touched {self._made}"} if name != "orders" else {})
        return oldest

    def get(self, name: str, object_id: str) -> dict[str, Any]:
        obj = self.collections[name].get(object_id)
        if obj is None:
            raise SquareError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND",
                              f"Could not find {name} object with id `{object_id}`.")  # fmt: skip
        return obj

    def catalog_object(self, object_id: str) -> dict[str, Any]:
        """An item or variation by id (deleted ones too, marked)."""
        for name in ("catalog_items", "catalog_variations"):
            if object_id in self.collections[name]:
                return self.get(name, object_id)
        return self.get("catalog_items", object_id)

    def current(self, name: str) -> list[dict[str, Any]]:
        """What exists now (deleted catalog objects left out), newest first."""
        if name == "locations":
            return list(self.locations)
        objects = [orjson.loads(blob) for blob in self._blobs(name)]
        return [o for o in objects if not o.get("is_deleted")]

    def _blobs(self, name: str) -> list[bytes]:
        coll = self.collections[name]
        return [coll.stored(oid) for oid in coll.ids()]

    def _location(self, fields: dict[str, Any]) -> dict[str, Any]:
        wanted = fields.pop("location_id", None)
        return next((x for x in self.locations if x["id"] == wanted), self.locations[0])

    def _event(self, kind: str, data_type: str, obj: dict[str, Any]) -> None:
        """Record the webhook Square would send: whole objects, except for orders (ids, version
        and state only, as `order_created` / `order_updated`) and catalog (a version stamp)."""
        rng = rng_for(self.spec.seed, "event", len(self.events))
        data: dict[str, Any] = {"type": data_type, "id": obj["id"]}
        if data_type == "catalog_object":
            data = {
                "type": "catalog",
                "object": {"catalog_version": {"updated_at": obj["updated_at"]}},
            }
        elif data_type == "order":
            data["type"] = "order_" + kind.split(".")[1]
            brief = {k: obj.get(k) for k in ("version", "location_id", "state", "created_at")}
            data["object"] = {data["type"]: {"order_id": obj["id"], **brief,
                                             "updated_at": obj["updated_at"]}}  # fmt: skip
        else:
            data["object"] = {data_type: obj}
        self.events.append({
            "merchant_id": self.merchant_id, "type": kind,
            "event_id": f"{square_id(rng, 8)}-{len(self.events):04d}-{square_id(rng, 12)}",
            "created_at": rfc3339(self._last), "data": data,
        })  # fmt: skip


def _event_type(name: str, verb: str) -> str:
    if name.startswith("catalog_"):
        return "catalog.version.updated"
    return f"{_data_type(name)}.{verb}"


def _data_type(name: str) -> str:
    return {"payments": "payment", "refunds": "refund", "orders": "order",
            "customers": "customer"}.get(name, "catalog_object")  # fmt: skip
