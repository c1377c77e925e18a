"""Shared pieces of Stripe seeding: id and amount makers, name pools, the seeding context."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from connectors.sandbox.seeding import random_token, rng_for, sortable_token
from connectors.stripe.sandbox.resources import RESOURCES, ZERO_DECIMAL

Obj = dict[str, Any]

CURRENCIES = ["usd"] * 12 + ["eur"] * 3 + ["gbp"] * 2 + ["jpy"] * 2 + ["cad"]
FIRST = ["Jenny", "Ava", "Noah", "Liam", "Mia", "Omar", "Yuki", "Lena", "Ravi", "Zoe", "Ana", "Kai"]
LAST = ["Rosen", "Smith", "Garcia", "Tanaka", "Okafor", "Müller", "Dubois", "Khan", "Silva", "Lee"]
BRANDS = [("visa", "4242"), ("visa", "1881"), ("mastercard", "4444"), ("amex", "8431")]
PRODUCTS = ["T-shirt", "Season pass", "Day ticket", "VIP upgrade", "Parking", "Poster", "Mug"]


def amount_for(rng: random.Random, currency: str) -> int:
    """A realistic amount in minor units (whole yen for zero-decimal currencies)."""
    major = rng.choice([5, 10, 12, 15, 20, 25, 35, 49, 60, 99, 120, 250])
    if currency in ZERO_DECIMAL:
        return major * 150
    return major * 100 + rng.choice([0, 0, 0, 50, 99])


def make_id(rng: random.Random, resource: str) -> str:
    """A Stripe-looking id for `resource` (`ch_` + 24 characters, `cus_` + 14, ...)."""
    info = RESOURCES[resource]
    return info.id_prefix + random_token(rng, info.id_length)


def make_live_id(rng: random.Random, resource: str, sequence: int) -> str:
    """An id for an object made after seeding: `1` + a sortable sequence, then random, so that
    objects made within one second list in the order they were made (as Stripe's ids do)."""
    info = RESOURCES[resource]
    head = "1" + sortable_token(sequence, 9)
    return info.id_prefix + head + random_token(rng, info.id_length - len(head))


@dataclass
class Plan:
    """Ids and created times (oldest first) of one resource, decided before objects are built."""

    ids: list[str]
    created: list[int]

    def __len__(self) -> int:
        return len(self.ids)


class ChargeFacts(NamedTuple):
    """The few fields of a seeded charge that other resources copy."""

    id: str
    created: int
    amount: int
    currency: str
    customer: str | None
    status: str
    payment_method: str
    description: str


@dataclass
class SeedContext:
    """What the resource builders of one account share."""

    seed: int
    anchor: int
    plans: dict[str, Plan]
    objects: dict[str, list[Obj]] = field(default_factory=dict)
    # per charge in plan order: what payment intents and balance transactions copy
    charges: list[ChargeFacts] = field(default_factory=list)
    # charge index -> refunds planned against it (amount, refund index); filled by the charge plan
    refunds_by_charge: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    disputed_charges: dict[int, int] = field(default_factory=dict)

    def rng(self, resource: str) -> random.Random:
        """The field-value stream of `resource`."""
        return rng_for(self.seed, resource, "fields")

    def pick(self, rng: random.Random, resource: str, share: float = 1.0) -> str | None:
        """A random id of `resource` (None with probability 1 - share, or when none exist)."""
        ids = self.plans[resource].ids
        if not ids or rng.random() >= share:
            return None
        return ids[rng.randrange(len(ids))]
