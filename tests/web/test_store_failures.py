"""A webhook is acknowledged only once it is stored: when the operational store refuses the write
(a trigger on the inbox stands in for a full disk or a failing database, on SQLite and on
PostgreSQL), the route answers no 2xx, requests no apply run and keeps nothing, and the
provider's redelivery after the fault is stored as a new event, not dropped as a duplicate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.web.conftest import (
    MAILCHIMP_SECRET,
    QBO_TOKEN,
    SQUARE_KEY,
    STRIPE_SECRET,
    RecordingLauncher,
    inbox_rows,
)
from tests.web.signing import (
    b64_hmac,
    mailchimp_form,
    qbo_legacy,
    square_event,
    stripe_event,
    stripe_header,
)
from tests.web.test_webhooks import post_mailchimp, post_qbo, post_square, post_stripe, square_url
from warehouse.store import Store

Deliver = Callable[[FlaskClient, dict[str, Any]], Any]


def _stripe(client: FlaskClient, made: dict[str, Any]) -> Any:
    body = stripe_event("evt_store_down")
    return post_stripe(client, made["stripe"].id, body, stripe_header(body, STRIPE_SECRET))


def _square(client: FlaskClient, made: dict[str, Any]) -> Any:
    body = square_event("sq-store-down")
    signature = b64_hmac(SQUARE_KEY, square_url(made["square"]).encode() + body)
    return post_square(client, made["square"], body, signature)


def _mailchimp(client: FlaskClient, made: dict[str, Any]) -> Any:
    return post_mailchimp(client, made["mailchimp"].id, mailchimp_form(), MAILCHIMP_SECRET)


def _quickbooks(client: FlaskClient, made: dict[str, Any]) -> Any:
    body = qbo_legacy("140", "141")
    return post_qbo(client, made["quickbooks"].id, body, b64_hmac(QBO_TOKEN, body))


DELIVERIES: dict[str, tuple[Deliver, int]] = {  # how to deliver, and the events in it
    "stripe": (_stripe, 1),
    "square": (_square, 1),
    "mailchimp": (_mailchimp, 1),
    "quickbooks": (_quickbooks, 2),
}

_SQLITE_ON = """
CREATE TRIGGER refuse_inbox BEFORE INSERT ON webhook_inbox
BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END
"""
_PG_ON = [
    """CREATE FUNCTION refuse_inbox() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$""",
    """CREATE TRIGGER refuse_inbox BEFORE INSERT ON webhook_inbox
       FOR EACH ROW EXECUTE FUNCTION refuse_inbox()""",
]
_PG_OFF = ["DROP TRIGGER refuse_inbox ON webhook_inbox", "DROP FUNCTION refuse_inbox()"]


@contextmanager
def inbox_refuses_writes(store: Store) -> Iterator[None]:
    """The inbox table refuses every insert, as a database out of space would."""
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as conn:
        for statement in _PG_ON if postgres else [_SQLITE_ON]:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with store.engine.begin() as conn:
            for statement in _PG_OFF if postgres else ["DROP TRIGGER refuse_inbox"]:
                conn.execute(text(statement))


@pytest.mark.parametrize("provider", sorted(DELIVERIES))
def test_a_store_that_refuses_the_write_gets_no_2xx_and_nothing_is_kept(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    launcher: RecordingLauncher,
    provider: str,
) -> None:
    deliver, events = DELIVERIES[provider]

    with inbox_refuses_writes(store):
        refused = deliver(client, integrations)

    # 503: the provider redelivers (a 4xx would say the delivery itself is bad)
    assert refused.status_code == 503, refused.get_json()
    assert refused.get_json()["error"]["code"] == "store_unavailable"
    assert "disk" not in refused.get_data(as_text=True)  # the database's words stay in the log
    assert inbox_rows(store) == []
    assert launcher.calls == []


@pytest.mark.parametrize("provider", sorted(DELIVERIES))
def test_the_redelivery_after_the_fault_is_stored_not_dropped_as_a_duplicate(
    client: FlaskClient,
    store: Store,
    integrations: dict[str, Any],
    launcher: RecordingLauncher,
    provider: str,
) -> None:
    deliver, events = DELIVERIES[provider]
    with inbox_refuses_writes(store):
        deliver(client, integrations)

    redelivered = deliver(client, integrations)

    assert redelivered.status_code == 200
    assert redelivered.json == {"received": events, "stored": events, "duplicates": 0}
    assert len(inbox_rows(store)) == events
    assert [call[2] for call in launcher.calls] == ["critical"]
