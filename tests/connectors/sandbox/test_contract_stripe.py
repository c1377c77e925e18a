"""The Stripe sandbox against Stripe's published models, over plain HTTP: every list the connector
reads and /v1/events, each object checked field by field against the `stripe` SDK's typed
resource classes (names, JSON types, enum values) and against Stripe's example object of its
kind (reference/stripe/fixtures3.json, the source of the sandbox's templates); and Stripe's
documented error answers (https://docs.stripe.com/api/errors)."""

from __future__ import annotations

import decimal
import importlib
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from stripe._object_classes import OBJECT_CLASSES

from connectors.sandbox import SandboxServer, SeedSpec
from connectors.stripe.resources import RESOURCES
from connectors.stripe.sandbox.app import StripeSandbox
from connectors.stripe.sandbox.templates import TEMPLATES

KEY = "sk_test_contract_0001"
COUNTS = {"customers": 12, "charges": 30, "refunds": 6, "payment_intents": 12, "invoices": 8,
          "subscriptions": 6, "payouts": 4, "balance_transactions": 10, "disputes": 3,
          "products": 4, "prices": 6}  # fmt: skip
LISTS = [(r.name, r.path, r.object) for r in RESOURCES.values()] + [
    ("events", "/v1/events", "event")
]
_JSON = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
         float: "number", type(None): "null"}  # fmt: skip


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with SandboxServer(StripeSandbox({KEY: SeedSpec(seed=41, counts=COUNTS)})) as served:
        yield served.url


def call(base: str, path: str, key: str = KEY, **params: Any) -> requests.Response:
    return requests.get(base + path, params=params, auth=(key, ""), timeout=30)


def kinds(annotation: Any) -> tuple[set[str], set[str] | None]:
    """The JSON types a field of this SDK annotation may take, and its enum values (or None)."""
    if annotation is None or annotation is type(None):
        return {"null"}, None
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return {"string"}, {str(v) for v in typing.get_args(annotation)}
    if origin in (typing.Union, types.UnionType):
        allowed: set[str] = set()
        enums: set[str] | None = set()
        for part in typing.get_args(annotation):
            more, values = kinds(part)
            allowed |= more
            if "string" in more:
                enums = None if values is None or enums is None else enums | values
        return allowed, enums
    simple = {int: {"integer"}, float: {"number", "integer"}, bool: {"boolean"}, str: {"string"},
              decimal.Decimal: {"string"}}  # fmt: skip
    if annotation in simple:
        return simple[annotation], None
    if origin in (list, typing.List):  # noqa: UP006
        return {"array"}, None
    return {"object"}, None  # dicts, nested StripeObjects, lists (ListObject), forward refs


def sdk_fields(object_name: str) -> dict[str, Any]:
    module, name = OBJECT_CLASSES[object_name]
    cls = getattr(importlib.import_module(module), name)
    return {k: v for k, v in cls.__annotations__.items() if k != "OBJECT_NAME"}


def sdk_problems(obj: dict[str, Any], object_name: str) -> list[str]:
    fields = sdk_fields(object_name)
    problems = []
    for key, value in obj.items():
        if key not in fields:
            problems.append(f"{key}: not a field of stripe.{object_name}")
            continue
        allowed, enums = kinds(fields[key])
        kind = _JSON[type(value)]
        if kind not in allowed:
            problems.append(f"{key}: {kind} where the SDK has {sorted(allowed)}")
        elif kind == "string" and enums is not None and value not in enums:
            problems.append(f"{key}: {value!r} is none of {sorted(enums)}")
    return problems


def example_problems(obj: dict[str, Any], resource: str) -> list[str]:
    """Fields of Stripe's example object missing here, or of another JSON type (null aside)."""
    problems = []
    sdk = sdk_fields(obj["object"])
    for key, example in TEMPLATES.get(resource, {}).items():
        if key not in sdk:
            continue  # where the example and the SDK differ, the SDK the project installs wins
        if key not in obj:
            problems.append(f"{key}: missing")
        elif None not in (example, obj[key]):
            want, got = _JSON[type(example)], _JSON[type(obj[key])]
            if want != got and {want, got} != {"integer", "number"}:
                expandable = want == "string" and got == "object" and "id" in obj[key]
                problems.append(f"{key}: {got} where Stripe's example has {want}") * (
                    not expandable
                )
    return problems


@pytest.mark.parametrize(("resource", "path", "object_name"), LISTS)
def test_every_object_of_every_list_matches_stripes_models(base, resource, path, object_name):
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 5}
    while True:
        page = call(base, path, **params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) >= {"object", "data", "has_more", "url"} and body["object"] == "list"
        for obj in body["data"]:
            assert obj["object"] == object_name
            problems = sdk_problems(obj, object_name) + example_problems(obj, resource)
            assert not problems, f"{resource} {obj['id']}: {problems[:8]}"
        seen += [obj["id"] for obj in body["data"]]
        if not body["has_more"]:
            break
        params["starting_after"] = body["data"][-1]["id"]
    assert seen and len(seen) == len(set(seen))
    if resource != "events":
        one = call(base, f"{path}/{seen[0]}")
        assert one.status_code == 200 and not sdk_problems(one.json(), object_name)


def test_the_sdk_models_reject_what_stripe_would_not_send() -> None:
    assert sdk_problems({"amount": "12"}, "charge") == [
        "amount: string where the SDK has ['integer']"
    ]
    assert sdk_problems({"captured": "yes"}, "charge")
    assert sdk_problems({"amont": 1}, "charge")


def error_of(response: requests.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["type"] == kind and isinstance(error["message"], str) and error["message"]
    return error


@pytest.mark.parametrize(("resource", "path", "object_name"), LISTS)
def test_a_cursor_stripe_never_issued_is_a_400_resource_missing(base, resource, path, object_name):
    error = error_of(call(base, path, starting_after="zz_never"), 400, "invalid_request_error")
    assert (error["code"], error["param"]) == ("resource_missing", "starting_after")


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_bad_limit_is_a_400_naming_the_param(base, limit) -> None:
    error = error_of(call(base, "/v1/charges", limit=limit), 400, "invalid_request_error")
    assert error["param"] == "limit"


def test_a_bad_key_is_a_401(base) -> None:
    error_of(call(base, "/v1/charges", key="sk_test_unknown_9999"), 401, "invalid_request_error")


def test_an_unknown_id_is_a_404_resource_missing(base) -> None:
    error = error_of(call(base, "/v1/customers/cus_nope"), 404, "invalid_request_error")
    assert (error["code"], error["param"]) == ("resource_missing", "id")


def test_a_rate_limit_is_a_429_rate_limit_error() -> None:
    sandbox = StripeSandbox({KEY: SeedSpec(seed=41, counts={"customers": 1})})
    sandbox.injector.update({"script": [429]})
    with SandboxServer(sandbox) as served:
        response = call(served.url, "/v1/customers")
    error = error_of(response, 429, "invalid_request_error")
    assert error["code"] == "rate_limit"
    assert stripe.error.RateLimitError  # the SDK's class for this answer
