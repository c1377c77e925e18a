from __future__ import annotations

import time

import orjson
import pytest
import stripe

from connectors.errors import SignatureError
from connectors.stripe.webhooks import parse, verify

SECRET = "whsec_test_0123456789abcdef"
NOW = 1_700_000_000


def event_body(event_type: str = "charge.updated", obj: dict | None = None) -> bytes:
    obj = obj if obj is not None else {"id": "ch_123", "object": "charge", "amount": 1200}
    return orjson.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "api_version": "2024-06-20",
            "created": NOW - 5,
            "type": event_type,
            "data": {"object": obj, "previous_attributes": {"amount": 1000}},
            "livemode": False,
            "request": {"id": None, "idempotency_key": None},
            "account": "acct_9",
        }
    )


def header(payload: bytes, secret: str = SECRET, timestamp: int = NOW) -> str:
    """A header made by the SDK's own signer, so our verify agrees with Stripe's."""
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp)


def test_valid_signature_passes() -> None:
    body = event_body()
    verify(body, header(body), SECRET, now=NOW)


def test_sdk_accepts_what_we_accept() -> None:
    body = event_body()
    sig = header(body, timestamp=int(time.time()))
    stripe.WebhookSignature.verify_header(body.decode(), sig, SECRET, 300)
    verify(body, sig, SECRET)


def test_one_valid_signature_among_several_passes() -> None:
    body = event_body()
    good = header(body).split("v1=")[1]
    sig = f"t={NOW},v1={'0' * 64},v0=legacy,v1={good},v1={'f' * 64}"
    verify(body, sig, SECRET, now=NOW)


def test_tampered_body_fails() -> None:
    body = event_body()
    sig = header(body)
    with pytest.raises(SignatureError, match="no v1 signature .* matches"):
        verify(body.replace(b"1200", b"9999"), sig, SECRET, now=NOW)


def test_wrong_secret_fails() -> None:
    body = event_body()
    with pytest.raises(SignatureError, match="check the webhook secret"):
        verify(body, header(body, secret="whsec_other"), SECRET, now=NOW)


@pytest.mark.parametrize("age", [301, 10_000, -301])
def test_stale_or_future_timestamp_fails(age: int) -> None:
    body = event_body()
    with pytest.raises(SignatureError, match="tolerance"):
        verify(body, header(body, timestamp=NOW - age), SECRET, now=NOW)


def test_tolerance_is_adjustable() -> None:
    body = event_body()
    verify(body, header(body, timestamp=NOW - 600), SECRET, tolerance=900, now=NOW)


@pytest.mark.parametrize(
    ("sig", "message"),
    [
        (None, "missing Stripe-Signature"),
        ("", "missing Stripe-Signature"),
        ("garbage", "no timestamp"),
        ("t=abc,v1=00", "non-numeric timestamp"),
        (f"v1={'0' * 64}", "no timestamp"),
        (f"t={NOW}", "no v1 signature"),
        (f"t={NOW},v0=abc", "no v1 signature"),
    ],
)
def test_missing_or_malformed_header_fails(sig: str | None, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify(event_body(), sig, SECRET, now=NOW)


def test_no_secret_configured_fails_with_the_fix() -> None:
    body = event_body()
    with pytest.raises(SignatureError, match="set credential webhook_secret"):
        verify(body, header(body), "", now=NOW)


def test_error_messages_never_hold_the_secret() -> None:
    body = event_body()
    with pytest.raises(SignatureError) as info:
        verify(body, header(body, secret="whsec_other"), SECRET, now=NOW)
    assert SECRET not in str(info.value)


def test_parse_gives_the_event_and_its_object() -> None:
    event = parse(event_body())
    assert event.provider == "stripe"
    assert event.event_id == "evt_1"
    assert event.type == "charge.updated"
    assert event.occurred_at == "2023-11-14T22:13:15Z"
    assert event.resource == "charges"
    assert event.object_id == "ch_123"
    assert event.object == {"id": "ch_123", "object": "charge", "amount": 1200}
    assert event.deleted is False
    assert event.account == "acct_9"
    assert event.raw["data"]["previous_attributes"] == {"amount": 1000}


@pytest.mark.parametrize(
    ("event_type", "obj", "resource", "deleted"),
    [
        ("customer.deleted", {"id": "cus_1", "object": "customer"}, "customers", True),
        (
            "product.deleted",
            {"id": "prod_1", "object": "product", "deleted": True},
            "products",
            True,
        ),
        ("invoice.paid", {"id": "in_1", "object": "invoice"}, "invoices", False),
        ("charge.dispute.created", {"id": "dp_1", "object": "dispute"}, "disputes", False),
        ("charge.refund.updated", {"id": "re_1", "object": "refund"}, "refunds", False),
        (
            "customer.subscription.deleted",
            {"id": "sub_1", "object": "subscription", "status": "canceled"},
            "subscriptions",
            False,  # canceled, not gone: the subscription is still listed
        ),
        ("plan.created", {"id": "plan_1", "object": "plan"}, None, False),
    ],
)
def test_parse_names_the_resource_and_deletions(
    event_type: str, obj: dict, resource: str | None, deleted: bool
) -> None:
    event = parse(event_body(event_type, obj))
    assert event.resource == resource
    assert event.object_id == obj["id"]
    assert event.deleted is deleted


@pytest.mark.parametrize(
    "payload", [b"not json", b"[]", b'{"object": "charge"}', b'{"object": "event", "id": "e"}']
)
def test_parse_rejects_bodies_that_are_not_events(payload: bytes) -> None:
    with pytest.raises(SignatureError):
        parse(payload)
