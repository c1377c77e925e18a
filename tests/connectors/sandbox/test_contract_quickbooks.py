"""The QuickBooks Online sandbox against Intuit's documented objects, over plain HTTP: queries (GET
and POST, the query language's documented forms), CDC, reads by id, and the documented faults.

Intuit publishes no OpenAPI document for the Accounting API; the schemas below are written from
the entity reference pages named above each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.quickbooks.sandbox.app import QuickBooksSandbox
from connectors.sandbox import SandboxServer, SeedSpec
from tests.connectors.sandbox.contract_support import schema_errors

REALM = "9130350000000231"
COUNTS = {"customers": 30, "items": 20, "invoices": 60, "sales_receipts": 20, "payments": 40}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"}
NUMBER = {"type": "number"}
TEXT = {"type": "string"}
REF = {"type": "object", "required": ["value"],
       "properties": {"value": TEXT, "name": TEXT}}  # fmt: skip
META = {"type": "object", "required": ["CreateTime", "LastUpdatedTime"],
        "properties": {"CreateTime": TIME, "LastUpdatedTime": TIME}}  # fmt: skip
COMMON = {"Id": TEXT, "SyncToken": TEXT, "MetaData": META, "domain": TEXT,
          "sparse": {"type": "boolean"}}  # fmt: skip


def entity(required: list[str], **properties: Any) -> dict[str, Any]:
    """An entity's schema: the fields every entity has, and its own."""
    return {
        "type": "object",
        "required": ["Id", "SyncToken", "MetaData", *required],
        "properties": {**COMMON, **properties},
    }


LINE = {"type": "object", "required": ["Amount", "DetailType"], "properties": {
    "Id": TEXT, "LineNum": {"type": "integer"}, "Amount": NUMBER, "Description": TEXT,
    "DetailType": {"enum": ["SalesItemLineDetail", "SubTotalLineDetail", "DiscountLineDetail",
                            "GroupLineDetail", "DescriptionOnly"]},
    "SalesItemLineDetail": {"type": "object", "properties": {
        "ItemRef": REF, "Qty": NUMBER, "UnitPrice": NUMBER}},
}}  # fmt: skip
# the fields invoices and sales receipts share (both entity pages below)
SALE = {"DocNumber": TEXT, "TxnDate": DATE, "CustomerRef": REF, "TotalAmt": NUMBER,
        "Balance": NUMBER, "Line": {"type": "array", "minItems": 1, "items": LINE},
        "TxnTaxDetail": {"type": "object", "properties": {"TotalTax": NUMBER}},
        "CurrencyRef": REF, "PrivateNote": TEXT}  # fmt: skip
SCHEMAS: dict[str, dict[str, Any]] = {
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
    "Customer": entity(
        ["DisplayName", "Balance", "Active"],
        DisplayName=TEXT,
        GivenName=TEXT,
        FamilyName=TEXT,
        CompanyName=TEXT,
        PrimaryEmailAddr={"type": "object", "properties": {"Address": TEXT}},
        PrimaryPhone={"type": "object", "properties": {"FreeFormNumber": TEXT}},
        BillAddr={"type": "object"},
        Balance=NUMBER,
        BalanceWithJobs=NUMBER,
        Active={"type": "boolean"},
        Taxable={"type": "boolean"},
        CurrencyRef=REF,
    ),
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
    "Invoice": entity(
        ["Line", "CustomerRef", "TotalAmt", "Balance"],
        DueDate=DATE,
        EmailStatus={"enum": ["NotSet", "NeedToSend", "EmailSent"]},
        BillEmail={"type": "object", "properties": {"Address": TEXT}},
        **SALE,
    ),
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt
    "SalesReceipt": entity(["Line", "TotalAmt"], PaymentMethodRef=REF, **SALE),
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
    "Payment": entity(
        ["TotalAmt", "CustomerRef"],
        TxnDate=DATE,
        CustomerRef=REF,
        TotalAmt=NUMBER,
        UnappliedAmt=NUMBER,
        PaymentRefNum=TEXT,
        ProcessPayment={"type": "boolean"},
        DepositToAccountRef=REF,
        CurrencyRef=REF,
        Line={
            "type": "array",
            "items": {
                "type": "object",
                "required": ["Amount", "LinkedTxn"],
                "properties": {
                    "Amount": NUMBER,
                    "LinkedTxn": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["TxnId", "TxnType"],
                            "properties": {"TxnId": TEXT, "TxnType": TEXT},
                        },
                    },
                },
            },
        },
    ),  # fmt: skip
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item
    "Item": entity(
        ["Name", "Type"],
        Name=TEXT,
        FullyQualifiedName=TEXT,
        Sku=TEXT,
        Description=TEXT,
        Type={"enum": ["Inventory", "Service", "NonInventory", "Group", "Category"]},
        UnitPrice=NUMBER,
        Taxable={"type": "boolean"},
        Active={"type": "boolean"},
        IncomeAccountRef=REF,
    ),
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
    "Account": entity(
        ["Name", "AccountType"],
        Name=TEXT,
        FullyQualifiedName=TEXT,
        AccountType=TEXT,
        AccountSubType=TEXT,
        Classification={"enum": ["Asset", "Equity", "Expense", "Liability", "Revenue"]},
        CurrentBalance=NUMBER,
        Active={"type": "boolean"},
        CurrencyRef=REF,
    ),
}
# Fields are left out when empty, never sent as null (every entity page above shows them so).
for _schema in SCHEMAS.values():
    _schema["additionalProperties"] = {"not": {"type": "null"}}
