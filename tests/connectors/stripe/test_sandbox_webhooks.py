"""Events delivered to a webhook URL, signed as Stripe signs them."""

# ruff: noqa: F811  (fixtures imported from stripe_support are redefined as test parameters)

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from connectors.sandbox import SandboxServer
from connectors.stripe.sandbox.app import StripeSandbox
from tests.connectors.sandbox.stripe_support import (  # noqa: F401
    KEY_A,
    sandbox,
    server,
)

SECRET = "whsec_test_secret"


class Endpoint:
    """A receiver that verifies each delivery with the SDK and keeps the events."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            event = stripe.Webhook.construct_event(
                body.decode(), environ.get("HTTP_STRIPE_SIGNATURE", ""), SECRET
            )
        except stripe.SignatureVerificationError:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"bad signature"]
        self.events.append(event)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def endpoint() -> Iterator[tuple[Endpoint, str]]:
    receiver = Endpoint()
    with SandboxServer(receiver) as running:
        yield receiver, running.url + "/webhooks/stripe"


def test_events_arrive_signed_and_verify_with_the_sdk(sandbox: StripeSandbox, endpoint) -> None:
    receiver, url = endpoint
    customer = sandbox.create(KEY_A, "customers", {"email": "hook@example.com"})
    results = sandbox.deliver_events(url, SECRET, account=KEY_A)
    assert results and all(r.status == 200 for r in results)
    assert receiver.events[-1].type == "customer.created"
    assert receiver.events[-1].data.object.id == customer["id"]
    created = [e.created for e in receiver.events]
    assert created == sorted(created)


def test_only_new_events_go_out_on_the_next_delivery(sandbox: StripeSandbox, endpoint) -> None:
    receiver, url = endpoint
    sandbox.deliver_events(url, SECRET, account=KEY_A)
    first = len(receiver.events)
    made = sandbox.create(KEY_A, "products", {"name": "Scarf"})
    sandbox.update(KEY_A, "products", made["id"], {"name": "Wool scarf"})
    results = sandbox.deliver_events(url, SECRET, account=KEY_A)
    assert [r.status for r in results] == [200, 200]
    assert [e.type for e in receiver.events[first:]] == ["product.created", "product.updated"]
    assert receiver.events[-1].data.previous_attributes.name == "Scarf"


def test_duplicates_are_delivered_when_asked(sandbox: StripeSandbox, endpoint) -> None:
    receiver, url = endpoint
    sandbox.deliver_events(url, SECRET, account=KEY_A)
    event = sandbox.events(KEY_A)[0]
    results = sandbox.deliver_events(
        url, SECRET, account=KEY_A, events=[event["id"]], duplicate_probability=1.0
    )
    assert [(r.event_id, r.duplicate) for r in results] == [
        (event["id"], False),
        (event["id"], True),
    ]
    assert [e.id for e in receiver.events[-2:]] == [event["id"], event["id"]]


def test_a_wrong_secret_fails_verification(sandbox: StripeSandbox, endpoint) -> None:
    receiver, url = endpoint
    sandbox.create(KEY_A, "customers", {"email": "w@example.com"})
    results = sandbox.deliver_events(url, "whsec_other", account=KEY_A)
    assert {r.status for r in results} == {400}
    assert receiver.events == []


def test_admin_route_delivers(server: SandboxServer, sandbox: StripeSandbox, endpoint) -> None:
    receiver, url = endpoint
    sandbox.create(KEY_A, "customers", {"email": "admin@example.com"})
    answer = requests.post(
        f"{server.url}/_sandbox/webhooks",
        json={"url": url, "secret": SECRET, "account": KEY_A},
        timeout=30,
    )
    deliveries = answer.json()["deliveries"]
    assert deliveries and {d["status"] for d in deliveries} == {200}
    assert receiver.events[-1].data.object.email == "admin@example.com"
    missing = requests.post(f"{server.url}/_sandbox/webhooks", json={"url": url}, timeout=5)
    assert missing.status_code == 400
