"""The Square sandbox as the `squareup` SDK sees it: shapes, cursors, filters, faults, webhooks."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import orjson
import pytest
from square import Square
from square.core.api_error import ApiError

from connectors.square.webhooks import SIGNATURE_HEADER, parse, verify
from tests.connectors.square.conftest import TOKEN


@pytest.fixture
def sdk(server) -> Square:
    return Square(token=TOKEN, base_url=server.url)


def test_payments_without_location_are_the_main_locations_of_the_last_year(sdk, square_sandbox):
    main = sdk.locations.list().locations[0].id
    listed = list(sdk.payments.list(limit=50))
    assert listed and {p.location_id for p in listed} == {main}
    everything = list(sdk.payments.list(location_id=main, begin_time="2000-01-01T00:00:00Z"))
    assert len(everything) > len(listed), "begin_time defaults to a year ago"


def test_the_sdk_pager_follows_cursors_to_every_payment(sdk, square_sandbox):
    merchant = square_sandbox.merchant(square_sandbox.tokens[TOKEN][0])
    total = 0
    for place in sdk.locations.list().locations:
        total += sum(
            1
            for _ in sdk.payments.list(
                location_id=place.id, begin_time="2000-01-01T00:00:00Z", limit=7
            )
        )
    assert total == len(merchant.current("payments"))


def test_orders_search_takes_at_most_ten_locations_and_a_matching_sort(sdk):
    ids = [x.id for x in sdk.locations.list().locations]
    with pytest.raises(ApiError) as caught:
        sdk.orders.search(location_ids=ids)
    assert caught.value.status_code == 400
    with pytest.raises(ApiError):
        sdk.orders.search(
            location_ids=ids[:2],
            query={"filter": {"date_time_filter": {"updated_at": {"start_at": "2020-01-01T00:00:00Z"}}},
                   "sort": {"sort_field": "CREATED_AT"}},
        )  # fmt: skip
    found = sdk.orders.search(location_ids=ids[:10], limit=1000)
    assert found.orders and all(o.location_id in ids[:10] for o in found.orders)


def test_deleted_catalog_objects_come_only_when_asked_for(sdk, square_sandbox):
    merchant = square_sandbox.merchant(square_sandbox.tokens[TOKEN][0])
    item = merchant.current("catalog_items")[0]
    merchant.delete("catalog_items", item["id"])
    live = sdk.catalog.search(object_types=["ITEM"]).objects
    assert item["id"] not in {o.id for o in live}
    everything = sdk.catalog.search(object_types=["ITEM"], include_deleted_objects=True).objects
    assert next(o for o in everything if o.id == item["id"]).is_deleted is True


def test_a_429_has_squares_rate_limited_body(sdk, square_sandbox):
    square_sandbox.injector.update({"script": [429]})
    with pytest.raises(ApiError) as caught:
        sdk.locations.list(request_options={"max_retries": 0})
    assert caught.value.status_code == 429
    assert caught.value.errors[0].code == "RATE_LIMITED"


def test_webhooks_are_signed_over_the_notification_url_and_body(square_sandbox):
    merchant = square_sandbox.merchant(square_sandbox.tokens[TOKEN][0])
    merchant.update("payments", merchant.current("payments")[0]["id"], {"note": "hello"})
    merchant.create("customers", {})
    received: list[tuple[bytes, str]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers[SIGNATURE_HEADER]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_port}/webhooks/square"
    try:
        answers = square_sandbox.webhooks(
            {"url": url, "signature_key": "sig-key", "account": TOKEN}
        )
    finally:
        receiver.shutdown()
    assert [a["status"] for a in answers["deliveries"]] == [200, 200]
    events = []
    for body, signature in received:
        verify(body, signature, "sig-key", url)
        events.append(parse(body))
    assert [(e.type, e.resource) for e in events] == [
        ("payment.updated", "payments"),
        ("customer.created", "customers"),
    ]
    assert events[0].object and events[0].object["note"] == "hello"


def test_orders_search_filters_by_state_and_created_at(sdk, square_sandbox):
    ids = [x.id for x in sdk.locations.list().locations][:10]
    start = "2026-01-01T00:00:00Z"
    found = sdk.orders.search(
        location_ids=ids,
        query={"filter": {"state_filter": {"states": ["COMPLETED"]},
                          "date_time_filter": {"created_at": {"start_at": start}}},
               "sort": {"sort_field": "CREATED_AT", "sort_order": "ASC"}},
        limit=1000,
    ).orders  # fmt: skip
    merchant = square_sandbox.merchant(square_sandbox.tokens[TOKEN][0])
    wanted = [o for o in merchant.current("orders") if o["location_id"] in ids
              and o["state"] == "COMPLETED" and o["created_at"] >= "2026-01-01"]  # fmt: skip
    assert [o.id for o in found] == [o["id"] for o in sorted(wanted, key=lambda o: o["created_at"])]


def test_order_events_carry_ids_and_deleted_customers_their_last_state(square_sandbox):
    merchant = square_sandbox.merchant(square_sandbox.tokens[TOKEN][0])
    order = merchant.update("orders", merchant.current("orders")[0]["id"], {"state": "CANCELED"})
    gone = merchant.delete("customers", merchant.current("customers")[0]["id"])
    events = [parse(orjson.dumps(e)) for e in merchant.events]
    assert [(e.type, e.resource, e.object_id, e.deleted) for e in events] == [
        ("order.updated", "orders", order["id"], False),
        ("customer.deleted", "customers", gone["id"], True),
    ]
    assert events[0].object is None, "order events name the order: it is fetched afterwards"
    assert events[1].object and events[1].object["email_address"] == gone["email_address"]