# https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
QUERY_RESPONSE = {
    "type": "object", "required": ["QueryResponse", "time"], "additionalProperties": False,
    "properties": {"time": TIME, "QueryResponse": {"type": "object", "properties": {
        "startPosition": {"type": "integer", "minimum": 1},
        "maxResults": {"type": "integer", "minimum": 0, "maximum": 1000},
        "totalCount": {"type": "integer", "minimum": 0}}}},
}  # fmt: skip
# https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
FAULT = {
    "type": "object", "required": ["Fault", "time"],
    "properties": {"time": TIME, "Fault": {"type": "object", "required": ["Error", "type"],
        "properties": {"type": TEXT, "Error": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["Message", "Detail", "code"],
            "properties": {"Message": TEXT, "Detail": TEXT, "code": TEXT}}}}}},
}  # fmt: skip
# A token the gateway refuses is answered in its own lower-case form (same page, 401 / 3200).
AUTH_FAULT = {
    "type": "object", "required": ["fault"],
    "properties": {"fault": {"type": "object", "required": ["error", "type"], "properties": {
        "type": {"const": "AUTHENTICATION"}, "error": {"type": "array", "items": {
            "type": "object", "required": ["message", "detail", "code"],
            "properties": {"code": {"const": "3200"}}}}}}},
}  # fmt: skip


@pytest.fixture(scope="module")
def sandbox() -> QuickBooksSandbox:
    return QuickBooksSandbox({REALM: SeedSpec(seed=31, counts=COUNTS)})


@pytest.fixture(scope="module")
def base(sandbox: QuickBooksSandbox) -> Iterator[str]:
    with SandboxServer(sandbox) as served:
        yield f"{served.url}/v3/company/{REALM}"


@pytest.fixture(scope="module")
def token(sandbox: QuickBooksSandbox) -> str:
    return sandbox.oauth.refresh(sandbox.credentials(REALM)["refresh_token"])["access_token"]


@pytest.fixture(autouse=True)
def no_faults(sandbox: QuickBooksSandbox) -> Iterator[None]:
    yield
    sandbox.injector.reset()
    sandbox.gates.reset()


def get(base: str, token: str, path: str, **params: str) -> requests.Response:
    return requests.get(
        f"{base}/{path}",
        params={**params, "minorversion": "75"},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=30,
    )


def post_query(base: str, token: str, text: str) -> requests.Response:
    """A query as Intuit's SDKs send it: POST, the statement as an application/text body."""
    return requests.post(
        f"{base}/query",
        params={"minorversion": "75"},
        data=text.encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/text",
            "Accept": "application/json",
        },  # fmt: skip
        timeout=30,
    )


def assert_valid(schema: dict[str, Any], instance: Any, label: str) -> None:
    problems = schema_errors(schema, instance)
    assert not problems, f"{label}: {problems[:10]}"


def everything(base: str, token: str, name: str) -> list[dict[str, Any]]:
    """Every entity of `name`, inactive ones too, a page of 7 at a time, each page checked."""
    where = " where Active IN (true, false)" if name in ("Customer", "Item", "Account") else ""
    found: list[dict[str, Any]] = []
    while True:
        text = f"select * from {name}{where} STARTPOSITION {len(found) + 1} MAXRESULTS 7"
        response = get(base, token, "query", query=text)
        assert response.status_code == 200, response.text
        assert_valid(QUERY_RESPONSE | {"properties": {**QUERY_RESPONSE["properties"]}},
                     response.json(), text)  # fmt: skip
        page = response.json()["QueryResponse"].get(name, [])
        found += page
        if len(page) < 7:
            return found


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_entity_queried_matches_its_documented_object(base, token, name) -> None:
    found = everything(base, token, name)
    assert found and len({e["Id"] for e in found}) == len(found)
    for obj in found:
        assert_valid(SCHEMAS[name], obj, f"{name} {obj['Id']}")
    one = get(base, token, f"{name.lower()}/{found[0]['Id']}")
    assert one.status_code == 200 and one.json()[name] == found[0]


