"""Deterministic Mailchimp sandbox objects: audiences with their own merge fields, members,
campaigns and their reports."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from connectors.mailchimp.resources import mailchimp_time
from connectors.sandbox.seeding import SeedSpec, random_token, rng_for, spread_times

SEEDABLE = ("lists", "members", "campaigns")
DEFAULT_COUNTS = {"lists": 3, "members": 3000, "campaigns": 12}
FIRST = ("Ann", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea")
LAST = ("Moss", "Nash", "Oyelaran", "Park", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Vance")
TIERS = ("GA", "VIP", "Backstage", "Early Bird")
STATUSES = (
    ("subscribed", 80),
    ("unsubscribed", 9),
    ("cleaned", 4),
    ("pending", 4),
    ("archived", 3),
)
TAGS = ("season-pass", "newsletter", "festival-2026", "member", "donor")
# Each audience's own merge fields, by position: audience 1 keeps a ticket tier in MMERGE5.
MERGE_SETS = (
    ("FNAME", "LNAME", "PHONE"),
    ("FNAME", "LNAME", "MMERGE5"),
    ("FNAME", "LNAME", "COMPANY", "BIRTHDAY"),
)


def member_id(email: str) -> str:
    """Mailchimp's member id: the MD5 of the lower-cased address."""
    return hashlib.md5(email.strip().lower().encode()).hexdigest()  # noqa: S324 - an id


def merge_fields_of(list_index: int) -> tuple[str, ...]:
    """The merge tags of the audience at `list_index`."""
    return MERGE_SETS[list_index % len(MERGE_SETS)]


def seed_lists(spec: SeedSpec) -> list[dict[str, Any]]:
    """The account's audiences."""
    counts = {**DEFAULT_COUNTS, **spec.counts}
    rng = rng_for(spec.seed, "lists")
    created = spread_times(rng, counts["lists"], spec.anchor() - 400 * 86_400, 300)
    return [
        {
            "id": random_token(rng, 10).lower(),
            "web_id": 100_000 + i,
            "name": f"Venue audience {i + 1}",
            "date_created": mailchimp_time(created[i]),
            "stats": {},
        }
        for i in range(counts["lists"])
    ]


