"""Drift: fields the provider sends that no spec maps.

`field_drift` reads a bounded sample of `raw` (the newest `sample` versions per resource and
venue) and lists the fields no spec of the venue covers (see mappings.readpaths), with how many
sampled records carry each and an example. `new_field_notes` is the sync's side: it compares the
fields a read saw with those the integration's resource carried before (kept in the store) and
says which new ones no spec maps, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

import orjson

from mappings.model import Spec
from mappings.readpaths import covers, specs_read_paths
from mappings.specset import SpecSet
from pipelines.fields import FieldPath, example, field_text, record_fields
from pipelines.landing import raw_table_name
from warehouse.destinations import Warehouse

if TYPE_CHECKING:
    from warehouse.store import Integration, Store

# the newest raw versions per resource and venue that drift reads by default
DEFAULT_SAMPLE = 1000
# new fields named in one sync log note; the rest are counted
NAMED_IN_NOTE = 10


@dataclass
class DriftField:
    """One field of one provider resource that no spec maps."""

    provider: str
    resource: str
    field: str
    records: int  # sampled records that carry it
    sampled: int  # records sampled (of the venues where it was seen)
    example: str
    venues: list[str] = dataclass_field(default_factory=list)


def field_drift(
    warehouse: Warehouse,
    spec_set: SpecSet,
    resources: Iterable[tuple[str, str]],
    *,
    venue_id: str | None = None,
    sample: int = DEFAULT_SAMPLE,
) -> list[DriftField]:
    """The unmapped fields of these (provider, resource)s, most carried first."""
    found: list[DriftField] = []
    for provider, resource in sorted(set(resources)):
        table = raw_table_name(provider, resource)
        if not warehouse.table_exists("raw", table):
            continue
        by_field: dict[str, DriftField] = {}
        for venue, records in _newest(warehouse, table, venue_id, sample).items():
            paths = specs_read_paths(spec_set.for_resource(provider, resource, venue_id=venue))
            for path, (count, value) in _carried(records).items():
                if covers(paths, path):
                    continue
                text = field_text(path)
                entry = by_field.setdefault(
                    text, DriftField(provider, resource, text, 0, 0, example(value))
                )
                entry.records += count
                entry.sampled += len(records)
                entry.venues.append(venue)
        found += sorted(by_field.values(), key=lambda f: (-f.records, f.field))
    return found


def _carried(records: Sequence[dict[str, Any]]) -> dict[FieldPath, tuple[int, Any]]:
    """Per field: how many of the records carry it, and one value."""
    counts: dict[FieldPath, tuple[int, Any]] = {}
    for record in records:
        for path, value in record_fields([record]).items():
            count, first = counts.get(path, (0, value))
            counts[path] = (count + 1, first)
    return counts


def _newest(
    warehouse: Warehouse, table: str, venue_id: str | None, sample: int
) -> dict[str, list[dict[str, Any]]]:
    """The newest version of the objects among the `sample` newest raw rows of each venue.

    The ranking reads only the narrow key columns; records are fetched for the chosen rows."""
    mark = warehouse.placeholder
    where, params = ("where venue_id = " + mark, [venue_id]) if venue_id else ("", [])
    sql = (
        f'select r.venue_id, r.id, r.record from raw."{table}" r join ('
        " select venue_id, id, _synced_at from ("
        "  select venue_id, id, _synced_at, row_number() over"
        "  (partition by venue_id order by _synced_at desc, id) as n"
        f'  from raw."{table}" {where}) ranked'
        f" where n <= {int(sample)}"
        ") newest on r.venue_id = newest.venue_id and r.id = newest.id"
        " and r._synced_at = newest._synced_at"
        " order by r.venue_id, r._synced_at desc"
    )
    by_venue: dict[str, dict[str, dict[str, Any]]] = {}
    for venue, object_id, record in warehouse.query(sql, params):
        objects = by_venue.setdefault(venue, {})
        if object_id not in objects and record is not None:
            objects[object_id] = record if isinstance(record, dict) else orjson.loads(record)
    return {venue: list(objects.values()) for venue, objects in by_venue.items()}


def new_field_notes(
    store: Store,
    integration: Integration,
    resource: str,
    fields: Iterable[FieldPath],
    specs: Sequence[Spec],
    run_id: str | None,
) -> list[str]:
    """Remember the fields a read of the integration's resource saw; a note for those seen for
    the first time that no spec maps. The first read of a resource notes how many it sends
    unmapped; later reads name each new one, once."""
    seen = {field_text(path): path for path in fields}
    known = store.seen_fields(integration.id, resource)
    new = {text: path for text, path in seen.items() if text not in known}
    if not new:
        return []
    store.remember_fields(integration.id, resource, new, run_id)
    paths = specs_read_paths(specs)
    unmapped = sorted(text for text, path in new.items() if not covers(paths, path))
    if not unmapped:
        return []
    source = f"{integration.provider} {resource}"
    if not known:
        return [
            f"{len(unmapped)} fields from {source} are not mapped by any spec "
            "(see intsync mappings drift)"
        ]
    named = ", ".join(unmapped[:NAMED_IN_NOTE])
    more = f" and {len(unmapped) - NAMED_IN_NOTE} more" if len(unmapped) > NAMED_IN_NOTE else ""
    plural = "s" if len(unmapped) > 1 else ""
    return [
        f"new field{plural} from {source} not mapped by any spec: {named}{more} "
        "(see intsync mappings drift)"
    ]
