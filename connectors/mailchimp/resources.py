"""The Mailchimp resources intsync reads, and the record facts the connector relies on."""

from __future__ import annotations

from typing import Any

from connectors.common.times import iso_utc, parse_iso

PAGE_SIZE = 1000  # Mailchimp's largest `count`
RESOURCES = ("lists", "members", "campaigns", "reports")
# Campaign reports keep changing (opens, clicks) after the send: incremental reads take again
# every report sent within this many days.
REPORT_LOOKBACK_SECONDS = 30 * 86_400
# Campaigns whose send_time is a send that happened: a scheduled one's is in the future, and a
# cursor moved there would pass over drafts sent before it.
SENT_STATUSES = frozenset({"sending", "sent"})
# Members no longer in the audience: their rows stay, with `_deleted_at`.
GONE_STATUSES = frozenset({"archived"})

# Each list response holds its records under this key.
LIST_KEYS = {
    "lists": "lists",
    "members": "members",
    "campaigns": "campaigns",
    "reports": "reports",
}


def member_uid(list_id: str, member_id: str) -> str:
    """`<list_id>:<member id>`: a member's id (MD5 of the email) is unique per audience only."""
    return f"{list_id}:{member_id}"


def with_uid(resource: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record with `uid`, the connector's key for it (see `MailchimpConnector.id_key`)."""
    if resource == "members":
        record["uid"] = member_uid(str(record.get("list_id")), str(record.get("id")))
    else:
        record["uid"] = record.get("id")
    return record


def mark_time(record: dict[str, Any], field: str) -> Any:
    """The record's `field` as a cursor may take it: None for a send_time not yet sent."""
    if field == "send_time" and record.get("status", "sent") not in SENT_STATUSES:
        return None
    return record.get(field)


def gone_at(record: dict[str, Any]) -> str | None:
    """When an archived member left the audience (its `last_changed`), else None."""
    if record.get("status") not in GONE_STATUSES:
        return None
    changed = record.get("last_changed")
    return iso_utc(parse_iso(changed)) if changed else iso_utc(0)


def mailchimp_time(unix_seconds: float) -> str:
    """Unix seconds as Mailchimp writes times, `2024-03-01T10:00:00+00:00`."""
    return iso_utc(unix_seconds).replace("Z", "+00:00")
