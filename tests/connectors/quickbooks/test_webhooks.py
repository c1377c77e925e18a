from __future__ import annotations

import base64
import hashlib
import hmac

import orjson
import pytest

from connectors.errors import SignatureError
from connectors.quickbooks.webhooks import parse, parse_all, resource_for, split, verify

TOKEN = "verifier-token"


def sign(body: bytes, token: str = TOKEN) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def legacy(*changes: tuple[str, str, str]) -> bytes:
    entities = [
        {"name": name, "id": i, "operation": op, "lastUpdated": "2026-01-05T10:00:00.000Z"}
        for name, i, op in changes
    ]
    return orjson.dumps(
        {"eventNotifications": [{"realmId": "9130", "dataChangeEvent": {"entities": entities}}]}
    )


def cloud(event_type: str, entity_id: str = "77") -> bytes:
    return orjson.dumps(
        [
            {
                "specversion": "1.0",
                "id": "ce-1",
                "type": event_type,
                "time": "2026-01-05T10:00:00Z",
                "intuitentityid": entity_id,
                "intuitaccountid": "9130",
                "data": {},
            }
        ]
    )


def test_valid_signature_passes() -> None:
    payload = legacy(("Invoice", "130", "Update"))
    verify(payload, sign(payload), TOKEN)


@pytest.mark.parametrize("case", ["missing", "wrong_token", "tampered", "no_token"])
def test_bad_signatures_fail(case: str) -> None:
    payload = legacy(("Invoice", "130", "Update"))
    signature: str | None = sign(payload, "other" if case == "wrong_token" else TOKEN)
    token = "" if case == "no_token" else TOKEN
    if case == "missing":
        signature = None
    if case == "tampered":
        payload = payload.replace(b"130", b"131")
    with pytest.raises(SignatureError):
        verify(payload, signature, token)


def test_legacy_delivery_splits_into_single_change_bodies_that_parse_back() -> None:
    pairs = split(legacy(("Invoice", "130", "Update"), ("Payment", "7", "Delete")))
    assert [(e.resource, e.object_id, e.deleted, e.object) for e, _ in pairs] == [
        ("invoices", "130", False, None),
        ("payments", "7", True, None),
    ]
    for event, body in pairs:
        assert parse(body) == event


def test_cloudevents_delivery() -> None:
    (event,) = parse_all(cloud("qbo.salesreceipt.deleted.v1"))
    assert (event.event_id, event.resource, event.object_id, event.deleted, event.account) == (
        "ce-1",
        "sales_receipts",
        "77",
        True,
        "9130",
    )


def test_legacy_and_cloudevents_name_resources_alike() -> None:
    (legacy_event,) = parse_all(legacy(("SalesReceipt", "77", "Update")))
    (cloud_event,) = parse_all(cloud("qbo.salesreceipt.updated.v1"))
    assert legacy_event.resource == cloud_event.resource == "sales_receipts"


@pytest.mark.parametrize(
    ("entity", "resource"),
    [("Invoice", "invoices"), ("Class", "classes"), ("JournalEntry", "journal_entries")],
)
def test_resource_names(entity: str, resource: str) -> None:
    assert resource_for(entity) == resource


def test_parse_wants_a_single_change() -> None:
    with pytest.raises(SignatureError, match="split"):
        parse(legacy(("Invoice", "1", "Update"), ("Invoice", "2", "Update")))


@pytest.mark.parametrize(
    "payload",
    [b"nope", b"{}", b"[{}]", b'{"eventNotifications": [{"dataChangeEvent": {"entities": [{}]}}]}'],
)
def test_rejects_bodies_that_are_not_notifications(payload: bytes) -> None:
    with pytest.raises(SignatureError):
        split(payload)
