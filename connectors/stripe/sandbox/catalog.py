"""Seeded customers, products and prices."""

from __future__ import annotations

from connectors.sandbox.seeding import random_token
from connectors.stripe.sandbox.templates import TEMPLATES
from connectors.stripe.sandbox.values import (
    CURRENCIES,
    FIRST,
    LAST,
    PRODUCTS,
    Obj,
    SeedContext,
    amount_for,
)


def build_customers(ctx: SeedContext) -> list[Obj]:
    """Customers with names, unique emails, a preferred currency and some metadata."""
    rng, plan, tpl = ctx.rng("customers"), ctx.plans["customers"], TEMPLATES["customers"]
    out = []
    for i, (cid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        out.append(
            {
                **tpl,
                "id": cid,
                "created": created,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}.{i}@example.com",
                "currency": rng.choice(CURRENCIES),
                "invoice_prefix": random_token(rng, 8).upper(),
                "metadata": {"venue_customer": str(1000 + i)} if i % 3 == 0 else {},
            }
        )
    return out


def build_products(ctx: SeedContext) -> list[Obj]:
    """Products, each with its first price as default price."""
    rng, plan, tpl = ctx.rng("products"), ctx.plans["products"], TEMPLATES["products"]
    prices = ctx.plans["prices"]
    out = []
    for i, (pid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        label = PRODUCTS[i % len(PRODUCTS)]
        out.append(
            {
                **tpl,
                "id": pid,
                "created": created,
                "updated": created,
                "name": f"{label} {i + 1}",
                "description": None if i % 2 else f"{label}, standard",
                "active": rng.random() > 0.1,
                "default_price": prices.ids[i] if i < len(prices) else None,
                "package_dimensions": None,
            }
        )
    return out


def build_prices(ctx: SeedContext) -> list[Obj]:
    """One-time and monthly prices across currencies, spread over the products."""
    rng, plan, tpl = ctx.rng("prices"), ctx.plans["prices"], TEMPLATES["prices"]
    products = ctx.plans["products"]
    out = []
    for i, (pid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        currency = rng.choice(CURRENCIES)
        amount = amount_for(rng, currency)
        recurring = i % 2 == 1
        out.append(
            {
                **tpl,
                "id": pid,
                "created": created,
                "currency": currency,
                "product": products.ids[i % len(products)] if len(products) else None,
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
                "type": "recurring" if recurring else "one_time",
                "recurring": dict(tpl["recurring"]) if recurring else None,
                "custom_unit_amount": None,
                "transform_quantity": None,
            }
        )
    ctx.objects["prices"] = out
    return out