def test_a_query_sent_as_a_post_body_answers_as_the_get_does(base, token) -> None:
    text = (
        "select * from Invoice ORDERBY Metadata.LastUpdatedTime DESC STARTPOSITION 3 MAXRESULTS 5"
    )
    by_post = post_query(base, token, text)
    assert by_post.status_code == 200, by_post.text
    by_get = get(base, token, "query", query=text).json()["QueryResponse"]
    assert by_post.json()["QueryResponse"] == by_get
    assert (by_get["startPosition"], by_get["maxResults"]) == (3, 5)


def test_the_documented_query_forms_parse(base, token) -> None:
    items = post_query(base, token, "SELECT *, Sku FROM Item").json()["QueryResponse"]["Item"]
    assert items and all("Sku" in item for item in items)
    names = get(base, token, "query", query="select Id, DisplayName from Customer MAXRESULTS 3")
    sparse = names.json()["QueryResponse"]["Customer"]
    assert len(sparse) == 3
    assert all(c["sparse"] is True and "Balance" not in c and c["DisplayName"] for c in sparse)
    wanted = "select * from Customer where Id IN ('1', '3', '5') ORDERBY Id"
    picked = post_query(base, token, wanted).json()["QueryResponse"]["Customer"]
    assert [c["Id"] for c in picked if c["Active"]] == [
        i for i in ("1", "3", "5") if i in {c["Id"] for c in picked}
    ]
    assert {c["Id"] for c in picked} <= {"1", "3", "5"} and picked
    oldest = "select * from Invoice ORDERBY MetaData.CreateTime STARTPOSITION 1 MAXRESULTS 1000"
    created = [i["MetaData"]["CreateTime"] for i in
               get(base, token, "query", query=oldest).json()["QueryResponse"]["Invoice"]]  # fmt: skip
    assert created == sorted(created) and len(created) == COUNTS["invoices"]
    count = get(base, token, "query", query="select count(*) from Invoice").json()
    assert count["QueryResponse"]["totalCount"] == COUNTS["invoices"]


def test_customer_balances_add_up_to_their_open_invoices(base, token) -> None:
    customers = everything(base, token, "Customer")
    invoices = everything(base, token, "Invoice")
    owed: dict[str, float] = {}
    for invoice in invoices:
        who = invoice["CustomerRef"]["value"]
        owed[who] = owed.get(who, 0.0) + invoice["Balance"]
    assert sum(1 for c in customers if c["Balance"] > 0) >= len(customers) // 3
    for customer in customers:
        assert customer["Balance"] == pytest.approx(owed.get(customer["Id"], 0.0)), customer["Id"]
    assert any(not c["Active"] for c in customers), "an inactive customer"


def test_cdc_answers_changes_in_the_documented_shape(base, token) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime(time.time() - 20 * 86_400))
    answer = get(base, token, "cdc", entities="Invoice,Payment,Customer", changedSince=since)
    assert answer.status_code == 200, answer.text
    # https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture
    parts = answer.json()["CDCResponse"][0]["QueryResponse"]
    assert [next(k for k in part if k in SCHEMAS) for part in parts] == [
        "Invoice",
        "Payment",
        "Customer",
    ]
    for part in parts:
        for name, objects in part.items():
            for obj in objects if name in SCHEMAS else ():
                assert_valid(SCHEMAS[name], obj, f"cdc {name}")
    too_old = get(base, token, "cdc", entities="Invoice", changedSince="2000-01-01")
    assert too_old.status_code == 400
    assert_valid(FAULT, too_old.json(), "cdc beyond 30 days")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("select * from Invoice STARTPOSITION 0", "4000"),  # the paging position (no cursors)
        ("select * from Invoice MAXRESULTS 1001", "4000"),  # the page size
        ("select * from Nothing", "4000"),
    ],
)
def test_a_bad_position_or_page_size_is_a_400_validation_fault(base, token, query, code):
    for response in (get(base, token, "query", query=query), post_query(base, token, query)):
        assert response.status_code == 400, response.text
        assert_valid(FAULT, response.json(), query)
        fault = response.json()["Fault"]
        assert fault["type"] == "ValidationFault" and fault["Error"][0]["code"] == code


def test_an_unknown_id_is_the_documented_object_not_found(base, token) -> None:
    response = get(base, token, "invoice/999999")
    assert response.status_code == 400
    assert_valid(FAULT, response.json(), "unknown id")
    assert response.json()["Fault"]["Error"][0]["code"] == "610"


def test_a_bad_token_is_a_401_authentication_fault(base) -> None:
    response = get(base, "not-a-token", "query", query="select * from Item")
    assert response.status_code == 401
    assert_valid(AUTH_FAULT, response.json(), "bad token")


def test_a_throttled_realm_gets_429_throttle_exceeded(base, token, sandbox) -> None:
    sandbox.injector.update({"script": [429]})
    response = get(base, token, "query", query="select * from Item")
    assert response.status_code == 429 and float(response.headers["Retry-After"]) > 0
    assert_valid(FAULT, response.json(), "429")
    assert response.json()["Fault"]["Error"][0]["code"] == "003001"
