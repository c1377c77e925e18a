"""One Stripe account's objects and events, and every change to them (each recording an event)."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from connectors.sandbox.collection import Collection, CreatedRange, UnknownCursor
from connectors.sandbox.seeding import SeedSpec, rng_for
from connectors.stripe.sandbox.api import ApiError, ListQuery, missing, type_matcher
from connectors.stripe.sandbox.events import event_type, make_event, previous_attributes
from connectors.stripe.sandbox.resources import EVENTS_RETENTION_SECONDS, RESOURCES
from connectors.stripe.sandbox.seed import seed_account
from connectors.stripe.sandbox.values import make_live_id
from connectors.stripe.sandbox.writes import merge, new_object

Obj = dict[str, Any]


class StripeAccount:
    """The state behind one API key (or one connected account)."""

    def __init__(self, spec: SeedSpec, connect_id: str | None = None) -> None:
        self.spec = spec
        self.connect_id = connect_id
        self.rng = rng_for(spec.seed, "live")
        self.collections = {
            name: Collection(("id", *info.filters)) for name, info in RESOURCES.items()
        }
        self.deleted: dict[str, set[str]] = {name: set() for name in RESOURCES}
        for name, objects in seed_account(spec):
            self.collections[name].load(objects)
        self.idempotency: dict[str, tuple[bytes, int, bytes]] = {}
        self.delivered: dict[str, set[str]] = {}
        self.clock: Callable[[], float] = time.time

        self._sequence = 0

    def now(self) -> int:
        """Unix seconds on the account's clock."""
        return int(self.clock())

    def new_id(self, resource: str) -> str:
        """A fresh id that sorts after every id this account made before."""
        self._sequence = max(self._sequence + 1, int(self.clock() * 1_000_000))
        return make_live_id(self.rng, resource, self._sequence)

    # -- reads ----------------------------------------------------------------------------------
    def list_body(self, resource: str, query: ListQuery, url: str) -> bytes:
        """A Stripe list object, serialized."""
        collection = self.collections[resource]
        created = query.created
        if resource == "events":
            oldest = self.now() - EVENTS_RETENTION_SECONDS
            asked = created or CreatedRange()
            floor = oldest if asked.gte is None else max(oldest, asked.gte)
            created = CreatedRange(gte=floor, lte=asked.lte, gt=asked.gt, lt=asked.lt)
        where = _where(resource, query)
        info = RESOURCES[resource]
        try:
            blobs, more = collection.page(
                query.limit,
                starting_after=query.starting_after,
                ending_before=query.ending_before,
                created=created,
                where=where,
            )
        except UnknownCursor as exc:
            param = "starting_after" if query.starting_after else "ending_before"
            raise missing(info.object, str(exc.args[0]), param=param, status=400) from None
        head = b'{"object":"list","url":' + orjson.dumps(url) + b',"has_more":'
        head += b"true" if more else b"false"
        return head + b',"data":[' + b",".join(blobs) + b"]}"

    def retrieve(self, resource: str, object_id: str) -> bytes:
        """One object's JSON; a deleted stub for deleted ones; 404 resource_missing otherwise."""
        blob = self.collections[resource].blob(object_id)
        if blob is not None:
            return blob
        info = RESOURCES[resource]
        if object_id in self.deleted[resource]:
            return orjson.dumps({"id": object_id, "object": info.object, "deleted": True})
        raise missing(info.object, object_id)

    def get(self, resource: str, object_id: str) -> Obj:
        obj = self.collections[resource].get(object_id)
        if obj is None:
            raise missing(RESOURCES[resource].object, object_id)
        return obj

    # -- writes ---------------------------------------------------------------------------------
    def create(self, resource: str, fields: Obj, request: Obj | None = None) -> Obj:
        """A new object from `fields`, recording its creation event(s)."""
        fields = dict(fields)
        if resource == "refunds":
            return self._refund(fields, request)
        if resource == "events":
            raise ApiError(400, "Events cannot be created", param="type")
        now = self.now()
        object_id = fields.pop("id", None) or self.new_id(resource)
        if object_id in self.collections[resource]:
            raise ApiError(400, f"Object already exists with id '{object_id}'", param="id")
        obj = new_object(resource, object_id, fields, now, self.rng)
        self.collections[resource].put(obj)
        self.record(resource, "created", obj, request=request)
        return obj

    def update(self, resource: str, object_id: str, fields: Obj, request: Obj | None = None) -> Obj:
        """Apply `fields`; records `<type>.updated` with previous_attributes when anything changed."""
        before = self.get(resource, object_id)
        after = merge(before, fields)
        if resource == "products" and after != before:
            after["updated"] = self.now()
        previous = previous_attributes(before, after)
        if previous:
            self.collections[resource].put(after)
            self.record(resource, "updated", after, previous=previous, request=request)
        return after

    def delete(self, resource: str, object_id: str, request: Obj | None = None) -> Obj:
        """Remove an object, recording `<type>.deleted`; returns Stripe's deleted stub."""
        obj = self.collections[resource].delete(object_id)
        if obj is None:
            raise missing(RESOURCES[resource].object, object_id)
        self.deleted[resource].add(object_id)
        self.record(resource, "deleted", obj, request=request)
        return {"id": object_id, "object": RESOURCES[resource].object, "deleted": True}

    def touch(
        self, resource: str, count: int, seed: int | None = None, fields: Obj | None = None
    ) -> list[str]:
        """Update `count` random objects, each recording an event: with `fields` (which may be
        fields Stripe does not send yet: a provider starting to send one), else metadata
        `sandbox_touch`."""
        ids = list(self.collections[resource].ids())
        rng = random.Random(seed) if seed is not None else self.rng
        chosen = rng.sample(ids, min(count, len(ids)))
        change = fields or {"metadata": {"sandbox_touch": str(self.now())}}
        for object_id in chosen:
            self.update(resource, object_id, change)
        return chosen

    def record(
        self,
        resource: str,
        action: str,
        obj: Obj,
        *,
        previous: Obj | None = None,
        request: Obj | None = None,
    ) -> Obj | None:
        """Store the event for a change (none for resources Stripe sends no events for)."""
        kind = event_type(resource, action, obj)
        if kind is None:
            return None
        request = request or {}
        event = make_event(
            self.new_id("events"),
            kind,
            obj,
            self.now(),
            previous=previous,
            account=self.connect_id,
            request_id=request.get("id"),
            idempotency_key=request.get("idempotency_key"),
        )
        self.collections["events"].put(event)
        return event

    def _refund(self, fields: Obj, request: Obj | None) -> Obj:
        charge_id = fields.get("charge")
        if not charge_id and fields.get("payment_intent"):
            intent = self.get("payment_intents", fields["payment_intent"])
            charge_id = intent.get("latest_charge")
        if not charge_id:
            raise ApiError(
                400, "Missing required param: charge.", param="charge", code="parameter_missing"
            )
        charge = self.get("charges", charge_id)
        left = charge["amount"] - charge["amount_refunded"]
        amount = fields.get("amount", left)
        if left <= 0:
            raise ApiError(
                400,
                f"Charge {charge_id} has already been refunded.",
                code="charge_already_refunded",
            )
        if not isinstance(amount, int) or not 0 < amount <= left:
            raise ApiError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
            )
        now = self.now()
        refund = new_object("refunds", self.new_id("refunds"), {}, now, self.rng) | {
            "amount": amount,
            "charge": charge_id,
            "currency": charge["currency"],
            "payment_intent": charge.get("payment_intent"),
            "customer": charge.get("customer"),
            "reason": fields.get("reason"),
            "metadata": fields.get("metadata") or {},
            "status": "succeeded",
        }
        self.collections["refunds"].put(refund)
        self.record("refunds", "created", refund, request=request)
        refunds = charge.get("refunds") or {"object": "list", "data": [], "has_more": False}
        updated = {
            **charge,
            "amount_refunded": charge["amount_refunded"] + amount,
            "refunded": charge["amount_refunded"] + amount >= charge["amount"],
            "refunds": {
                **refunds,
                "data": [refund, *refunds.get("data", [])],
                "total_count": len(refunds.get("data", [])) + 1,
            },
        }
        self.collections["charges"].put(updated)
        previous = previous_attributes(charge, updated)
        self.record("charges", "refunded", updated, previous=previous, request=request)
        return refund


def _where(resource: str, query: ListQuery) -> Callable[[Mapping[str, Any]], bool] | None:
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    filters = dict(query.filters)
    if resource == "subscriptions":
        status = filters.pop("status", None)
        if status is None:
            checks.append(lambda a: a.get("status") != "canceled")
        elif status != "all":
            checks.append(functools.partial(_equals, "status", status))
    for name, value in filters.items():
        if resource == "events" and name == "type":
            match = type_matcher(str(value))
            checks.append(functools.partial(_type_matches, [match]))
        else:
            checks.append(functools.partial(_equals, name, value))
    if query.types is not None:
        checks.append(functools.partial(_type_matches, [type_matcher(t) for t in query.types]))
    if not checks:
        return None
    return lambda attrs: all(check(attrs) for check in checks)


def _equals(name: str, value: Any, attrs: Mapping[str, Any]) -> bool:
    return attrs.get(name) == value


def _type_matches(matchers: list[Callable[[str], bool]], attrs: Mapping[str, Any]) -> bool:
    return any(m(attrs.get("type") or "") for m in matchers)
