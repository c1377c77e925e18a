"""The Square sandbox against Square's published OpenAPI document (square/connect-api-specification
api.json, excerpt in reference/square_schemas.json), over plain HTTP: every endpoint the connector
reads, every page, and the documented error answers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.sandbox import SandboxServer, SeedSpec
from connectors.square.sandbox.app import CLIENT_ID, CLIENT_SECRET, SquareSandbox
from tests.connectors.sandbox.contract_support import square_errors

TOKEN = "EAAAcontract_square_1"
COUNTS = {"locations": 4, "payments": 160, "orders": 90, "refunds": 16, "customers": 45}
EVER = "2000-01-01T00:00:00Z"
# endpoint -> (method, path, list key, response schema)
LISTS = {
    "payments": ("GET", "/v2/payments", "payments", "ListPaymentsResponse"),
    "refunds": ("GET", "/v2/refunds", "refunds", "ListPaymentRefundsResponse"),
    "orders": ("POST", "/v2/orders/search", "orders", "SearchOrdersResponse"),
    "customers": ("POST", "/v2/customers/search", "customers", "SearchCustomersResponse"),
    "catalog": ("POST", "/v2/catalog/search", "objects", "SearchCatalogObjectsResponse"),
}


@pytest.fixture(scope="module")
def sandbox() -> SquareSandbox:
    return SquareSandbox({TOKEN: SeedSpec(seed=23, counts=COUNTS)})


@pytest.fixture(scope="module")
def base(sandbox: SquareSandbox) -> Iterator[str]:
    with SandboxServer(sandbox) as served:
        yield served.url


@pytest.fixture(autouse=True)
def no_faults(sandbox: SquareSandbox) -> Iterator[None]:
    yield
    sandbox.injector.reset()


def call(base: str, method: str, path: str, *, token: str = TOKEN, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Square-Version": "2025-08-20"}
    return requests.request(method, base + path, headers=headers, timeout=30, **kwargs)


def locations(base: str) -> list[dict[str, Any]]:
    return call(base, "GET", "/v2/locations").json()["locations"]


def request_for(base: str, name: str, cursor: str | None = None, limit: Any = None) -> Any:
    """One page of list or search `name`, as the connector asks for it (every location)."""
    method, path, _, _ = LISTS[name]
    ids = [x["id"] for x in locations(base)]
    if method == "GET":
        params: dict[str, Any] = {"location_id": ids[0], "begin_time": EVER}
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        return call(base, method, path, params=params)
    body: dict[str, Any] = {}
    if name == "orders":
        body = {"location_ids": ids[:10], "query": {"sort": {"sort_field": "UPDATED_AT"}}}
    if name == "customers":
        body = {"query": {"filter": {"updated_at": {"start_at": EVER}}}}
    if name == "catalog":
        body = {"object_types": ["ITEM"], "include_deleted_objects": True}
    if cursor is not None:
        body["cursor"] = cursor
    if limit is not None:
        body["limit"] = limit
    return call(base, method, path, json=body)


def assert_valid(schema: str, body: Any) -> None:
    problems = square_errors(schema, body)
    assert not problems, f"{schema}: {problems[:10]}"


def assert_error(response: Any, status: int, category: str, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert_valid("Error", body["errors"][0]) if body.get("errors") else None
    assert set(body) == {"errors"}, body
    first = body["errors"][0]
    assert (first["category"], first["code"]) == (category, code), body
    return first


def test_locations_match_the_schema_and_include_an_inactive_one(base: str) -> None:
    response = call(base, "GET", "/v2/locations")
    assert response.status_code == 200
    assert_valid("ListLocationsResponse", response.json())
    places = response.json()["locations"]
    assert {x["status"] for x in places} == {"ACTIVE", "INACTIVE"}
    one = call(base, "GET", f"/v2/locations/{places[-1]['id']}")
    assert_valid("RetrieveLocationResponse", one.json())


@pytest.mark.parametrize("name", list(LISTS))
def test_every_page_of_every_list_matches_the_schema(base: str, name: str) -> None:
    method, path, key, schema = LISTS[name]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        response = request_for(base, name, cursor, limit=3)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_valid(schema, body)
        seen += [x["id"] for x in body.get(key, [])]
        pages += 1
        cursor = body.get("cursor")
        if not cursor:
            break
    assert pages > 1 and len(seen) == len(set(seen)), "every object once, over several pages"


@pytest.mark.parametrize(
    ("name", "path", "key", "schema"),
    [
        ("payments", "/v2/payments/{id}", "payment", "GetPaymentResponse"),
        ("refunds", "/v2/refunds/{id}", "refund", "GetPaymentRefundResponse"),
        ("orders", "/v2/orders/{id}", "order", "RetrieveOrderResponse"),
        ("customers", "/v2/customers/{id}", "customer", "RetrieveCustomerResponse"),
        ("catalog", "/v2/catalog/object/{id}", "object", "RetrieveCatalogObjectResponse"),
    ],
)
def test_each_object_retrieved_by_id_matches_the_schema(base, name, path, key, schema) -> None:
    listed = request_for(base, name).json()[LISTS[name][2]]
    for obj in listed[:5]:
        response = call(base, "GET", path.format(id=obj["id"]))
        assert response.status_code == 200
        assert_valid(schema, response.json())
        assert response.json()[key] == obj
    missing = call(base, "GET", path.format(id="NOSUCHOBJECT0000"))
    assert_error(missing, 404, "INVALID_REQUEST_ERROR", "NOT_FOUND")


def test_empty_fields_are_left_out_not_sent_as_null(sandbox: SquareSandbox) -> None:
    merchant = sandbox.merchant(sandbox.tokens[TOKEN][0])
    for name in ("payments", "refunds", "orders", "customers", "catalog_items"):
        for obj in merchant.current(name):
            nulls = [k for k, v in obj.items() if v is None]
            assert not nulls, f"{name} {obj['id']}: {nulls} sent as null"
    payments = merchant.current("payments")
    for field in ("note", "customer_id", "buyer_email_address"):
        assert any(field in p for p in payments) and any(field not in p for p in payments)
    orders = merchant.current("orders")
    assert any("closed_at" not in o for o in orders) and any("closed_at" in o for o in orders)


def test_seeded_shapes_the_mappings_read(base: str, sandbox: SquareSandbox) -> None:
    merchant = sandbox.merchant(sandbox.tokens[TOKEN][0])
    orders = merchant.current("orders")
    assert any(o.get("tenders") for o in orders), "orders carry tenders"
    assert any(o.get("fulfillments") for o in orders), "orders carry fulfillments"
    items = request_for(base, "catalog", limit=1000).json()["objects"]
    assert any(i["is_deleted"] for i in items), "a deleted catalog object"
    hidden = call(base, "POST", "/v2/catalog/search", json={"object_types": ["ITEM"]}).json()
    assert len(hidden["objects"]) < len(items), "deleted objects only when asked for"


@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.parametrize("cursor", ["not base64 at all!", base64.b64encode(b"NOPE").decode()])
def test_a_cursor_square_never_issued_is_a_400_invalid_cursor(base, name, cursor) -> None:
    first = assert_error(
        request_for(base, name, cursor), 400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR"
    )
    assert first.get("field") == "cursor"


@pytest.mark.parametrize(
    ("name", "limit", "code"),
    [
        ("customers", 0, "VALUE_TOO_LOW"),
        ("customers", 101, "VALUE_TOO_HIGH"),
        ("orders", 0, "VALUE_TOO_LOW"),
        ("orders", 1001, "VALUE_TOO_HIGH"),
        ("payments", "many", "INVALID_VALUE"),
    ],
)
def test_an_out_of_range_limit_is_refused_with_the_documented_code(base, name, limit, code):
    first = assert_error(request_for(base, name, limit=limit), 400, "INVALID_REQUEST_ERROR", code)
    assert first.get("field") == "limit"


@pytest.mark.parametrize(
    ("name", "limit", "most"),
    [("payments", 500, 100), ("refunds", 500, 100), ("catalog", 0, 100), ("catalog", 5000, 100)],
)
def test_limits_the_spec_says_are_ignored_are_ignored(base, name, limit, most) -> None:
    response = request_for(base, name, limit=limit)
    assert response.status_code == 200, response.text
    assert 0 < len(response.json()[LISTS[name][2]]) <= most


@pytest.mark.parametrize("token", ["EAAAnot-a-token", ""])
def test_a_bad_token_is_a_401_authentication_error(base: str, token: str) -> None:
    response = call(base, "GET", "/v2/locations", token=token)
    assert_error(response, 401, "AUTHENTICATION_ERROR", "UNAUTHORIZED")


def test_a_rate_limit_is_a_429_rate_limited(base: str, sandbox: SquareSandbox) -> None:
    sandbox.injector.update({"script": [429]})
    assert_error(call(base, "GET", "/v2/locations"), 429, "RATE_LIMIT_ERROR", "RATE_LIMITED")


def test_the_token_endpoint_matches_the_schema(base: str) -> None:
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token", "refresh_token": f"{TOKEN}-refresh"}  # fmt: skip
    response = requests.post(base + "/oauth2/token", json=body, timeout=30)
    assert response.status_code == 200
    assert_valid("ObtainTokenResponse", response.json())
