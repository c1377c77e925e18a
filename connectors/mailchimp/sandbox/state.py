"""One Mailchimp sandbox account: audiences, members per audience, campaigns, reports, and the
webhook events its changes produce."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from connectors.common.times import parse_iso
from connectors.mailchimp.resources import SENT_STATUSES, mailchimp_time
from connectors.mailchimp.sandbox.seed import (
    UNSUBSCRIBE_REASONS,
    campaign_record,
    member_id,
    member_record,
    merge_fields_of,
    report_record,
    seed_campaigns,
    seed_lists,
    seed_members,
    with_report_summary,
)
from connectors.sandbox.collection import Collection, CreatedRange
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.seeding import SeedSpec, rng_for

Obj = dict[str, Any]
_MEMBER_ATTRS = ("id", "status", "timestamp_opt", "last_changed")
_STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"}
# The webhook event type a member's new status produces.
_EVENT_FOR_STATUS = {"subscribed": "subscribe", "unsubscribed": "unsubscribe", "cleaned": "cleaned"}


class MailchimpAccount:
    """The state of one account, seeded deterministically from its SeedSpec."""

    def __init__(self, spec: SeedSpec, clock: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.clock = clock
        self.lists: dict[str, Obj] = {}
        self.merge_tags: dict[str, tuple[str, ...]] = {}
        self.members: dict[str, Collection] = {}
        # Members left out of listings but still counted in total_items (an under-reporting API).
        self.hidden: dict[str, set[str]] = {}
        self.campaigns = Collection(("status", "send_time"), order_field="create_time")
        self.reports = Collection(order_field="send_time")
        self.events: list[Obj] = []
        self._seed()

    def _seed(self) -> None:
        lists = seed_lists(self.spec)
        for index, (audience, members) in enumerate(
            zip(lists, seed_members(self.spec, lists), strict=True)
        ):
            self.lists[audience["id"]] = audience
            self.merge_tags[audience["id"]] = merge_fields_of(index)
            collection = Collection(_MEMBER_ATTRS, order_field="last_changed")
            collection.load(members)
            self.members[audience["id"]] = collection
        campaigns = seed_campaigns(self.spec, lists)
        rng = rng_for(self.spec.seed, "reports")
        reports = [report_record(c, rng) for c in campaigns if c["status"] == "sent"]
        by_id = {r["id"]: r for r in reports}
        self.campaigns.load(
            with_report_summary(c, by_id[c["id"]]) if c["id"] in by_id else c for c in campaigns
        )
        self.reports.load(reports)

    def now(self) -> str:
        """The current time as Mailchimp writes it (never before the seeded data)."""
        return mailchimp_time(max(self.clock(), self.spec.anchor() + 1))

    # -- reads --------------------------------------------------------------------------------
    def audience(self, list_id: str) -> Obj:
        """One audience with its current stats."""
        audience = self.lists.get(list_id)
        if audience is None:
            raise NotFound(f"The requested resource could not be found: list {list_id}")
        return {**audience, "stats": self._stats(list_id)}

    def _stats(self, list_id: str) -> Obj:
        """An audience's documented stats: member_count counts subscribed members only."""
        members = self.members[list_id]
        counts: dict[str, int] = {}
        last = {"subscribed": "", "unsubscribed": ""}

        def tally(attrs: Mapping[str, Any]) -> bool:
            status = attrs.get("status") or ""
            counts[status] = counts.get(status, 0) + 1
            if status == "subscribed":
                last[status] = max(last[status], attrs.get("timestamp_opt") or "")
            if status == "unsubscribed":
                last[status] = max(last[status], attrs.get("last_changed") or "")
            return False

        members.count(where=tally)
        sent = [r for r in self._reports() if r["list_id"] == list_id]
        return {
            "member_count": counts.get("subscribed", 0),
            "total_contacts": len(members),
            "unsubscribe_count": counts.get("unsubscribed", 0),
            "cleaned_count": counts.get("cleaned", 0),
            "campaign_count": len(sent),
            "campaign_last_sent": max((c["send_time"] for c in sent), default=""),
            "merge_field_count": len(self.merge_tags[list_id]),
            "last_sub_date": last["subscribed"],
            "last_unsub_date": last["unsubscribed"],
        }

    def _reports(self) -> list[Obj]:
        """Every sent campaign's report."""
        return [orjson.loads(self.reports.stored(rid)) for rid in self.reports.ids()]

    def member_page(
        self, list_id: str, offset: int, count: int, since: str | None
    ) -> tuple[list[bytes], int]:
        """Members changed since `since` (inclusive), newest change first, and total_items."""
        self.audience(list_id)
        members = self.members[list_id]
        window = CreatedRange(gte=since) if since else None
        hidden = self.hidden.get(list_id)
        where = (lambda a: a.get("id") not in hidden) if hidden else None
        blobs = members.window(offset, count, created=window, where=where)
        return blobs, members.count(window)

    def member(self, list_id: str, mid: str) -> Obj:
        """One member by its id (the MD5 of the email)."""
        self.audience(list_id)
        if "@" in mid:  # the endpoint takes the email address as well as its hash
            mid = member_id(mid)
        found = self.members[list_id].get(mid)
        if found is None:
            raise NotFound(f"The requested resource could not be found: member {mid}")
        return found

    def campaign_page(
        self, offset: int, count: int, since_create: str | None, since_send: str | None
    ) -> tuple[list[bytes], int]:
        """Campaigns newest first, filtered by creation and send time."""
        window = CreatedRange(gte=since_create) if since_create else None
        # documented as "campaigns sent after": a scheduled campaign's send_time is not a send
        where = (
            (lambda a: a.get("status") in SENT_STATUSES and a["send_time"] >= since_send)
            if since_send
            else None
        )
        blobs = self.campaigns.window(offset, count, created=window, where=where)
        return blobs, self.campaigns.count(window, where)

    def report_page(self, offset: int, count: int, since_send: str | None) -> tuple[list, int]:
        """Reports of sent campaigns, newest send first."""
        window = CreatedRange(gte=since_send) if since_send else None
        return self.reports.window(offset, count, created=window), self.reports.count(window)

    # -- writes -------------------------------------------------------------------------------
    def upsert_member(self, list_id: str, fields: Obj, mid: str | None = None) -> Obj:
        """Create a member or change one (status, merge fields, tags, email); records events."""
        self.audience(list_id)
        members = self.members[list_id]
        email = fields.get("email_address")
        mid = mid or (member_id(email) if email else None)
        if mid is None:
            raise SandboxUsageError("a new member needs email_address")
        old = members.get(mid)
        status = fields.get("status") or fields.get("status_if_new") or "subscribed"
        if old is None:
            if not email:
                raise NotFound(f"The requested resource could not be found: member {mid}")
            stamp = int(parse_iso(self.now()))
            tags = self.merge_tags[list_id]
            old = member_record(list_id, email, status, {}, [], stamp, stamp, merge_tags=tags)
        member = self._changed(old, fields)
        members.delete(old["id"])
        members.put(member)
        self._event_for(old, member)
        return member

    def archive_member(self, list_id: str, mid: str) -> Obj:
        """Archive a member: it stays listed, with status archived."""
        return self.upsert_member(list_id, {"status": "archived"}, mid)

    def _changed(self, old: Obj, fields: Obj) -> Obj:
        member = dict(old)
        status = fields.get("status")
        if status is not None:
            if status not in _STATUSES:
                raise SandboxUsageError(f"status {status!r}: expected one of {sorted(_STATUSES)}")
            member["status"] = status
            member.pop("unsubscribe_reason", None)
            if status == "unsubscribed":
                member["unsubscribe_reason"] = UNSUBSCRIBE_REASONS[0]
            if status == "subscribed" and not member["timestamp_opt"]:
                member["timestamp_opt"] = self.now()
        if isinstance(fields.get("merge_fields"), dict):
            merges = {k: "" if v is None else v for k, v in fields["merge_fields"].items()}
            member["merge_fields"] = {**member["merge_fields"], **merges}
            first, last = (
                member["merge_fields"].get("FNAME", ""),
                member["merge_fields"].get("LNAME", ""),
            )
            member["full_name"] = f"{first} {last}".strip()
        if isinstance(fields.get("tags"), list):
            member["tags"] = [{"id": 999, "name": str(t)} for t in fields["tags"]]
            member["tags_count"] = len(member["tags"])
        email = fields.get("email_address")
        if email and email.lower() != old["email_address"]:
            member["email_address"] = email.lower()
            member["id"] = member_id(email)
        member["last_changed"] = self.now()
        return member

    def _event_for(self, old: Obj, new: Obj) -> None:
        data: Obj = {
            "id": new["id"],
            "list_id": new["list_id"],
            "email": new["email_address"],
            "email_type": "html",
            "merges": {"EMAIL": new["email_address"], **new["merge_fields"]},
        }
        if new["id"] != old["id"]:
            kind = "upemail"
            data = {
                "list_id": new["list_id"],
                "new_id": new["id"],
                "new_email": new["email_address"],
                "old_email": old["email_address"],
            }
        elif new["status"] != old["status"] and new["status"] in _EVENT_FOR_STATUS:
            kind = _EVENT_FOR_STATUS[new["status"]]
        elif new["status"] == "archived":
            kind = "unsubscribe"
            data.update(action="archive", reason="manual")
        else:
            kind = "profile"
        if kind == "unsubscribe" and "action" not in data:
            data.update(action="unsub", reason="manual")
        self.events.append({"type": kind, "fired_at": _fired_at(new["last_changed"]), "data": data})

    def touch_members(self, count: int, seed: int | None = None) -> list[str]:
        """Change `count` random members' merge fields (spread over the audiences)."""
        rng = rng_for(self.spec.seed if seed is None else seed, "touch", len(self.events))
        ids = [(lid, mid) for lid, members in self.members.items() for mid in members.ids()]
        picked = rng.sample(ids, min(count, len(ids)))
        for list_id, mid in picked:
            self.upsert_member(
                list_id, {"merge_fields": {"FNAME": f"Touched{rng.randrange(999)}"}}, mid
            )
        return [f"{lid}:{mid}" for lid, mid in picked]

    def create_campaign(self, list_id: str, title: str, *, send: bool) -> Obj:
        """A new campaign (sent at once with its report, or a draft)."""
        audience = self.audience(list_id)
        stamp = int(parse_iso(self.now()))
        cid = f"c{len(self.campaigns) + 1:04d}{stamp % 100000:05d}"
        campaign = campaign_record(
            cid,
            audience,
            title,
            stamp,
            stamp if send else None,
            recipients=len(self.members[list_id]),
        )
        if send:
            report = report_record(campaign, rng_for(self.spec.seed, "report", cid))
            self.reports.put(report)
            with_report_summary(campaign, report)
        self.campaigns.put(campaign)
        return campaign

    def send_campaign(self, campaign_id: str) -> Obj:
        """Send a draft: status sent, a send_time, and a report."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(f"The requested resource could not be found: campaign {campaign_id}")
        campaign.update(
            status="sent",
            send_time=self.now(),
            emails_sent=campaign["recipients"]["recipient_count"],
            resendable=True,
        )
        report = report_record(campaign, rng_for(self.spec.seed, "report", campaign_id))
        self.reports.put(report)
        self.campaigns.put(with_report_summary(campaign, report))
        return campaign

    def hide_members(self, list_id: str, count: int) -> list[str]:
        """Leave `count` members out of listings while total_items still counts them."""
        self.audience(list_id)
        ids = list(self.members[list_id].ids())[:count]
        self.hidden.setdefault(list_id, set()).update(ids)
        return ids


def _fired_at(mailchimp_stamp: str) -> str:
    return mailchimp_stamp[:19].replace("T", " ")
