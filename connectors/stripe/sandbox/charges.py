"""Seeded charges with their payment intents, refunds and disputes, consistent with each other."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

from connectors.sandbox.seeding import DAY, random_token, rng_for
from connectors.stripe.sandbox.templates import TEMPLATES
from connectors.stripe.sandbox.values import (
    BRANDS,
    CURRENCIES,
    ChargeFacts,
    Obj,
    SeedContext,
    amount_for,
)

_FAILED = {"failure_code": "card_declined", "failure_message": "Your card was declined."}


def charge_status(index: int) -> str:
    """Most charges succeed; a steady few fail or stay pending."""
    if index % 17 == 5:
        return "failed"
    if index % 53 == 7:
        return "pending"
    return "succeeded"


def plan_refunds_and_disputes(ctx: SeedContext) -> None:
    """Attach each planned refund and dispute to a succeeded charge created before it."""
    rng = rng_for(ctx.seed, "charges", "links")
    charges = ctx.plans["charges"]
    for kind, target in (("refunds", ctx.refunds_by_charge), ("disputes", None)):
        for k, created in enumerate(ctx.plans[kind].created):
            limit = bisect_right(charges.created, created)
            if limit == 0:
                continue
            index = rng.randrange(limit)
            if charge_status(index) != "succeeded":
                continue
            if target is not None:
                target.setdefault(index, []).append((k, 1 if rng.random() < 0.6 else 2))
            else:
                ctx.disputed_charges.setdefault(index, k)


def refund_amounts(amount: int, divisors: list[int]) -> list[int]:
    """Amounts of successive refunds (amount // divisor each, never past what is left)."""
    left, out = amount, []
    for divisor in divisors:
        part = min(left, amount // divisor)
        out.append(part)
        left -= part
    return out


def build_charges(ctx: SeedContext) -> Iterator[Obj]:
    """Charges, building their refunds and disputes alongside (left in ctx.objects)."""
    rng, plan, tpl = ctx.rng("charges"), ctx.plans["charges"], TEMPLATES["charges"]
    card_tpl = tpl["payment_method_details"]["card"]
    pis, bts = ctx.plans["payment_intents"], ctx.plans["balance_transactions"]
    first_pi_charge = len(plan) - min(len(plan), len(pis))
    refunds: list[Obj] = []
    disputes: list[Obj] = []
    for i, (cid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        status = charge_status(i)
        currency = rng.choice(CURRENCIES)
        amount = amount_for(rng, currency)
        brand, last4 = BRANDS[rng.randrange(len(BRANDS))]
        customer = ctx.pick(rng, "customers", 0.75)
        ok = status == "succeeded"
        charge = {
            **tpl,
            "id": cid,
            "created": created,
            "amount": amount,
            "amount_captured": amount if ok else 0,
            "currency": currency,
            "customer": customer,
            "status": status,
            "paid": ok,
            "captured": ok,
            "description": f"Order {10000 + i}",
            "receipt_email": f"buyer{i}@example.com" if customer else None,
            "balance_transaction": bts.ids[i] if ok and i < len(bts) else None,
            "payment_intent": pis.ids[i - first_pi_charge] if i >= first_pi_charge else None,
            "payment_method": "pm_" + random_token(rng, 24),
            "billing_details": {**tpl["billing_details"], "name": f"Card holder {i}"},
            "payment_method_details": {
                "card": {**card_tpl, "brand": brand, "network": brand, "last4": last4,
                         "exp_month": 1 + i % 12, "exp_year": 2027 + i % 5,
                         "fingerprint": random_token(rng, 16), "wallet": None,
                         "three_d_secure": None, "installments": None,
                         "overcapture": {"maximum_amount_capturable": amount,
                                         "status": "unavailable"}},
                "type": "card",
            },
            "outcome": {**tpl["outcome"], "network_status": "approved_by_network" if ok
                        else "declined_by_network", "type": "authorized" if ok else "issuer_declined",
                        "seller_message": "Payment complete." if ok else "The bank declined."},
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{random_token(rng, 40)}",
            "refunds": {"object": "list", "data": [], "has_more": False,
                        "url": f"/v1/charges/{cid}/refunds", "total_count": 0},
            "transfer_data": None,
            **({} if ok else _FAILED),
        }  # fmt: skip
        if i in ctx.refunds_by_charge:
            _attach_refunds(ctx, charge, ctx.refunds_by_charge[i], refunds)
        if i in ctx.disputed_charges:
            charge["disputed"] = True
            disputes.append(_dispute(ctx, charge, ctx.disputed_charges[i]))
        ctx.charges.append(
            ChargeFacts(cid, created, amount, currency, customer, status,
                        charge["payment_method"], charge["description"])
        )  # fmt: skip
        yield charge
    ctx.objects["refunds"] = sorted(refunds, key=lambda r: (r["created"], r["id"]))
    ctx.objects["disputes"] = sorted(disputes, key=lambda d: (d["created"], d["id"]))


def _attach_refunds(
    ctx: SeedContext, charge: Obj, planned: list[tuple[int, int]], refunds: list[Obj]
) -> None:
    plan = ctx.plans["refunds"]
    amounts = refund_amounts(charge["amount"], [divisor for _, divisor in planned])
    made = []
    for (k, _), amount in zip(planned, amounts, strict=True):
        if amount <= 0:
            continue
        made.append(
            {
                **TEMPLATES["refunds"],
                "id": plan.ids[k],
                "created": max(plan.created[k], charge["created"]),
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "currency": charge["currency"],
                "reason": "requested_by_customer",
                "status": "succeeded",
                "customer": charge["customer"],
                "destination_details": {"card": {"type": "refund"}, "type": "card"},
            }
        )
    refunds.extend(made)
    refunded = sum(r["amount"] for r in made)
    newest_first = sorted(made, key=lambda r: (r["created"], r["id"]), reverse=True)
    charge["amount_refunded"] = refunded
    charge["refunded"] = refunded >= charge["amount"]
    charge["refunds"] = {**charge["refunds"], "data": newest_first, "total_count": len(made)}


def _dispute(ctx: SeedContext, charge: Obj, k: int) -> Obj:
    plan = ctx.plans["disputes"]
    created = max(plan.created[k], charge["created"])
    return {
        **TEMPLATES["disputes"],
        "id": plan.ids[k],
        "created": created,
        "amount": charge["amount"],
        "currency": charge["currency"],
        "charge": charge["id"],
        "payment_intent": charge["payment_intent"],
        "status": "won" if created < ctx.anchor - 60 * DAY else "needs_response",
        "reason": "fraudulent" if k % 2 else "product_not_received",
        "evidence_details": {
            **TEMPLATES["disputes"]["evidence_details"],
            "due_by": created + 21 * DAY,
        },
    }


def build_payment_intents(ctx: SeedContext) -> list[Obj]:
    """Payment intents: the newest charges' own, then unpaid leftovers."""
    rng, plan, tpl = (
        ctx.rng("payment_intents"),
        ctx.plans["payment_intents"],
        TEMPLATES["payment_intents"],
    )
    charges = ctx.charges
    first = len(charges) - min(len(charges), len(plan))
    out = []
    for j, (pid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        charge = charges[first + j] if first + j < len(charges) else None
        if charge is not None:
            currency, amount, customer = charge.currency, charge.amount, charge.customer
            status = {"succeeded": "succeeded", "failed": "requires_payment_method"}.get(
                charge.status, "processing"
            )
            created = charge.created
        else:
            currency = rng.choice(CURRENCIES)
            amount, customer = amount_for(rng, currency), ctx.pick(rng, "customers", 0.5)
            status = "canceled" if j % 2 else "requires_payment_method"
        out.append(
            {
                **tpl,
                "id": pid,
                "created": created,
                "amount": amount,
                "amount_received": amount if status == "succeeded" else 0,
                "currency": currency,
                "customer": customer,
                "status": status,
                "latest_charge": charge.id if charge else None,
                "payment_method": charge.payment_method if charge else None,
                "client_secret": f"{pid}_secret_{random_token(rng, 25)}",
                "canceled_at": created + 3600 if status == "canceled" else None,
                "cancellation_reason": "abandoned" if status == "canceled" else None,
                "last_payment_error": None,
                "next_action": None,
                "processing": None,
                "transfer_data": None,
                "payment_method_configuration_details": None,
            }
        )
    return out


def build_refunds(ctx: SeedContext) -> list[Obj]:
    """The refunds built with their charges."""
    return ctx.objects.get("refunds", [])


def build_disputes(ctx: SeedContext) -> list[Obj]:
    """The disputes built with their charges."""
    return ctx.objects.get("disputes", [])
