"""Deterministic Mailchimp sandbox objects: audiences with their own merge fields, members,
campaigns and their reports, in the shapes of Marketing API 3.0's documented objects.

Where Mailchimp has no value for a documented string it sends `""`, never null: a member added
by API or import has no `timestamp_signup` or `ip_signup`, a pending one no `timestamp_opt`,
an unsent campaign no `send_time`, a merge field left blank is `""`. Fields that only some
objects have are left out of the others (`unsubscribe_reason` outside unsubscribed members,
`report_summary` on campaigns not sent)."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from connectors.common.times import parse_iso
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
# How members came in; only the hosted form records a signup time and address.
SOURCES = (("Hosted Signup Form", 50), ("API - Generic", 25), ("Import", 20), ("Admin Add", 5))
SIGNUP_FORM = "Hosted Signup Form"
UNSUBSCRIBE_REASONS = (
    "N/A (Unsubscribed by an admin)",
    "I no longer want to receive these emails",
    "I never signed up for this mailing list",
    "The emails are inappropriate",
    "Other",
)
# A campaign's status, by its place among the newest: drafts, then one scheduled, then sent.
NEWEST_STATUSES = ("save", "save", "schedule")
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
        list_record(random_token(rng, 10).lower(), i, created[i]) for i in range(counts["lists"])
    ]


def list_record(list_id: str, index: int, created: int) -> dict[str, Any]:
    """One audience as the API returns it, without its `stats` (counted when asked)."""
    name = f"Venue audience {index + 1}"
    return {
        "id": list_id,
        "web_id": 100_000 + index,
        "name": name,
        "contact": {
            "company": "The Venue",
            "address1": "1 Stage Door",
            "address2": "",
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
            "country": "US",
            "phone": "",
        },
        "permission_reminder": "You signed up for news of our shows.",
        "use_archive_bar": True,
        "campaign_defaults": {
            "from_name": "The Venue",
            "from_email": "news@venue.example.org",
            "subject": "",
            "language": "en",
        },
        "notify_on_subscribe": "",
        "notify_on_unsubscribe": "",
        "date_created": mailchimp_time(created),
        "list_rating": index % 6,
        "email_type_option": False,
        "subscribe_url_short": f"http://eepurl.com/s{list_id[:6]}",
        "subscribe_url_long": f"https://venue.us6.list-manage.com/subscribe?id={list_id}",
        "beamer_address": f"us6-{list_id}@inbound.mailchimp.com",
        "visibility": "pub" if index % 2 == 0 else "prv",
        "double_optin": index % 2 == 1,
        "has_welcome": False,
        "marketing_permissions": False,
        "modules": [],
        "_links": [],
    }


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
    # a stream of its own for what came later, so that the older fields keep their values
    extra = rng_for(spec.seed, "members-extra", index)
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
        member = member_record(
            audience["id"],
            email,
            rng.choices(statuses, weights)[0],
            merges,
            [t for t in TAGS if rng.random() < 0.2],
            changed[j],
            opted,
            rating=rng.randrange(1, 6),
            vip=rng.random() < 0.05,
            merge_tags=tags,
        )
        out.append(_as_collected(member, extra))
    return out


def _as_collected(member: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """How the member came in and what Mailchimp learnt since: source, signup, blanks left."""
    source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
    member["source"] = source
    if source == SIGNUP_FORM:
        ip = f"198.51.100.{rng.randrange(1, 255)}"
        member.update(ip_signup=ip, timestamp_signup=member["timestamp_opt"], ip_opt=ip)
    if member["status"] == "pending":
        member["timestamp_opt"] = member["ip_opt"] = ""  # not confirmed yet
    merges = member["merge_fields"]
    for tag in ("LNAME", "PHONE"):
        if tag in merges and rng.random() < 0.1:
            merges[tag] = ""
    member["full_name"] = _full_name(merges)
    if member["status"] == "unsubscribed":
        member["unsubscribe_reason"] = rng.choice(UNSUBSCRIBE_REASONS)
    if rng.random() < 0.3:
        member["language"] = ""
    opens = round(rng.uniform(0, 0.8), 2)
    member["stats"] = {"avg_open_rate": opens, "avg_click_rate": round(opens * rng.random() / 3, 2)}
    if rng.random() < 0.4:
        member["email_client"] = rng.choice(("Gmail", "Apple Mail", "Outlook"))
        member["location"].update(country_code="US", timezone="America/Chicago", gmtoff=-6)
    return member


def _full_name(merges: dict[str, Any]) -> str:
    return f"{merges.get('FNAME', '')} {merges.get('LNAME', '')}".strip()


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
    merge_tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One member as the API returns it, added without a signup form (source API); every
    merge field of the audience is there, `""` when blank."""
    mid = member_id(email)
    merges = {**dict.fromkeys(merge_tags, ""), **merges}
    return {
        "id": mid,
        "email_address": email,
        "unique_email_id": mid[:10],
        "contact_id": hashlib.sha1(email.encode()).hexdigest()[:32],  # noqa: S324 - an id
        "full_name": _full_name(merges),
        "web_id": int(mid[:7], 16),
        "email_type": "html",
        "status": status,
        "consents_to_one_to_one_messaging": True,
        "merge_fields": merges,
        "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
        "ip_signup": "",
        "timestamp_signup": "",
        "ip_opt": "",
        "timestamp_opt": mailchimp_time(opted) if status != "pending" else "",
        "member_rating": rating,
        "last_changed": mailchimp_time(changed),
        "language": "en",
        "vip": vip,
        "email_client": "",
        "location": {
            "latitude": 0,
            "longitude": 0,
            "gmtoff": 0,
            "dstoff": 0,
            "country_code": "",
            "timezone": "",
            "region": "",
        },
        "source": "API - Generic",
        "tags_count": len(tags),
        "tags": [{"id": 1000 + TAGS.index(t) if t in TAGS else 999, "name": t} for t in tags],
        "list_id": list_id,
        "_links": [],
    }


