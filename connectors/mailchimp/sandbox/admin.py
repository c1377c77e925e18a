"""The Mailchimp sandbox's test-facing side: state changes, current objects, webhook delivery.

`POST /_sandbox/mutate` takes `{"action": ..., "account": KEY, ...}` with action one of
`create_member` (list_id, fields), `update_member` (list_id, id, fields), `archive_member`
(list_id, id), `touch_members` (count), `create_campaign` (list_id, title, send),
`send_campaign` (id), `hide_members` (list_id, count: left out of listings, still counted).
`POST /_sandbox/webhooks` with `{"url": ".../webhooks/mailchimp/ID?secret=S"}` validates the URL
with a GET, as Mailchimp does, then POSTs every member event not yet taken, form-encoded; events
the receiver did not answer 2xx stay pending for the next delivery.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson

from connectors.mailchimp.webhooks import event_id, form_fields
from connectors.sandbox.errors import NotFound, SandboxUsageError
from connectors.sandbox.webhooks import deliver

if TYPE_CHECKING:
    from connectors.mailchimp.sandbox.state import MailchimpAccount

Obj = dict[str, Any]
FORM = "application/x-www-form-urlencoded"


def form_encode(event: Obj) -> bytes:
    """An event as Mailchimp posts it: `type=...&fired_at=...&data[merges][FNAME]=...`."""
    pairs: list[tuple[str, str]] = [("type", event["type"]), ("fired_at", event["fired_at"])]

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}[{key}]", inner)
        else:
            pairs.append((prefix, "" if value is None else str(value)))

    walk("data", event["data"])
    return urlencode(pairs).encode()


class MailchimpAdmin:
    """Mixed into MailchimpSandbox: everything a test does to the sandbox's state."""

    lock: threading.RLock
    specs: dict[str, Any]

    def account(self, credential: str) -> MailchimpAccount:  # provided by MailchimpSandbox
        raise NotImplementedError

    def _account_of(self, payload: Obj) -> MailchimpAccount:
        key = payload.get("account") or next(iter(self.specs))
        return self.account(str(key))

    def mutate(self, payload: Obj) -> Any:
        """Apply one change (see the module docstring); returns what changed."""
        action = payload.get("action")
        with self.lock:
            state = self._account_of(payload)
            list_id = str(payload.get("list_id") or next(iter(state.lists)))
            fields = payload.get("fields") or {}
            if action == "create_member":
                return state.upsert_member(list_id, fields)
            if action == "update_member":
                return state.upsert_member(list_id, fields, _required(payload, "id"))
            if action == "archive_member":
                return state.archive_member(list_id, _required(payload, "id"))
            if action == "touch_members":
                return state.touch_members(int(payload.get("count") or 1), payload.get("seed"))
            if action == "create_campaign":
                title = str(payload.get("title") or "Sandbox campaign")
                return state.create_campaign(list_id, title, send=bool(payload.get("send", True)))
            if action == "send_campaign":
                return state.send_campaign(_required(payload, "id"))
            if action == "hide_members":
                return state.hide_members(list_id, int(payload.get("count") or 1))
        raise SandboxUsageError(
            f"unknown action {action!r}: expected create_member, update_member, archive_member, "
            "touch_members, create_campaign, send_campaign or hide_members"
        )

    def objects(self, resource: str, params: dict[str, str]) -> bytes:
        """All current objects of a resource as the API returns them (JSON array)."""
        with self.lock:
            state = self._account_of(params)
            if resource == "lists":
                return orjson.dumps([state.audience(lid) for lid in state.lists])
            if resource == "members":
                wanted = [params["list_id"]] if params.get("list_id") else list(state.lists)
                dumps = [state.members[lid].dump()[1:-1] for lid in wanted]
                return b"[" + b",".join(d for d in dumps if d) + b"]"
            if resource == "campaigns":
                return state.campaigns.dump()
            if resource == "reports":
                return state.reports.dump()
        raise NotFound(f"mailchimp sandbox has no resource {resource!r}")

    def webhooks(self, payload: Obj) -> Any:
        """Validate `url` with a GET, then POST the account's undelivered events to it."""
        url = payload.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise SandboxUsageError("webhooks needs url: the callback URL with ?secret=...")
        with self.lock:
            state = self._account_of(payload)
            events, state.events = list(state.events), []
        validation = _validate(url)
        bodies = {}
        for event in events:
            body = form_encode(event)
            bodies[event_id(form_fields(body))] = (event, body)
        deliveries = deliver(
            url,
            [(eid, body) for eid, (_, body) in bodies.items()],
            lambda body: {},
            content_type=FORM,
            duplicate_probability=float(payload.get("duplicate_probability") or 0.0),
            shuffle=bool(payload.get("shuffle")),
            seed=payload.get("seed"),
        )
        taken = {d.event_id for d in deliveries if d.status is not None and d.status < 300}
        with self.lock:  # what was not taken is sent again next time, as Mailchimp retries
            state.events[:0] = [e for eid, (e, _) in bodies.items() if eid not in taken]
        return {"validation": validation, "deliveries": [d.to_json() for d in deliveries]}


def _validate(url: str) -> int | None:
    request = urllib.request.Request(url, headers={"User-Agent": "MailChimp"}, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def _required(payload: Obj, key: str) -> str:
    value = payload.get(key)
    if not value:
        raise SandboxUsageError(f"mutate {payload.get('action')} needs {key!r}")
    return str(value)
