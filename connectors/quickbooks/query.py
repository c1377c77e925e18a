"""The query-language text the connector sends, and QuickBooks' time literals."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.quickbooks.entities import NAME_LISTS

ORDER = "ORDERBY Metadata.LastUpdatedTime DESC"


def qbo_time(unix_seconds: float) -> str:
    """`1700000000` -> `2023-11-14T22:13:20-00:00`, the form QuickBooks filters take."""
    return datetime.fromtimestamp(int(unix_seconds), UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def select_page(
    entity: str,
    since: float | None,
    start: int,
    size: int,
    created: tuple[float, float] | None = None,
) -> str:
    """`select *` newest first, from `since` (inclusive; None: everything), 1-based `start`;
    `created` (start, end) keeps only what was created in [start, end). Inactive entities of
    name lists are read too."""
    conditions = _every_state(entity)
    if since is not None:
        conditions.append(f"Metadata.LastUpdatedTime >= '{qbo_time(since)}'")
    if created is not None:
        conditions.append(f"Metadata.CreateTime >= '{qbo_time(created[0])}'")
        conditions.append(f"Metadata.CreateTime < '{qbo_time(created[1])}'")
    where = f" where {' and '.join(conditions)}" if conditions else ""
    return f"select * from {entity}{where} {ORDER} STARTPOSITION {start} MAXRESULTS {size}"


def select_count(entity: str) -> str:
    """`select count(*) from <Entity>`: what QuickBooks says exists, inactive entities too."""
    conditions = _every_state(entity)
    where = f" where {' and '.join(conditions)}" if conditions else ""
    return f"select count(*) from {entity}{where}"


def _every_state(entity: str) -> list[str]:
    """The condition that makes a name list's query answer its inactive entities too (a
    customer made inactive is one QuickBooks shows as deleted; it keeps its history)."""
    return ["Active IN (true, false)"] if entity in NAME_LISTS else []
