from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pytest

from connectors.errors import SignatureError
from connectors.mailchimp.webhooks import form_fields, parse, verify


def form(kind: str = "subscribe", email: str = "Ann@Example.com", **extra: str) -> bytes:
    fields = {
        "type": kind,
        "fired_at": "2026-01-05 10:00:00",
        "data[id]": "8a25ff1d98",
        "data[list_id]": "a6b5da1054",
        "data[email]": email,
        "data[merges][FNAME]": "Ann",
        **extra,
    }
    return urlencode(fields).encode()


def test_secret_matches() -> None:
    verify("s3cret-value", "s3cret-value")


@pytest.mark.parametrize(
    ("given", "configured", "message"),
    [
        (None, "s3cret", "missing"),
        ("", "s3cret", "missing"),
        ("wrong", "s3cret", "does not match"),
        ("s3cret", "", "set credential webhook_secret"),
    ],
)
def test_secret_refusals(given: str | None, configured: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message) as info:
        verify(given, configured)
    assert "s3cret" not in str(info.value)


def test_form_fields_nest_bracketed_keys() -> None:
    assert form_fields(form())["data"]["merges"] == {"FNAME": "Ann"}


def test_parse_subscribe() -> None:
    event = parse(form())
    member_id = hashlib.md5(b"ann@example.com").hexdigest()
    assert (event.resource, event.object_id, event.account) == ("members", member_id, "a6b5da1054")
    assert event.object["status"] == "subscribed"
    assert event.occurred_at == "2026-01-05T10:00:00Z"
    assert not event.deleted


def test_event_id_is_stable_and_tells_events_apart() -> None:
    assert parse(form()).event_id == parse(form()).event_id
    assert parse(form()).event_id != parse(form(email="bob@example.com")).event_id
    assert parse(form()).event_id != parse(form("profile")).event_id


def test_upemail_names_the_new_address_and_deleted_unsubscribe_is_a_deletion() -> None:
    moved = parse(
        form("upemail", **{"data[new_email]": "new@example.com", "data[old_email]": "a@x.com"})
    )
    assert moved.object_id == hashlib.md5(b"new@example.com").hexdigest()
    assert parse(form("unsubscribe", **{"data[action]": "delete"})).deleted
    assert not parse(form("unsubscribe", **{"data[action]": "unsub"})).deleted


@pytest.mark.parametrize("payload", [b"", b"type=subscribe", b"type=subscribe&fired_at=yesterday"])
def test_parse_rejects_incomplete_bodies(payload: bytes) -> None:
    with pytest.raises(SignatureError):
        parse(payload)
