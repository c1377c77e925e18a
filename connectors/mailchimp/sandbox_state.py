"""One Mailchimp sandbox account: audiences, members per audience, campaigns, reports, and the
webhook events its changes produce."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from connectors.common.times import parse_iso
from connectors.mailchimp.resources import mailchimp_time
from connectors.mailchimp.sandbox_seed import (
    campaign_record,
    member_id,
    member_record,
    report_record,
    seed_campaigns,
    seed_lists,
    seed_members,
)
from connectors.sandbox.collection import Collection, CreatedRange
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.seeding import SeedSpec, rng_for

Obj = dict[str, Any]
_STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"}
# The webhook event type a member's new status produces.
_EVENT_FOR_STATUS = {"subscribed": "subscribe", "unsubscribed": "unsubscribe", "cleaned": "cleaned"}


class MailchimpAccount:
    """The state of one account, seeded deterministically from its SeedSpec."""

    def __init__(self, spec: SeedSpec, clock: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.clock = clock
        self.lists: dict[str, Obj] = {}
        self.members: dict[str, Collection] = {}
        # Members left out of listings but still counted in total_items (an under-reporting API).
        self.hidden: dict[str, set[str]] = {}
        self.campaigns = Collection(("status", "send_time"), order_field="create_time")
        self.reports = Collection(order_field="send_time")
        self.events: list[Obj] = []
        self._seed()

    def _seed(self) -> None:
        lists = seed_lists(self.spec)
        for audience, members in zip(lists, seed_members(self.spec, lists), strict=True):
            self.lists[audience["id"]] = audience
            collection = Collection(("id",), order_field="last_changed")
            collection.load(members)
            self.members[audience["id"]] = collection
        campaigns = seed_campaigns(self.spec, lists)
        self.campaigns.load(campaigns)
        rng = rng_for(self.spec.seed, "reports")
        self.reports.load(report_record(c, rng) for c in campaigns if c["status"] == "sent")

    def now(self) -> str:
        """The current time as Mailchimp writes it (never before the seeded data)."""
        return mailchimp_time(max(self.clock(), self.spec.anchor() + 1))

    # -- reads --------------------------------------------------------------------------------
    def audience(self, list_id: str) -> Obj:
        """One audience with its current stats."""
        audience = self.lists.get(list_id)
        if audience is None:
            raise NotFound(f"The requested resource could not be found: list {list_id}")
        members = self.members[list_id]
        return {**audience, "stats": {"member_count": len(members)}}

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
        found = self.members[list_id].get(mid)
        if found is None:
            raise NotFound(f"The requested resource could not be found: member {mid}")
        return found

    def campaign_page(
        self, offset: int, count: int, since_create: str | None, since_send: str | None
    ) -> tuple[list[bytes], int]:
        """Campaigns newest first, filtered by creation and send time."""
        window = CreatedRange(gte=since_create) if since_create else None
        where = (lambda a: (a.get("send_time") or "") >= since_send) if since_send else None
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
            old = member_record(list_id, email, status, {}, [], stamp, stamp)
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
        if isinstance(fields.get("merge_fields"), dict):
            member["merge_fields"] = {**member["merge_fields"], **fields["merge_fields"]}
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
        self.campaigns.put(campaign)
        if send:
            self.reports.put(report_record(campaign, rng_for(self.spec.seed, "report", cid)))
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
        )
        self.campaigns.put(campaign)
        self.reports.put(report_record(campaign, rng_for(self.spec.seed, "report", campaign_id)))
        return campaign

    def hide_members(self, list_id: str, count: int) -> list[str]:
        """Leave `count` members out of listings while total_items still counts them."""
        self.audience(list_id)
        ids = list(self.members[list_id].ids())[:count]
        self.hidden.setdefault(list_id, set()).update(ids)
        return ids


def _fired_at(mailchimp_stamp: str) -> str:
    return mailchimp_stamp[:19].replace("T", " ")
