"""Deterministic Stripe objects for the sandbox: a seed and counts give the same account every time.

Objects are built from Stripe's fixture templates (`templates`) with varied ids, amounts,
currencies (JPY among them, zero-decimal), customers, statuses and `created` times spread over
the two years before the seed's anchor. Links hold: charges point at seeded customers and payment
intents, refunds and disputes at charges (whose `amount_refunded` / `disputed` agree), prices at
products, invoices and subscriptions at customers and prices.

Events: seeded objects created in the 30 days before the anchor get a backdated creation event
(`customer.created`, `charge.succeeded`, ...) at their own `created` time; older ones get none,
as Stripe would have dropped them by now. Changes made after seeding record events at the
current time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator

from connectors.sandbox.seeding import SeedSpec, rng_for, spread_times
from connectors.stripe.sandbox.billing import (
    build_balance_transactions,
    build_invoices,
    build_payouts,
    build_subscriptions,
)
from connectors.stripe.sandbox.catalog import build_customers, build_prices, build_products
from connectors.stripe.sandbox.charges import (
    build_charges,
    build_disputes,
    build_payment_intents,
    build_refunds,
    plan_refunds_and_disputes,
)
from connectors.stripe.sandbox.events import event_type, make_event
from connectors.stripe.sandbox.resources import EVENTS_RETENTION_SECONDS
from connectors.stripe.sandbox.values import Obj, Plan, SeedContext, make_id

DEFAULT_COUNTS: dict[str, int] = {
    "customers": 50,
    "products": 8,
    "prices": 16,
    "charges": 200,
    "payment_intents": 100,
    "refunds": 20,
    "disputes": 4,
    "invoices": 40,
    "subscriptions": 20,
    "payouts": 24,
    "balance_transactions": 200,
}
SEEDED = tuple(DEFAULT_COUNTS)

_BUILDERS: dict[str, Callable[[SeedContext], Iterable[Obj]]] = {
    "customers": build_customers,
    "products": build_products,
    "prices": build_prices,
    "charges": build_charges,
    "payment_intents": build_payment_intents,
    "refunds": build_refunds,
    "disputes": build_disputes,
    "invoices": build_invoices,
    "subscriptions": build_subscriptions,
    "payouts": build_payouts,
    "balance_transactions": build_balance_transactions,
}


def effective_counts(spec: SeedSpec) -> dict[str, int]:
    """The spec's counts over the defaults; unknown resources raise ValueError."""
    unknown = sorted(set(spec.counts) - set(SEEDED))
    if unknown:
        raise ValueError(
            f"cannot seed Stripe resource {unknown[0]!r}: expected one of {', '.join(SEEDED)}"
        )
    return {name: max(0, int(spec.counts.get(name, DEFAULT_COUNTS[name]))) for name in SEEDED}


def seed_account(spec: SeedSpec) -> Iterator[tuple[str, Iterable[Obj]]]:
    """(resource, objects) for one account in seeding order, then ("events", backdated events).

    Objects stream out so that 200,000 charges never sit in memory as dicts: consume each
    resource's objects before moving on to the next one (later builders read what earlier ones
    left in the context).
    """
    counts = effective_counts(spec)
    anchor = spec.anchor()
    plans = {}
    for name in SEEDED:
        rng = rng_for(spec.seed, name, "plan")
        times = spread_times(rng, counts[name], anchor - 60, spec.span_days)
        plans[name] = Plan([make_id(rng, name) for _ in times], times)
    ctx = SeedContext(spec.seed, anchor, plans)
    plan_refunds_and_disputes(ctx)
    events: list[Obj] = []
    event_rng = rng_for(ctx.seed, "events", "plan")
    for name in SEEDED:
        yield name, _noting_events(ctx, name, _BUILDERS[name](ctx), events, event_rng)
    yield "events", events


def seed_objects(spec: SeedSpec) -> dict[str, list[Obj]]:
    """Every seeded object and event as lists (for small seeds and tests)."""
    return {name: list(objects) for name, objects in seed_account(spec)}


def _noting_events(
    ctx: SeedContext,
    resource: str,
    objects: Iterable[Obj],
    events: list[Obj],
    rng: random.Random,
) -> Iterator[Obj]:
    since = ctx.anchor - EVENTS_RETENTION_SECONDS
    for obj in objects:
        if obj["created"] >= since:
            kind = event_type(resource, "created", obj)
            if kind is not None:
                events.append(make_event(make_id(rng, "events"), kind, obj, obj["created"]))
        yield obj
