"""One QuickBooks company (realm) in the sandbox: its entities, deletions and change log."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.common.times import parse_iso
from connectors.quickbooks.entities import (
    CDC_CAP,
    CDC_RETENTION_SECONDS,
    NAME_LISTS,
    TRANSACTIONS,
)
from connectors.quickbooks.sandbox.query import Condition, Query
from connectors.quickbooks.sandbox.seed import seed_company, stamp
from connectors.quickbooks.sandbox.store import EntityStore, updated_of
from connectors.sandbox.seeding import SeedSpec, rng_for

ENTITIES = ("Customer", "Invoice", "Payment", "SalesReceipt", "Item", "Account")
Obj = dict[str, Any]


class ApiFault(Exception):
    """An answer in QuickBooks' `Fault` form."""

    def __init__(self, status: int, message: str, detail: str, code: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.message, self.detail, self.code, self.kind = (
            status, message, detail, code, kind
        )  # fmt: skip

    def body(self) -> Obj:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        return {"Fault": {"Error": [error], "type": self.kind}, "time": stamp(time.time())}


def validation(detail: str, code: str = "4000") -> ApiFault:
    """QuickBooks' 400 ValidationFault / QueryParserError."""
    return ApiFault(400, "Error parsing query" if code == "4000" else "Invalid", detail, code,
                    "ValidationFault")  # fmt: skip


def not_found(entity: str, object_id: str) -> ApiFault:
    """QuickBooks' answer for a read of a missing or deleted entity (400, code 610)."""
    return ApiFault(400, "Object Not Found",
                    f"Object Not Found : Something you're trying to use has been made inactive. "
                    f"Check the fields with accounts, customers, items, vendors or employees "
                    f"({entity} {object_id}).", "610", "ValidationFault")  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One entry of the change log webhooks are made from."""

    entity: str
    object_id: str
    operation: str  # Create, Update, Delete
    at: int


class Company:
    """State behind one realm id."""

    def __init__(self, realm_id: str, spec: SeedSpec) -> None:
        self.realm_id = realm_id
        self.stores = {name: EntityStore() for name in ENTITIES}
        for entity, objects in seed_company(spec):
            self.stores[entity].load(objects)
        self.tombstones: dict[str, list[tuple[int, str]]] = {name: [] for name in ENTITIES}
        self.changes: list[Change] = []
        self.delivered: dict[str, int] = {}
        self.rng = rng_for(spec.seed, "live")
        self.clock: Callable[[], float] = time.time
        self._next = {
            name: max((int(i) for i in self.stores[name].ids() if i.isdigit()), default=0)
            for name in ENTITIES
        }
        txn = max(self._next[name] for name in TRANSACTIONS)
        for name in TRANSACTIONS:
            self._next[name] = txn

    # -- reads ----------------------------------------------------------------------------------
    def query(self, query: Query) -> bytes:
        """The body of a query answer."""
        store = self._store(query.entity)
        now = stamp(self.clock()).encode()
        if query.entity in NAME_LISTS and not any(c.field == "active" for c in query.conditions):
            query.conditions.append(Condition("active", "in", frozenset({True})))
        if query.count:
            total = store.count(query)
            return b'{"QueryResponse":{"totalCount":%d},"time":"%s"}' % (total, now)
        blobs = store.select(query)
        if query.fields is not None:
            blobs = [sparse(blob, query.fields) for blob in blobs]
        if not blobs:
            return b'{"QueryResponse":{},"time":"%s"}' % now
        return b'{"QueryResponse":{"%s":[%s],"startPosition":%d,"maxResults":%d},"time":"%s"}' % (
            query.entity.encode(), b",".join(blobs), query.start, len(blobs), now
        )  # fmt: skip

    def read(self, entity: str, object_id: str) -> bytes:
        """The body of a single-entity read."""
        blob = self._store(entity).blob(object_id)
        if blob is None:
            raise not_found(entity, object_id)
        now = stamp(self.clock()).encode()
        return b'{"%s":%s,"time":"%s"}' % (entity.encode(), blob, now)

    def cdc(self, entities: list[str], since: float) -> bytes:
        """Changes (current objects and deletions) since `since`, oldest first, capped."""
        if since < self.clock() - CDC_RETENTION_SECONDS:
            raise validation("changedSince must be within the last 30 days", code="4001")
        picked: list[tuple[int, str, str, bool]] = []
        for entity in entities:
            store = self._store(entity)
            picked += [(t, entity, oid, False) for t, oid in store.changed_since(since)]
            picked += [(t, entity, oid, True) for t, oid in self.tombstones[entity] if t >= since]
        picked.sort(key=lambda p: (p[0], p[1], int(p[2]) if p[2].isdigit() else 0))
        by_entity: dict[str, list[bytes]] = {name: [] for name in entities}
        for t, entity, oid, gone in picked[:CDC_CAP]:
            if gone:
                stub = {"domain": "QBO", "status": "Deleted", "Id": oid,
                        "MetaData": {"LastUpdatedTime": stamp(t)}}  # fmt: skip
                by_entity[entity].append(orjson.dumps(stub))
            else:
                by_entity[entity].append(self.stores[entity].blob(oid) or b"{}")
        parts = [
            b'{"%s":[%s],"startPosition":1,"maxResults":%d}' % (e.encode(), b",".join(b), len(b))
            for e, b in by_entity.items()
        ]
        now = stamp(self.clock()).encode()
        return b'{"CDCResponse":[{"QueryResponse":[%s]}],"time":"%s"}' % (b",".join(parts), now)

    # -- changes --------------------------------------------------------------------------------
    def create(self, entity: str, fields: Obj) -> Obj:
        """A new entity from `fields`, stamped now."""
        store = self._store(entity)
        now = int(self.clock())
        object_id = str(fields.get("Id") or self._new_id(entity))
        obj = {**fields, "Id": object_id, "SyncToken": "0", "domain": "QBO", "sparse": False,
               "MetaData": {"CreateTime": stamp(now), "LastUpdatedTime": stamp(now)}}  # fmt: skip
        store.put(obj)
        self.changes.append(Change(entity, object_id, "Create", now))
        return obj

    def update(self, entity: str, object_id: str, fields: Obj) -> Obj:
        """Apply `fields` (top-level keys), bumping SyncToken and LastUpdatedTime."""
        store = self._store(entity)
        obj = store.get(object_id)
        if obj is None:
            raise not_found(entity, object_id)
        now = max(int(self.clock()), updated_of(obj))
        obj.update(fields)
        obj["SyncToken"] = str(int(obj.get("SyncToken") or 0) + 1)
        obj["MetaData"] = {**obj["MetaData"], "LastUpdatedTime": stamp(now)}
        store.put(obj)
        self.changes.append(Change(entity, object_id, "Update", now))
        return obj

    def delete(self, entity: str, object_id: str) -> Obj:
        """Hard-delete: gone from queries and reads, a `Deleted` stub in CDC."""
        obj = self._store(entity).delete(object_id)
        if obj is None:
            raise not_found(entity, object_id)
        now = int(self.clock())
        self.tombstones[entity].append((now, object_id))
        self.changes.append(Change(entity, object_id, "Delete", now))
        return {"Id": object_id, "status": "Deleted", "domain": "QBO"}

    def touch(self, entity: str, count: int, seed: int | None = None) -> list[str]:
        """Update `count` random entities (PrivateNote or Notes changed)."""
        ids = self._store(entity).ids()
        rng = random.Random(seed) if seed is not None else self.rng
        chosen = rng.sample(ids, min(count, len(ids)))
        note = f"touched {int(self.clock())}"
        key = "PrivateNote" if entity in TRANSACTIONS else "Notes"
        for object_id in chosen:
            self.update(entity, object_id, {key: note})
        return chosen

    def _new_id(self, entity: str) -> int:
        group = TRANSACTIONS if entity in TRANSACTIONS else {entity}
        value = max(self._next[name] for name in group) + 1
        for name in group:
            self._next[name] = value
        return value

    def _store(self, entity: str) -> EntityStore:
        store = self.stores.get(entity)
        if store is None:
            raise validation(f"Error parsing query: unknown entity {entity!r}")
        return store


def sparse(blob: bytes, fields: tuple[str, ...]) -> bytes:
    """An entity cut to the fields a query names (their case as QuickBooks spells them), with
    the ones QuickBooks always sends, marked `sparse`."""
    full = orjson.loads(blob)
    wanted = {name.lower() for name in fields} | {"id", "synctoken", "metadata", "domain"}
    kept = {key: value for key, value in full.items() if key.lower() in wanted}
    return orjson.dumps({**kept, "sparse": True})


def parse_since(value: str) -> float:
    """`changedSince` as unix seconds, or a ValidationFault."""
    try:
        return parse_iso(value)
    except ValueError:
        raise validation(f"changedSince {value!r} is not a date-time", code="4001") from None