def seed_members(spec: SeedSpec, lists: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Members per audience: the first audience holds the most; the same address may be in
    several audiences (then with the same member id)."""
    total = {**DEFAULT_COUNTS, **spec.counts}["members"]
    weights = [1.0 / (i + 1) for i in range(len(lists))]
    sizes = [int(total * w / sum(weights)) for w in weights]
    if sizes:
        sizes[0] += total - sum(sizes)
    return [
        _members(rng_for(spec.seed, "members", i), audience, i, sizes[i], spec)
        for i, audience in enumerate(lists)
    ]


def _members(
    rng: random.Random, audience: dict[str, Any], index: int, count: int, spec: SeedSpec
) -> list[dict[str, Any]]:
    changed = spread_times(rng, count, spec.anchor(), spec.span_days)
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    tags = merge_fields_of(index)
    out = []
    for j in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{j}@example.org".lower()
        merges = {"FNAME": first, "LNAME": last}
        if "PHONE" in tags:
            merges["PHONE"] = f"+1 555 01{rng.randrange(100):02d}"
        if "MMERGE5" in tags:
            merges["MMERGE5"] = rng.choice(TIERS)
        if "COMPANY" in tags:
            merges["COMPANY"] = rng.choice(("Acme", "Globex", "Initech", ""))
        if "BIRTHDAY" in tags:
            merges["BIRTHDAY"] = f"{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}"
        opted = changed[j] - rng.randrange(0, 30 * 86_400)
        out.append(
            member_record(
                audience["id"],
                email,
                rng.choices(statuses, weights)[0],
                merges,
                [t for t in TAGS if rng.random() < 0.2],
                changed[j],
                opted,
                rating=rng.randrange(1, 6),
                vip=rng.random() < 0.05,
            )
        )
    return out


def member_record(
    list_id: str,
    email: str,
    status: str,
    merges: dict[str, Any],
    tags: list[str],
    changed: int,
    opted: int,
    *,
    rating: int = 2,
    vip: bool = False,
) -> dict[str, Any]:
    """One member as the API returns it."""
    mid = member_id(email)
    return {
        "id": mid,
        "email_address": email,
        "unique_email_id": mid[:10],
        "full_name": f"{merges.get('FNAME', '')} {merges.get('LNAME', '')}".strip(),
        "email_type": "html",
        "status": status,
        "merge_fields": merges,
        "member_rating": rating,
        "vip": vip,
        "language": "en",
        "timestamp_signup": mailchimp_time(opted),
        "timestamp_opt": mailchimp_time(opted),
        "last_changed": mailchimp_time(changed),
        "tags_count": len(tags),
        "tags": [{"id": 1000 + TAGS.index(t) if t in TAGS else 999, "name": t} for t in tags],
        "list_id": list_id,
    }


def seed_campaigns(spec: SeedSpec, lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Campaigns to the audiences; most sent (these have reports), a few drafts."""
    count = {**DEFAULT_COUNTS, **spec.counts}["campaigns"]
    rng = rng_for(spec.seed, "campaigns")
    created = spread_times(rng, count, spec.anchor() - 3 * 86_400, 365)
    out = []
    for i in range(count):
        audience = lists[i % len(lists)] if lists else {"id": None, "name": None}
        sent = i < count - 2 or count <= 2
        out.append(
            campaign_record(
                random_token(rng, 10).lower(),
                audience,
                f"Show announcement {i + 1}",
                created[i],
                created[i] + 86_400 if sent else None,
                recipients=rng.randrange(100, 5000),
            )
        )
    return out


def campaign_record(
    campaign_id: str,
    audience: dict[str, Any],
    title: str,
    created: int,
    sent: int | None,
    *,
    recipients: int,
) -> dict[str, Any]:
    """One campaign as the API returns it."""
    return {
        "id": campaign_id,
        "web_id": int(hashlib.sha1(campaign_id.encode()).hexdigest()[:6], 16),  # noqa: S324
        "type": "regular",
        "create_time": mailchimp_time(created),
        "send_time": mailchimp_time(sent) if sent else "",
        "status": "sent" if sent else "save",
        "emails_sent": recipients if sent else 0,
        "content_type": "template",
        "recipients": {
            "list_id": audience["id"],
            "list_name": audience["name"],
            "recipient_count": recipients,
        },
        "settings": {"subject_line": title, "title": title, "from_name": "The Venue"},
    }


def report_record(campaign: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The report of a sent campaign."""
    sent = campaign["emails_sent"] or 1
    opens = int(sent * rng.uniform(0.15, 0.55))
    clicks = int(opens * rng.uniform(0.05, 0.3))
    return {
        "id": campaign["id"],
        "campaign_title": campaign["settings"]["title"],
        "type": campaign["type"],
        "list_id": campaign["recipients"]["list_id"],
        "list_name": campaign["recipients"]["list_name"],
        "subject_line": campaign["settings"]["subject_line"],
        "emails_sent": campaign["emails_sent"],
        "abuse_reports": rng.randrange(0, 3),
        "unsubscribed": rng.randrange(0, 20),
        "send_time": campaign["send_time"],
        "bounces": {"hard_bounces": rng.randrange(0, 9), "soft_bounces": rng.randrange(0, 30)},
        "opens": {
            "opens_total": opens + rng.randrange(0, opens + 1),
            "unique_opens": opens,
            "open_rate": round(opens / sent, 4),
        },
        "clicks": {
            "clicks_total": clicks + rng.randrange(0, clicks + 1),
            "unique_clicks": clicks,
            "click_rate": round(clicks / sent, 4),
        },
    }
