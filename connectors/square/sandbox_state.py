"""One Square merchant's state in the sandbox: collections ordered by `updated_at`, and the
filters, sorts and cursors of Square's list and search endpoints over them."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import orjson

from connectors.sandbox.collection import Collection, CreatedRange
from connectors.sandbox.seeding import DAY, SeedSpec, rng_for
from connectors.square.sandbox_data import (
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


class SquareError(Exception):
    """A Square API error: status and the `errors` entry Square would send."""

    def __init__(
        self, status: int, category: str, code: str, detail: str, field: str | None = None
    ):
        super().__init__(detail)
        self.status = status
        self.error = {"category": category, "code": code, "detail": detail}
        if field:
            self.error["field"] = field

    def body(self) -> bytes:
        return orjson.dumps({"errors": [self.error]})


def bad_request(detail: str, field: str | None = None, code: str = "INVALID_VALUE") -> SquareError:
    return SquareError(400, "INVALID_REQUEST_ERROR", code, detail, field)


class SquareMerchant:
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

    # -- reads -------------------------------------------------------------------------------
    def list_by_location(self, name: str, query: dict[str, str]) -> tuple[list[bytes], str | None]:
        """GET /v2/payments or /v2/refunds: one location (the main one when unnamed for
        payments), `begin_time` (created_at) defaulting to a year ago, `updated_at_begin_time`."""
        location = query.get("location_id")
        if location is None and name == "payments":
            location = self.locations[0]["id"]
        if location is not None and location not in {x["id"] for x in self.locations}:
            raise bad_request(f"Location `{location}` not found.", "location_id", "NOT_FOUND")
        begin = query.get("begin_time") or rfc3339(time.time() - 365 * DAY)
        end = query.get("end_time")
        limit = _limit(query.get("limit"), 100, 100)
        updated = CreatedRange(gte=_stamp(query.get("updated_at_begin_time")),
                               lte=_stamp(query.get("updated_at_end_time")))  # fmt: skip
        begin, end = _stamp(begin), _stamp(end)

        def where(attrs: Any) -> bool:
            created = attrs["created_at"]
            return (
                (location is None or attrs["location_id"] == location)
                and created >= begin
                and (end is None or created <= end)
            )

        sort = query.get("sort_field") or "CREATED_AT"
        return self._page(name, updated, where, sort, query.get("sort_order"), limit, query)

    def search_orders(self, body: dict[str, Any]) -> tuple[list[bytes], str | None]:
        """POST /v2/orders/search: 1-10 locations, date filter and sort on the same field."""
        wanted = body.get("location_ids") or []
        if not wanted or len(wanted) > 10:
            raise bad_request("Must provide between 1 and 10 location_ids.", "location_ids")
        known = {x["id"] for x in self.locations}
        missing = [x for x in wanted if x not in known]
        if missing:
            raise bad_request(f"Location `{missing[0]}` not found.", "location_ids", "NOT_FOUND")
        query = body.get("query") or {}
        flt = query.get("filter") or {}
        dates = flt.get("date_time_filter") or {}
        sort = query.get("sort") or {}
        sort_field = sort.get("sort_field") or "CREATED_AT"
        date_field = next(iter(dates), None)
        if date_field and date_field.upper() != sort_field:
            raise bad_request(
                f"The sort_field must match the date_time_filter field ({date_field}).",
                "query.sort.sort_field",
            )
        window = (dates.get(date_field) or {}) if date_field else {}
        lo, hi = _stamp(window.get("start_at")), _stamp(window.get("end_at"))
        states = set((flt.get("state_filter") or {}).get("states") or [])
        places = set(wanted)
        rng = CreatedRange(gte=lo, lte=hi) if date_field == "updated_at" else None
        other = date_field if date_field in ("created_at", "closed_at") else None

        def where(attrs: Any) -> bool:
            if attrs["location_id"] not in places:
                return False
            if states and attrs["state"] not in states:
                return False
            value = attrs[other] if other else None
            if other and value is None:
                return False
            return not other or ((lo is None or value >= lo) and (hi is None or value <= hi))

        limit = _limit(body.get("limit"), 500, 1000)
        return self._page("orders", rng, where, sort_field, sort.get("sort_order"), limit, body)

    def search_customers(self, body: dict[str, Any]) -> tuple[list[bytes], str | None]:
        """POST /v2/customers/search: `updated_at` / `created_at` windows, at most 100 a page."""
        flt = (body.get("query") or {}).get("filter") or {}
        updated = flt.get("updated_at") or {}
        created = flt.get("created_at") or {}
        lo, hi = _stamp(created.get("start_at")), _stamp(created.get("end_at"))

        def where(attrs: Any) -> bool:
            value = attrs["created_at"]
            return (lo is None or value >= lo) and (hi is None or value <= hi)

        rng = CreatedRange(gte=_stamp(updated.get("start_at")), lte=_stamp(updated.get("end_at")))
        sort = (body.get("query") or {}).get("sort") or {}
        field = "CREATED_AT" if sort.get("field") == "CREATED_AT" else "UPDATED_AT"
        limit = _limit(body.get("limit"), 100, 100)
        blobs, cursor = self._page("customers", rng, where, field, sort.get("order"), limit, body)
        self.last_count = None
        if body.get("count"):
            coll = self.collections["customers"]
            self.last_count = sum(
                1 for oid in coll.ids() if where(_attrs(coll, oid)) and _in(coll, oid, rng)
            )
        return blobs, cursor

    def search_catalog(self, body: dict[str, Any]) -> tuple[list[bytes], str | None]:
        """POST /v2/catalog/search: object types, `begin_time` on updated_at, deleted on request."""
        types = set(body.get("object_types") or ["ITEM", "ITEM_VARIATION"])
        deleted = bool(body.get("include_deleted_objects"))

        def where(attrs: Any) -> bool:
            return attrs["type"] in types and (deleted or not attrs["is_deleted"])

        rng = CreatedRange(gt=_stamp(body.get("begin_time")))
        limit = _limit(body.get("limit"), 100, 1000)
        names = [n for n, t in (("catalog_items", "ITEM"), ("catalog_variations", "ITEM_VARIATION"))
                 if t in types]  # fmt: skip
        if len(names) != 1:
            raise bad_request("The sandbox searches ITEM or ITEM_VARIATION, one at a time.")
        return self._page(names[0], rng, where, "UPDATED_AT", "DESC", limit, body)

    def _page(
        self,
        name: str,
        rng: CreatedRange | None,
        where: Callable[[Any], bool],
        sort_field: str,
        sort_order: str | None,
        limit: int,
        request: dict[str, Any],
    ) -> tuple[list[bytes], str | None]:
        coll = self.collections[name]
        after = _decode_cursor(request.get("cursor"))
        if sort_field.upper() == "UPDATED_AT" and (sort_order or "DESC").upper() == "DESC":
            blobs, more = coll.page(limit, starting_after=after, created=rng, where=where)
            last = orjson.loads(blobs[-1])["id"] if blobs and more else None
            return blobs, _encode_cursor(last)
        ids = [oid for oid in coll.ids() if where(_attrs(coll, oid)) and _in(coll, oid, rng)]
        key = "created_at" if sort_field.upper() == "CREATED_AT" else "updated_at"
        ids.sort(key=lambda oid: _attrs(coll, oid).get(key) or orjson.loads(coll.blob(oid))[key])
        if (sort_order or "DESC").upper() == "DESC":
            ids.reverse()
        start = ids.index(after) + 1 if after in ids else 0
        chosen = ids[start : start + limit]
        more = start + limit < len(ids)
        return [coll.blob(oid) for oid in chosen], _encode_cursor(chosen[-1] if more else None)

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
        return [coll.blob(oid) for oid in coll.ids()]

    def _location(self, fields: dict[str, Any]) -> dict[str, Any]:
        wanted = fields.pop("location_id", None)
        return next((x for x in self.locations if x["id"] == wanted), self.locations[0])

    def _event(self, kind: str, data_type: str, obj: dict[str, Any]) -> None:
        rng = rng_for(self.spec.seed, "event", len(self.events))
        data: dict[str, Any] = {"type": data_type, "id": obj["id"]}
        if kind.endswith(".deleted"):
            data["deleted"] = True
        elif data_type == "catalog_object":
            data["object"] = {"catalog_version": {"updated_at": obj["updated_at"]}}
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


def _attrs(coll: Collection, oid: str) -> dict[str, Any]:
    return coll._attrs.get(oid, {})


def _in(coll: Collection, oid: str, rng: CreatedRange | None) -> bool:
    if rng is None:
        return True
    value = coll._created[oid]
    return (
        (rng.gte is None or value >= rng.gte)
        and (rng.gt is None or value > rng.gt)
        and (rng.lte is None or value <= rng.lte)
        and (rng.lt is None or value < rng.lt)
    )


def _stamp(value: Any) -> str | None:
    """An RFC 3339 time in the stored form (UTC, milliseconds), so strings compare as times."""
    if value in (None, ""):
        return None
    from connectors.common.times import parse_iso

    try:
        return rfc3339(parse_iso(str(value)))
    except ValueError:
        raise bad_request(f"Invalid RFC 3339 time `{value}`.", code="INVALID_TIME") from None


def _limit(value: Any, default: int, maximum: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid limit `{value}`.", "limit") from None
    if number < 1:
        raise bad_request(f"Invalid limit `{value}`: must be at least 1.", "limit")
    return min(number, maximum)


def _encode_cursor(object_id: str | None) -> str | None:
    return base64.urlsafe_b64encode(object_id.encode()).decode() if object_id else None


def _decode_cursor(cursor: Any) -> str | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(str(cursor).encode()).decode()
    except ValueError:
        raise bad_request(f"Invalid cursor `{cursor}`.", "cursor", "INVALID_CURSOR") from None
