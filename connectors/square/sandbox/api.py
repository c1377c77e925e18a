"""Square's list and search semantics over a merchant's collections: filters, sorts, cursors."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import orjson

from connectors.sandbox.collection import Collection, CreatedRange, UnknownCursor
from connectors.sandbox.seeding import DAY
from connectors.square.sandbox.seed import rfc3339


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


class SquareReads:
    """GET /v2/payments and /v2/refunds, and the orders, customers and catalog searches."""

    locations: list[dict[str, Any]]
    collections: dict[str, Collection]
    last_count: int | None

    def list_by_location(self, name: str, query: dict[str, str]) -> tuple[list[bytes], str | None]:
        """GET /v2/payments or /v2/refunds: one location (the main one when unnamed for
        payments), `begin_time` (created_at) defaulting to a year ago, `updated_at_begin_time`."""
        location = query.get("location_id")
        if location is None and name == "payments":
            location = self.locations[0]["id"]
        if location is not None and location not in {x["id"] for x in self.locations}:
            raise bad_request(f"Location `{location}` not found.", "location_id", "NOT_FOUND")
        since = query.get("begin_time") or rfc3339(time.time() - 365 * DAY)
        # ListPayments and ListRefunds document that a limit above 100 gives at most 100
        limit = _limit(query.get("limit"), 100, 100, above="cap")
        updated = CreatedRange(gte=_stamp(query.get("updated_at_begin_time")),
                               lte=_stamp(query.get("updated_at_end_time")))  # fmt: skip
        begin, end = _stamp(since), _stamp(query.get("end_time"))

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
            if not other:
                return True
            value = attrs[other]
            return value is not None and (lo is None or value >= lo) and (hi is None or value <= hi)

        limit = _limit(body.get("limit"), 500, 1000, above="refuse")
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
        limit = _limit(body.get("limit"), 100, 100, above="refuse")
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
        # SearchCatalogObjects ignores a limit that is zero, negative or above 1,000
        limit = _limit(body.get("limit"), 100, 1000, above="ignore", below="ignore")
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
        if after is not None and after not in coll:
            raise _unknown_cursor(request.get("cursor"))
        if sort_field.upper() == "UPDATED_AT" and (sort_order or "DESC").upper() == "DESC":
            try:
                blobs, more = coll.page(limit, starting_after=after, created=rng, where=where)
            except UnknownCursor:
                raise _unknown_cursor(request.get("cursor")) from None
            last = orjson.loads(blobs[-1])["id"] if blobs and more else None
            return blobs, _encode_cursor(last)
        ids = [oid for oid in coll.ids() if where(_attrs(coll, oid)) and _in(coll, oid, rng)]
        key = "created_at" if sort_field.upper() == "CREATED_AT" else "updated_at"
        ids.sort(key=lambda oid: _attrs(coll, oid).get(key) or orjson.loads(coll.stored(oid))[key])
        if (sort_order or "DESC").upper() == "DESC":
            ids.reverse()
        if after is not None and after not in ids:
            raise _unknown_cursor(request.get("cursor"))
        start = ids.index(after) + 1 if after is not None else 0
        chosen = ids[start : start + limit]
        more = start + limit < len(ids)
        return [coll.stored(oid) for oid in chosen], _encode_cursor(chosen[-1] if more else None)


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


def _limit(value: Any, default: int, maximum: int, *, above: str, below: str = "refuse") -> int:
    """The page size asked for, as each endpoint documents it: a limit above `maximum` is
    capped, refused (VALUE_TOO_HIGH) or ignored (the default used); one below 1 refused
    (VALUE_TOO_LOW) or ignored."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid limit `{value}`: expected an integer.", "limit") from None
    if number < 1:
        if below == "ignore":
            return default
        raise bad_request(f"`limit` must be at least 1, got {number}.", "limit", "VALUE_TOO_LOW")
    if number > maximum:
        if above == "refuse":
            raise bad_request(
                f"`limit` must be at most {maximum}, got {number}.", "limit", "VALUE_TOO_HIGH"
            )
        return default if above == "ignore" else maximum
    return number


def _unknown_cursor(cursor: Any) -> SquareError:
    return bad_request(f"Invalid cursor `{cursor}`.", "cursor", "INVALID_CURSOR")


def _encode_cursor(object_id: str | None) -> str | None:
    return base64.urlsafe_b64encode(object_id.encode()).decode() if object_id else None


def _decode_cursor(cursor: Any) -> str | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(str(cursor).encode()).decode()
    except ValueError:
        raise _unknown_cursor(cursor) from None
