"""Hostile webhook bodies that carry a valid signature: each is a 400 with its reason, answered
in under a second, and nothing reaches the inbox.

The table holds the bodies that once gave a 500 (or a 503 the provider retries forever); the
properties generate more, one provider at a time, each signed as the provider signs it.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import MAILCHIMP_SECRET, QBO_TOKEN, SQUARE_KEY, STRIPE_SECRET
from tests.web.signing import b64_hmac, mailchimp_form, stripe_header
from warehouse.store import Store

BASE = "/api/v1/integrations/webhooks"
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def deliver(client: FlaskClient, integration: Any, body: bytes) -> tuple[Any, float]:
    """POST `body` to the integration's webhook URL, signed as its provider signs; the response
    and the seconds it took."""
    provider = integration.provider
    url = f"{BASE}/{provider}/{integration.id}"
    headers = {"Content-Type": "application/json"}
    if provider == "stripe":
        headers["Stripe-Signature"] = stripe_header(body, STRIPE_SECRET)
    elif provider == "square":
        headers["x-square-hmacsha256-signature"] = b64_hmac(
            SQUARE_KEY, integration.credentials["webhook_url"].encode() + body
        )
    elif provider == "quickbooks":
        headers["intuit-signature"] = b64_hmac(QBO_TOKEN, body)
    else:
        url += f"?secret={MAILCHIMP_SECRET}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    response = client.post(url, data=body, headers=headers)
    return response, time.perf_counter() - started


def stored_events(store: Store) -> int:
    """Events in the inbox, whatever their status (without claiming them)."""
    stats = store.inbox_stats()
    return sum(count for name, count in stats.items() if name != "duplicates")


def assert_refused(response: Any, elapsed: float, store: Store) -> None:
    assert response.status_code == 400, (response.status_code, response.get_data()[:300])
    error = response.json["error"]
    assert error["code"] == "invalid_payload"
    assert error["message"]
    assert elapsed < 1.0
    assert stored_events(store) == 0


# -- bodies -------------------------------------------------------------------------------------


def stripe_body(**changes: Any) -> bytes:
    event: dict[str, Any] = {
        "id": "evt_1",
        "object": "event",
        "created": int(time.time()),
        "type": "charge.updated",
        "data": {"object": {"id": "ch_1", "object": "charge", "amount": 1200}},
    }
    event.update(changes)
    return orjson.dumps(event)


def square_body(**changes: Any) -> bytes:
    event: dict[str, Any] = {
        "merchant_id": "M1",
        "type": "payment.updated",
        "event_id": "sq-evt-1",
        "created_at": "2026-01-05T10:00:00Z",
        "data": {"type": "payment", "id": "pay_1", "object": {"payment": {"id": "pay_1"}}},
    }
    event.update(changes)
    return orjson.dumps(event)


ENTITY = {
    "name": "Invoice",
    "id": "130",
    "operation": "Update",
    "lastUpdated": "2026-01-05T10:00:00Z",
}
CLOUD = {
    "specversion": "1.0",
    "id": "ce-1",
    "type": "qbo.invoice.updated.v1",
    "time": "2026-01-05T10:00:00Z",
    "intuitentityid": "130",
    "intuitaccountid": "9130",
}


def qbo_body(notification: Any = None, **entity_changes: Any) -> bytes:
    entity = {**ENTITY, **entity_changes}
    if notification is None:
        notification = {"realmId": "9130", "dataChangeEvent": {"entities": [entity]}}
    return orjson.dumps({"eventNotifications": [notification]})


DEEP_KEY = "data" + "[a]" * 5000

# (provider, body, what it once got)
CASES = [
    ("stripe", stripe_body(data=[1]), "500"),
    ("stripe", stripe_body(created=1e17), "500"),
    ("stripe", stripe_body(created=10**17), "500"),
    ("stripe", stripe_body(created="1700000000"), "200: a string taken for a time"),
    ("stripe", stripe_body(id={}), "500"),
    ("stripe", stripe_body(id=0), "503, retried forever"),
    ("stripe", stripe_body(id=""), "503, retried forever"),
    ("stripe", stripe_body(id=123), "200, stored, counted a duplicate, never applied"),
    ("stripe", stripe_body(id="e" * 300), "500 on PostgreSQL (event_id is 255 chars)"),
    ("stripe", stripe_body(id="evt_\u0000"), "500 on PostgreSQL (NUL in text)"),
    ("stripe", stripe_body(type=5), "200, stored with a type that is a number"),
    ("stripe", stripe_body(account={"id": "acct"}), "200, stored"),
    ("stripe", stripe_body(data={"object": {"id": "ch_1", "object": 5}}), "500"),
    ("stripe", b"[1, 2]", "400"),
    ("square", square_body(type=5), "500"),
    ("square", square_body(event_id=7), "200, stored"),
    ("square", square_body(data=[1]), "200, stored"),
    ("square", square_body(created_at="9999-12-31T23:59:59-23:59"), "500"),
    ("square", square_body(merchant_id=["M1"]), "200, stored"),
    ("square", square_body(data={"type": {"a": 1}, "id": "pay_1"}), "200, stored"),
    ("quickbooks", qbo_body({"realmId": "9130", "dataChangeEvent": []}), "500"),
    ("quickbooks", qbo_body({"realmId": "9130", "dataChangeEvent": {"entities": {}}}), "500"),
    ("quickbooks", qbo_body({"realmId": {}, "dataChangeEvent": {"entities": [ENTITY]}}), "200"),
    ("quickbooks", qbo_body(id={"x": 1}), "200, stored with a made-up id"),
    ("quickbooks", qbo_body(operation=["Update"]), "200, stored"),
    ("quickbooks", qbo_body(lastUpdated="0001-01-01T00:00:00+01:00"), "500"),
    ("quickbooks", orjson.dumps({"eventNotifications": [1]}), "400"),
    ("quickbooks", orjson.dumps([{**CLOUD, "type": 5}]), "400"),
    ("quickbooks", orjson.dumps([{**CLOUD, "id": 5}]), "200, stored"),
    ("quickbooks", orjson.dumps([{**CLOUD, "time": 5}]), "200, stored"),
    ("mailchimp", mailchimp_form() + b"&data[a]=1&data[a][b]=2", "500"),
    ("mailchimp", mailchimp_form() + b"&data[merges][FNAME][x]=1", "500"),
    ("mailchimp", mailchimp_form() + b"&data=x", "500"),
    ("mailchimp", mailchimp_form() + f"&{quote(DEEP_KEY)}=1".encode(), "500 RecursionError"),
    ("mailchimp", mailchimp_form().replace(b"data%5Bemail%5D", b"data%5Bemail%5D%5Bx%5D"), "500"),
    ("mailchimp", mailchimp_form() + b"&type=profile", "200, the second type taken"),
    ("mailchimp", mailchimp_form().replace(b"2026-01-05", b"2026-13-05"), "400"),
]


@pytest.mark.parametrize(
    ("provider", "body", "before"),
    CASES,
    ids=[f"{provider}-{n}" for n, (provider, _, _) in enumerate(CASES)],
)
def test_a_signed_but_hostile_body_is_400_and_stores_nothing(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    provider: str,
    body: bytes,
    before: str,
) -> None:
    response, elapsed = deliver(client, integrations[provider], body)
    assert_refused(response, elapsed, store)


def test_an_integer_stripe_id_is_refused_every_time_not_taken_for_a_duplicate(
    client: FlaskClient, store: Store, integrations: dict[str, Any]
) -> None:
    for _ in range(2):
        response, elapsed = deliver(client, integrations["stripe"], stripe_body(id=123))
        assert_refused(response, elapsed, store)
    assert store.inbox_stats()["duplicates"] == 0
    # the same event with its id as text is stored once, then a duplicate
    answers = [deliver(client, integrations["stripe"], stripe_body(id="123"))[0] for _ in "ab"]
    assert [a.json["stored"] for a in answers] == [1, 0]
    assert stored_events(store) == 1


# -- properties ---------------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
NOT_TEXT = JSON.filter(lambda value: not isinstance(value, str))
NOT_OBJECT = JSON.filter(lambda value: value is not None and not isinstance(value, dict))
BAD_ID = NOT_TEXT | st.sampled_from(["", "  ", "x" * 256, "a\u0000b", "e\nv\tt"])
BAD_UNIX_TIME = JSON.filter(lambda value: not isinstance(value, int) or isinstance(value, bool)) | (
    st.integers(min_value=253402300800, max_value=2**63 - 1)
)
BAD_ISO_TIME = NOT_TEXT | st.text(max_size=30).filter(lambda text: not text[:1].isdigit())


def hostile_field(options: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """One of the named fields, with a value of the wrong type or out of range."""
    return st.one_of(
        *(
            strategy.map(lambda value, name=name: {name: value})
            for name, strategy in options.items()
        )
    )


def check_refused(client: FlaskClient, store: Store, integration: Any, body: bytes) -> None:
    before = stored_events(store)
    response, elapsed = deliver(client, integration, body)
    assert response.status_code == 400, (response.status_code, body[:300])
    assert response.json["error"]["code"] == "invalid_payload"
    assert elapsed < 1.0
    assert stored_events(store) == before == 0


def check_never_an_error(client: FlaskClient, store: Store, integration: Any, body: bytes) -> None:
    """Any body: a 200 or a 4xx, never a 5xx; a 4xx stores nothing."""
    before = stored_events(store)
    response, elapsed = deliver(client, integration, body)
    assert response.status_code < 500, (response.status_code, body[:300], response.json)
    assert elapsed < 1.0
    if response.status_code >= 400:
        assert stored_events(store) == before


# The fields each provider's parser reads, with values of the wrong type or out of range.
HOSTILE_FIELDS: dict[str, tuple[Any, dict[str, st.SearchStrategy[Any]]]] = {
    "stripe": (
        stripe_body,
        {
            "id": BAD_ID,
            "type": BAD_ID,
            "created": BAD_UNIX_TIME,
            "data": NOT_OBJECT,
            "account": NOT_TEXT.filter(lambda value: value is not None),
            "object": JSON.filter(lambda value: value != "event"),
        },
    ),
    "square": (
        square_body,
        {
            "event_id": BAD_ID,
            "type": BAD_ID,
            "created_at": BAD_ISO_TIME,
            "data": NOT_OBJECT,
            "merchant_id": NOT_TEXT.filter(lambda value: value is not None),
        },
    ),
}


@pytest.mark.parametrize("provider", sorted(HOSTILE_FIELDS))
@HYPOTHESIS
@given(data=st.data())
def test_json_bodies_with_a_bad_field_are_refused(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    provider: str,
    data: st.DataObject,
) -> None:
    make_body, fields = HOSTILE_FIELDS[provider]
    change = data.draw(hostile_field(fields), label="change")
    check_refused(client, store, integrations[provider], make_body(**change))


@HYPOTHESIS
@given(
    change=hostile_field(
        {
            "name": BAD_ID,
            "id": BAD_ID,
            "operation": NOT_TEXT.filter(lambda value: value is not None),
            "lastUpdated": BAD_ISO_TIME.filter(lambda value: value not in ("", None)),
        }
    ),
    cloud=st.booleans(),
)
def test_quickbooks_changes_with_a_bad_field_are_refused(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    change: dict[str, Any],
    cloud: bool,
) -> None:
    if cloud:
        renamed = {"name": "type", "lastUpdated": "time", "operation": "intuitentityid"}
        ((name, value),) = change.items()
        body = orjson.dumps([{**CLOUD, renamed.get(name, name): value}])
    else:
        body = qbo_body(**change)
    check_refused(client, store, integrations["quickbooks"], body)


KEY_PART = st.text(alphabet="abcXYZ_0", min_size=0, max_size=4)


@HYPOTHESIS
@given(
    parts=st.lists(KEY_PART, min_size=1, max_size=4),
    deep=st.integers(min_value=7, max_value=6000),
    conflict=st.booleans(),
)
def test_mailchimp_forms_with_clashing_or_deep_keys_are_refused(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    parts: list[str],
    deep: int,
    conflict: bool,
) -> None:
    if conflict:
        prefix = "data" + "".join(f"[{p}]" for p in parts)
        extra = f"&{quote(prefix)}=1&{quote(prefix + '[z]')}=2"
    else:
        extra = f"&{quote('data' + '[k]' * deep)}=1"
    check_refused(client, store, integrations["mailchimp"], mailchimp_form() + extra.encode())


@HYPOTHESIS
@given(body=JSON)
def test_any_signed_json_is_never_a_server_error(
    client: FlaskClient, store: Store, integrations: dict[str, Any], body: Any
) -> None:
    raw = orjson.dumps(body)
    for provider in ("stripe", "square", "quickbooks"):
        check_never_an_error(client, store, integrations[provider], raw)


@HYPOTHESIS
@given(
    fields=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["type", "fired_at", "data"]), KEY_PART).flatmap(
                lambda head: st.lists(KEY_PART, max_size=3).map(
                    lambda rest: head + "".join(f"[{p}]" for p in rest)
                )
            ),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_any_signed_mailchimp_form_is_never_a_server_error(
    client: FlaskClient, store: Store, integrations: dict[str, Any], fields: list[Any]
) -> None:
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields).encode()
    check_never_an_error(client, store, integrations["mailchimp"], body)


def test_the_inbox_refuses_an_event_id_that_is_not_text(store: Store) -> None:
    from warehouse.store.inbox import NewInboxEvent

    event = NewInboxEvent("stripe", "int_1", "t1", "v1", 123, {}, b"{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a string"):
        store.add_inbox_events([event])
    assert stored_events(store) == 0
