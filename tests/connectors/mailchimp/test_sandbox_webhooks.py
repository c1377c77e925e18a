"""The sandbox delivers member changes as Mailchimp does: a GET to validate, then form POSTs."""

from __future__ import annotations

from typing import Any

from connectors.mailchimp.webhooks import parse, verify
from connectors.sandbox import SandboxServer
from connectors.sandbox.http import SandboxRequest, json_response
from tests.connectors.mailchimp.conftest import KEY, sandbox_objects

SECRET = "hook-secret-123"


class Receiver:
    """A webhook endpoint that checks the secret and keeps what it was sent."""

    def __init__(self) -> None:
        self.gets = 0
        self.bodies: list[tuple[str, bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request = SandboxRequest(environ)
        secret = dict(request.query).get("secret")
        verify(secret, SECRET)
        if request.method == "GET":
            self.gets += 1
        else:
            self.bodies.append((request.header("Content-Type") or "", request.body))
        response = json_response(200, {"ok": True})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [response.body]


def test_member_changes_arrive_form_encoded_and_parse(mailchimp_sandbox):
    members = sandbox_objects(mailchimp_sandbox, "members")
    subscribed = next(m for m in members if m["status"] == "subscribed")
    other = next(m for m in members if m["status"] == "subscribed" and m is not subscribed)
    lid = subscribed["list_id"]
    mailchimp_sandbox.mutate(
        {"action": "update_member", "account": KEY, "list_id": lid, "id": subscribed["id"],
         "fields": {"status": "unsubscribed"}}
    )  # fmt: skip
    moved = mailchimp_sandbox.mutate(
        {"action": "update_member", "list_id": other["list_id"], "id": other["id"],
         "fields": {"email_address": "moved@example.org"}}
    )  # fmt: skip
    mailchimp_sandbox.mutate(
        {"action": "archive_member", "list_id": other["list_id"], "id": moved["id"]}
    )
    receiver = Receiver()
    with SandboxServer(receiver) as hook:
        answer = mailchimp_sandbox.webhooks({"url": f"{hook.url}/hook?secret={SECRET}"})
    assert answer["validation"] == 200 and receiver.gets == 1
    assert [d["status"] for d in answer["deliveries"]] == [200, 200, 200]
    kinds = [form for form, _ in receiver.bodies]
    assert set(kinds) == {"application/x-www-form-urlencoded"}
    events = [parse(body) for _, body in receiver.bodies]
    assert [e.type for e in events] == ["unsubscribe", "upemail", "unsubscribe"]
    assert events[0].object_id == subscribed["id"] and events[0].account == lid
    assert events[0].object["status"] == "unsubscribed"
    assert events[1].raw["data"]["old_email"] == other["email_address"]
    assert events[2].raw["data"]["action"] == "archive"
    assert mailchimp_sandbox.webhooks({"url": f"{hook.url}/hook"})["deliveries"] == []