def seed_campaigns(spec: SeedSpec, lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Campaigns to the audiences; most sent (these have reports), the newest two drafts and one
    scheduled for two days after the seeded data's newest time."""
    count = {**DEFAULT_COUNTS, **spec.counts}["campaigns"]
    rng = rng_for(spec.seed, "campaigns")
    created = spread_times(rng, count, spec.anchor() - 3 * 86_400, 365)
    out = []
    for i in range(count):
        audience = lists[i % len(lists)] if lists else {"id": "", "name": ""}
        newest = count - 1 - i
        planned = count > 2 and newest < min(len(NEWEST_STATUSES), count - 1)
        status = NEWEST_STATUSES[newest] if planned else "sent"
        send = {"sent": created[i] + 86_400, "schedule": spec.anchor() + 2 * 86_400}
        out.append(
            campaign_record(
                random_token(rng, 10).lower(),
                audience,
                f"Show announcement {i + 1}",
                created[i],
                send.get(status),
                recipients=rng.randrange(100, 5000),
                status=status,
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
    status: str | None = None,
) -> dict[str, Any]:
    """One campaign as the API returns it (`sent` is the scheduled time of a scheduled one);
    a sent campaign gets its `report_summary` from `with_report_summary`."""
    status = status or ("sent" if sent else "save")
    web_id = int(hashlib.sha1(campaign_id.encode()).hexdigest()[:6], 16)  # noqa: S324
    return {
        "id": campaign_id,
        "web_id": web_id,
        "parent_campaign_id": "",
        "type": "regular",
        "create_time": mailchimp_time(created),
        "archive_url": f"http://eepurl.com/c{campaign_id[:6]}",
        "long_archive_url": f"https://us6.campaign-archive.com/?u=0&id={campaign_id}",
        "status": status,
        "emails_sent": recipients if status == "sent" else 0,
        "send_time": mailchimp_time(sent) if sent else "",
        "content_type": "template",
        "needs_block_refresh": False,
        "resendable": status == "sent",
        "recipients": {
            "list_id": audience["id"],
            "list_is_active": True,
            "list_name": audience["name"],
            "segment_text": "",
            "recipient_count": recipients,
        },
        "settings": {
            "subject_line": title,
            "preview_text": "",
            "title": title,
            "from_name": "The Venue",
            "reply_to": "news@venue.example.org",
            "use_conversation": False,
            "to_name": "",
            "folder_id": "",
            "authenticate": True,
            "auto_footer": False,
            "inline_css": False,
            "auto_tweet": False,
            "fb_comments": True,
            "timewarp": False,
            "template_id": 10_000 + web_id % 100,
            "drag_and_drop": True,
        },
        "tracking": {
            "opens": True,
            "html_clicks": True,
            "text_clicks": False,
            "goal_tracking": False,
            "ecomm360": False,
            "google_analytics": "",
            "clicktale": "",
        },
        "delivery_status": {"enabled": False},
        "_links": [],
    }


def with_report_summary(campaign: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """The sent campaign with the `report_summary` its report adds up to."""
    opens, clicks = report["opens"], report["clicks"]
    campaign["report_summary"] = {
        "opens": opens["opens_total"],
        "unique_opens": opens["unique_opens"],
        "open_rate": opens["open_rate"],
        "clicks": clicks["clicks_total"],
        "subscriber_clicks": clicks["unique_subscriber_clicks"],
        "click_rate": clicks["click_rate"],
        "ecommerce": report["ecommerce"],
    }
    return campaign


def report_record(campaign: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The report of a sent campaign (`last_open` and `last_click` are `""` without any)."""
    sent = campaign["emails_sent"] or 1
    opens = int(sent * rng.uniform(0.15, 0.55))
    clicks = int(opens * rng.uniform(0.05, 0.3))
    report = {
        "id": campaign["id"],
        "campaign_title": campaign["settings"]["title"],
        "type": campaign["type"],
        "list_id": campaign["recipients"]["list_id"],
        "list_is_active": True,
        "list_name": campaign["recipients"]["list_name"],
        "subject_line": campaign["settings"]["subject_line"],
        "preview_text": campaign["settings"].get("preview_text", ""),
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
    sent_at = parse_iso(campaign["send_time"])
    last_open = mailchimp_time(sent_at + rng.randrange(3_600, 9 * 86_400)) if opens else ""
    last_click = mailchimp_time(sent_at + rng.randrange(3_600, 9 * 86_400)) if clicks else ""
    report["bounces"]["syntax_errors"] = 0
    report["forwards"] = {"forwards_count": 0, "forwards_opens": 0}
    report["opens"]["last_open"] = last_open
    report["clicks"].update(unique_subscriber_clicks=clicks, last_click=last_click)
    report["facebook_likes"] = {"recipient_likes": 0, "unique_likes": 0, "facebook_likes": 0}
    report["list_stats"] = {
        "sub_rate": round(rng.uniform(0, 5), 2),
        "unsub_rate": round(rng.uniform(0, 2), 2),
        "open_rate": round(rng.uniform(15, 55), 2),
        "click_rate": round(rng.uniform(0.5, 10), 2),
    }
    report["timewarp"] = []
    report["timeseries"] = []
    report["ecommerce"] = {"total_orders": 0, "total_spent": 0, "total_revenue": 0}
    report["delivery_status"] = {"enabled": False}
    report["_links"] = []
    return report
