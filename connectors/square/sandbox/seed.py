"""Seeded Square objects: locations, payments, refunds, orders, customers, catalog items and
variations, shaped as in Square's API reference (Money `{amount, currency}`, RFC 3339 times)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.sandbox.seeding import SeedSpec, random_token, rng_for, spread_times

SEEDED = (
    "locations",
    "payments",
    "refunds",
    "orders",
    "customers",
    "catalog_items",
)
DEFAULT_COUNTS = {
    "locations": 3,
    "payments": 240,
    "refunds": 24,
    "orders": 150,
    "customers": 60,
    "catalog_items": 20,
}
_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Frances")
_SURNAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton")
_PRODUCTS = ("Flat white", "Croissant", "Bagel", "Cold brew", "Muffin", "Tea", "Sandwich")
_BRANDS = ("VISA", "MASTERCARD", "AMERICAN_EXPRESS", "DISCOVER")


def rfc3339(unix: float) -> str:
    """`1700000000.5` -> `"2023-11-14T22:13:20.500Z"`: Square's timestamp form (milliseconds)."""
    moment = datetime.fromtimestamp(unix, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def square_id(rng: random.Random, length: int = 24) -> str:
    """An upper-case id in Square's style."""
    return random_token(rng, length).upper()


def money(amount: int, currency: str) -> dict[str, Any]:
    """Square's Money object."""
    return {"amount": amount, "currency": currency}


def present(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` without the empty ones: Square leaves a field out rather than send null."""
    return {key: value for key, value in fields.items() if value is not None}


def seed_merchant(spec: SeedSpec, merchant_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every seeded object of one merchant, by resource, oldest first."""
    counts = {**DEFAULT_COUNTS, **spec.counts}
    newest = spec.anchor()
    locations = [
        location(rng_for(spec.seed, "loc", i), merchant_id, i, newest)
        for i in range(max(1, counts["locations"]))
    ]
    customers = _made(spec, "customers", counts, newest, customer)
    variations: list[dict[str, Any]] = []
    items = []
    for index, (when, rng) in enumerate(_times(spec, "catalog_items", counts, newest)):
        item, made = catalog_item(rng, when)
        if index % 8 == 5:  # one in eight retired from the catalog: kept, marked deleted
            for retired in (item, *made):
                retired["is_deleted"] = True
        items.append(item)
        variations.extend(made)
    orders = []
    for when, rng in _times(spec, "orders", counts, newest):
        orders.append(order(rng, when, rng.choice(locations), customers, variations))
    payments = []
    for when, rng in _times(spec, "payments", counts, newest):
        payments.append(payment(rng, when, rng.choice(locations), customers))
    refunds = []
    completed = [p for p in payments if p["status"] == "COMPLETED"]
    rng = rng_for(spec.seed, "refunds")
    for paid in rng.sample(completed, min(len(completed), counts["refunds"])):
        refunds.append(refund(rng, paid, newest))
    refunds.sort(key=lambda r: r["created_at"])
    return {
        "locations": locations,
        "customers": customers,
        "catalog_items": items,
        "catalog_variations": variations,
        "orders": orders,
        "payments": payments,
        "refunds": refunds,
    }


def _times(
    spec: SeedSpec, resource: str, counts: dict[str, int], newest: int
) -> Iterator[tuple[float, random.Random]]:
    rng = rng_for(spec.seed, resource)
    for index, when in enumerate(spread_times(rng, counts[resource], newest, spec.span_days)):
        yield when + rng.random(), rng_for(spec.seed, resource, index)


def _made(
    spec: SeedSpec,
    resource: str,
    counts: dict[str, int],
    newest: int,
    make: Callable[[random.Random, float], dict[str, Any]],
) -> list[dict[str, Any]]:
    return [make(rng, when) for when, rng in _times(spec, resource, counts, newest)]


def _updated(rng: random.Random, created: float, newest: float) -> float:
    """Most objects change a little after they are made; some much later, but never after the
    moment of seeding: a change made afterwards must be newer than every seeded one (seeding
    just after midnight UTC once stamped orders hours into the future, so an incremental read
    from the newest mark missed an order changed through the API)."""
    later = rng.random() * (86_400 if rng.random() < 0.8 else 30 * 86_400)
    return min(newest - rng.random() * 60, created + later, time.time() - 1)


def location(rng: random.Random, merchant_id: str, index: int, newest: int) -> dict[str, Any]:
    """One location; the first is the main one, the last of several is inactive."""
    currency = "CAD" if index == 2 else "USD"
    return {
        "id": "L" + square_id(rng, 12),
        "name": "Main Street" if index == 0 else f"Branch {index}",
        "address": {"address_line_1": f"{100 + index} Harbour Rd", "locality": "Springfield",
                    "postal_code": f"{10000 + index}", "country": "CA" if currency == "CAD" else "US"},
        "timezone": "America/Toronto" if currency == "CAD" else "America/New_York",
        "capabilities": ["CREDIT_CARD_PROCESSING"],
        "status": "INACTIVE" if index == 3 else "ACTIVE",
        "created_at": rfc3339(newest - 800 * 86_400 + index * 86_400),
        "merchant_id": merchant_id,
        "country": "CA" if currency == "CAD" else "US",
        "language_code": "en-US",
        "currency": currency,
        "business_name": "Harbour Coffee",
        "type": "PHYSICAL",
        "business_email": f"shop{index}@harbour.example",
        "mcc": "5814",
    }  # fmt: skip


def customer(rng: random.Random, created: float) -> dict[str, Any]:
    """One customer profile."""
    given, family = rng.choice(_NAMES), rng.choice(_SURNAMES)
    email = f"{given}.{family}{rng.randint(1, 999)}@example.org".lower()
    return present({
        "id": square_id(rng, 26),
        "created_at": rfc3339(created),
        "updated_at": rfc3339(_updated(rng, created, created + 86_400)),
        "given_name": given,
        "family_name": family,
        "email_address": f" {email.title()} " if rng.random() < 0.1 else email,
        "phone_number": f"+1555{rng.randint(1000000, 9999999)}" if rng.random() < 0.7 else None,
        "address": {"address_line_1": f"{rng.randint(1, 99)} Elm St", "locality": "Springfield",
                    "postal_code": f"{rng.randint(10000, 99999)}", "country": "US"},
        "reference_id": f"crm-{rng.randint(1, 10**6)}" if rng.random() < 0.3 else None,
        "note": None,
        "preferences": {"email_unsubscribed": rng.random() < 0.1},
        "creation_source": rng.choice(["THIRD_PARTY", "DIRECTORY", "INSTANT_PROFILE"]),
        "version": 0,
    })  # fmt: skip


def catalog_item(rng: random.Random, created: float) -> tuple[dict[str, Any], list[dict]]:
    """An ITEM and its ITEM_VARIATIONs (embedded in the item and as objects of their own)."""
    item_id = square_id(rng, 24)
    name = rng.choice(_PRODUCTS) + f" #{rng.randint(1, 999)}"
    stamp = rfc3339(created)
    variations = []
    for ordinal in range(rng.randint(1, 3)):
        variations.append({
            "type": "ITEM_VARIATION", "id": square_id(rng, 24), "updated_at": stamp,
            "version": int(created * 1000), "is_deleted": False,
            "present_at_all_locations": True,
            "item_variation_data": {
                "item_id": item_id, "name": ("Small", "Medium", "Large")[ordinal],
                "sku": f"SKU-{rng.randint(10**5, 10**6)}", "ordinal": ordinal,
                "pricing_type": "FIXED_PRICING",
                "price_money": money(rng.randint(150, 1500), "USD"),
                "track_inventory": rng.random() < 0.5, "sellable": True, "stockable": True,
            },
        })  # fmt: skip
    item = {
        "type": "ITEM", "id": item_id, "updated_at": stamp,
        "version": int(created * 1000), "is_deleted": False, "present_at_all_locations": True,
        "item_data": {"name": name, "description": f"Our {name.lower()}", "is_taxable": True,
                      "product_type": "REGULAR", "variations": variations},
    }  # fmt: skip
    return item, variations


def order(
    rng: random.Random,
    created: float,
    place: dict[str, Any],
    customers: list[dict[str, Any]],
    variations: list[dict[str, Any]],
) -> dict[str, Any]:
    """An order with 1-4 line items at `place`."""
    currency = place["currency"]
    lines: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 4)):
        variation = rng.choice(variations) if variations else None
        price = rng.randint(150, 2500)
        quantity = rng.randint(1, 3)
        tax = price * quantity * 8 // 100
        lines.append(present({
            "uid": square_id(rng, 22), "name": rng.choice(_PRODUCTS), "quantity": str(quantity),
            "catalog_object_id": variation["id"] if variation else None,
            "variation_name": variation["item_variation_data"]["name"] if variation else None,
            "item_type": "ITEM", "base_price_money": money(price, currency),
            "gross_sales_money": money(price * quantity, currency),
            "total_tax_money": money(tax, currency), "total_discount_money": money(0, currency),
            "total_money": money(price * quantity + tax, currency),
        }))  # fmt: skip
    total = sum(line["total_money"]["amount"] for line in lines)
    taxes = sum(line["total_tax_money"]["amount"] for line in lines)
    state = rng.choices(["COMPLETED", "OPEN", "CANCELED", "DRAFT"], [70, 15, 10, 5])[0]
    updated = _updated(rng, created, created + 86_400)
    made = present({
        "id": square_id(rng, 27), "location_id": place["id"],
        "reference_id": f"ticket-{rng.randint(1, 99999)}", "source": {"name": "Point of Sale"},
        "customer_id": rng.choice(customers)["id"] if customers and rng.random() < 0.6 else None,
        "line_items": lines, "created_at": rfc3339(created), "updated_at": rfc3339(updated),
        "closed_at": rfc3339(updated) if state in ("COMPLETED", "CANCELED") else None,
        "state": state, "version": rng.randint(1, 4), "total_money": money(total, currency),
        "total_tax_money": money(taxes, currency), "total_discount_money": money(0, currency),
        "total_tip_money": money(0, currency), "total_service_charge_money": money(0, currency),
        "net_amount_due_money": money(0 if state == "COMPLETED" else total, currency),
    })  # fmt: skip
    if state == "COMPLETED":
        made["tenders"] = [tender(rng, made)]
    if rng.random() < 0.3:
        made["fulfillments"] = [fulfillment(rng, made)]
    return made


def tender(rng: random.Random, made: dict[str, Any]) -> dict[str, Any]:
    """How a completed order was paid: one card or cash tender for its total."""
    kind = rng.choices(["CARD", "CASH"], [80, 20])[0]
    paid: dict[str, Any] = {
        "id": square_id(rng, 24), "location_id": made["location_id"],
        "transaction_id": made["id"], "created_at": made["closed_at"],
        "amount_money": dict(made["total_money"]), "type": kind,
        "payment_id": square_id(rng, 29),
    }  # fmt: skip
    if "customer_id" in made:
        paid["customer_id"] = made["customer_id"]
    if kind == "CARD":
        paid["card_details"] = {"status": "CAPTURED", "entry_method": "EMV",
                                "card": {"card_brand": rng.choice(_BRANDS),
                                         "last_4": f"{rng.randint(0, 9999):04d}"}}  # fmt: skip
    else:
        paid["cash_details"] = {"buyer_tendered_money": dict(made["total_money"]),
                                "change_back_money": money(0, made["total_money"]["currency"])}  # fmt: skip
    return paid


def fulfillment(rng: random.Random, made: dict[str, Any]) -> dict[str, Any]:
    """A pickup: PROPOSED while the order is open, COMPLETED or CANCELED with it."""
    state = {"COMPLETED": "COMPLETED", "CANCELED": "CANCELED"}.get(made["state"], "PROPOSED")
    return {
        "uid": square_id(rng, 22), "type": "PICKUP", "state": state,
        "pickup_details": {"recipient": {"display_name": rng.choice(_NAMES)},
                           "pickup_at": made["created_at"], "schedule_type": "ASAP"},
    }  # fmt: skip


def payment(
    rng: random.Random, created: float, place: dict[str, Any], customers: list[dict[str, Any]]
) -> dict[str, Any]:
    """A payment at `place`: card mostly, cash or external sometimes."""
    currency = place["currency"]
    amount = rng.randint(100, 20_000)
    tip = rng.choice([0, 0, 100, 250])
    status = rng.choices(["COMPLETED", "APPROVED", "CANCELED", "FAILED"], [85, 5, 5, 5])[0]
    source = rng.choices(["CARD", "CASH", "EXTERNAL"], [80, 15, 5])[0]
    who = rng.choice(customers) if customers and rng.random() < 0.5 else None
    pid = square_id(rng, 29)
    body: dict[str, Any] = present({
        "id": pid, "created_at": rfc3339(created),
        "updated_at": rfc3339(_updated(rng, created, created + 86_400)),
        "amount_money": money(amount, currency), "tip_money": money(tip, currency),
        "total_money": money(amount + tip, currency),
        "approved_money": money(amount + tip, currency), "status": status, "source_type": source,
        "location_id": place["id"], "order_id": square_id(rng, 27),
        "customer_id": who["id"] if who else None,
        "buyer_email_address": who["email_address"].strip().lower() if who else None,
        "note": "Seeded payment" if rng.random() < 0.2 else None,
        "receipt_number": pid[:4], "receipt_url": f"https://squareup.com/receipt/preview/{pid}",
        "version_token": square_id(rng, 40), "delay_action": "CANCEL",
    })  # fmt: skip
    if status == "COMPLETED":
        fee = amount * 29 // 1000 + 30
        body["processing_fee"] = [
            {"effective_at": body["created_at"], "type": "INITIAL",
             "amount_money": money(fee, currency)}
        ]  # fmt: skip
    if source == "CARD":
        body["card_details"] = {
            "status": "CAPTURED" if status == "COMPLETED" else "AUTHORIZED",
            "card": {"card_brand": rng.choice(_BRANDS), "last_4": f"{rng.randint(0, 9999):04d}",
                     "exp_month": rng.randint(1, 12), "exp_year": 2030, "card_type": "CREDIT"},
            "entry_method": rng.choice(["KEYED", "SWIPED", "EMV", "CONTACTLESS"]),
        }  # fmt: skip
    elif source == "CASH":
        body["cash_details"] = {
            "buyer_supplied_money": money(amount + tip, currency),
            "change_back_money": money(0, currency),
        }
    return body


def refund(rng: random.Random, paid: dict[str, Any], newest: float) -> dict[str, Any]:
    """A refund of part or all of `paid`, after it."""
    from connectors.common.times import parse_iso

    made = min(newest - 1, parse_iso(paid["created_at"]) + rng.random() * 5 * 86_400)
    amount = paid["amount_money"]["amount"]
    part = amount if rng.random() < 0.5 else max(1, amount // 2)
    status = rng.choices(["COMPLETED", "PENDING", "FAILED"], [85, 10, 5])[0]
    return present({
        "id": paid["id"] + "_" + square_id(rng, 20), "status": status,
        "location_id": paid["location_id"],
        "amount_money": money(part, paid["amount_money"]["currency"]),
        "payment_id": paid["id"], "order_id": paid["order_id"],
        "reason": rng.choice(["Returned goods", "Wrong order", None]),
        "created_at": rfc3339(made), "updated_at": rfc3339(min(newest - 0.5, made + 3600)),
        "destination_type": paid["source_type"],
    })  # fmt: skip
