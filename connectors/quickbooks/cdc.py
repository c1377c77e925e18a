"""Deletions from QuickBooks' change data capture, read in windows under its 1000-object cap.

CDC takes only a lower bound (`changedSince`) and answers every entity changed since, up to 1000
objects, oldest change first. A full answer may have been cut short: the next window starts at
the newest change it held (ids at that second skipped), until an answer comes back under the cap.
More than 1000 changes in one second cannot be read past: the read then says so (`stuck`), and
the entity is read in full instead, the rows it no longer lists marked deleted.
Deleted entities come as `{"Id", "status": "Deleted", "MetaData"}`; the rest of what CDC
returns is left to the query, which reads current state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from connectors.base import Page
from connectors.common.cursors import Boundary
from connectors.common.times import iso_utc, parse_iso
from connectors.errors import FatalAPIError
from connectors.quickbooks.entities import CDC_CAP, QuickBooksResource
from connectors.quickbooks.query import qbo_time


class _Getter(Protocol):
    def get(self, path: str, params: dict[str, str], *, what: str) -> dict[str, Any]: ...


def deletions(
    http: _Getter,
    res: QuickBooksResource,
    mark: Boundary,
    now: int,
    *,
    what: str,
    stuck: list[bool] | None = None,
) -> Iterator[Page]:
    """Pages of `res` entities deleted since `mark` (advanced in place to the newest change);
    True is appended to `stuck` when more changes than one answer holds share one second."""
    if mark.value is None:
        return
    while True:
        before = Boundary(mark.value, set(mark.ids))
        params = {"entities": res.entity, "changedSince": qbo_time(before.value)}
        changed = _objects(http.get("cdc", params, what=what), res.entity, what)
        records: list[dict[str, Any]] = []
        gone: list[str | None] = []
        for obj in changed:
            object_id, stamp = str(obj.get("Id")), _stamp(obj)
            if before.taken(stamp, object_id):
                continue
            mark.see(stamp, object_id)
            if str(obj.get("status", "")).lower() == "deleted":
                records.append(obj)
                gone.append(iso_utc(stamp if stamp is not None else now))
        notes: list[str] = []
        cut_short = mark.value == before.value and len(changed) >= CDC_CAP
        if cut_short:
            notes.append(
                f"quickbooks {what}: more than {CDC_CAP} changes at {qbo_time(before.value)}: "
                "full re-read (what it no longer lists is marked deleted)"
            )
            if stuck is not None:
                stuck.append(True)
        yield Page(records=records, deleted_at=gone if records else None, notes=notes)
        if len(changed) < CDC_CAP or cut_short:
            return


def _objects(body: dict[str, Any], entity: str, what: str) -> list[dict[str, Any]]:
    responses = body.get("CDCResponse")
    if not isinstance(responses, list):
        raise FatalAPIError(
            f"quickbooks {what}: the CDC answer has no CDCResponse", provider="quickbooks"
        )
    found: list[dict[str, Any]] = []
    for response in responses:
        for query in (response or {}).get("QueryResponse") or []:
            found.extend(o for o in (query or {}).get(entity) or [] if isinstance(o, dict))
    return found


def _stamp(obj: dict[str, Any]) -> int | None:
    stamp = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    return int(parse_iso(stamp)) if stamp else None
