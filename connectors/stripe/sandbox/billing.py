"""Seeded invoices (with lines), subscriptions, payouts and balance transactions."""

from __future__ import annotations

from connectors.sandbox.seeding import DAY, random_token
from connectors.stripe.sandbox.templates import TEMPLATES
from connectors.stripe.sandbox.values import CURRENCIES, Obj, SeedContext, amount_for

_INVOICE_STATUS = ["paid"] * 14 + ["open"] * 3 + ["draft", "void", "uncollectible"]
_SUB_STATUS = ["active"] * 14 + ["canceled"] * 3 + ["past_due", "trialing", "trialing"]


def build_invoices(ctx: SeedContext) -> list[Obj]:
    """Invoices of 1-3 lines, statuses and amounts that agree."""
    rng, plan, tpl = ctx.rng("invoices"), ctx.plans["invoices"], TEMPLATES["invoices"]
    line_tpl = TEMPLATES["line_items"]
    out = []
    for i, (iid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        currency = rng.choice(CURRENCIES)
        status = _INVOICE_STATUS[rng.randrange(len(_INVOICE_STATUS))]
        subscription = ctx.pick(rng, "subscriptions", 0.4)
        lines = []
        for n in range(1 + rng.randrange(3)):
            amount = amount_for(rng, currency)
            lines.append(
                {
                    **line_tpl,
                    "id": "il_" + random_token(rng, 24),
                    "invoice": iid,
                    "amount": amount,
                    "subtotal": amount,
                    "currency": currency,
                    "description": f"Line {n + 1} of invoice {i + 1}",
                    "period": {"start": created, "end": created},
                    "parent": None,
                    "subscription": subscription,
                }
            )
        total = sum(line["amount"] for line in lines)
        paid = total if status == "paid" else 0
        out.append(
            {
                **tpl,
                "id": iid,
                "created": created,
                "currency": currency,
                "customer": ctx.pick(rng, "customers"),
                "billing_reason": "subscription_cycle" if subscription else "manual",
                "status": status,
                "number": None if status == "draft" else f"INV-{i + 1:05d}",
                "amount_due": total,
                "amount_paid": paid,
                "amount_remaining": total - paid,
                "subtotal": total,
                "subtotal_excluding_tax": total,
                "total": total,
                "total_excluding_tax": total,
                "amount_overpaid": 0,
                "attempted": status != "draft",
                "attempt_count": 0 if status == "draft" else 1,
                "period_start": created,
                "period_end": created,
                "effective_at": None if status == "draft" else created,
                "due_date": None,
                "next_payment_attempt": None,
                "webhooks_delivered_at": created,
                "shipping_cost": None,
                "from_invoice": None,
                "last_finalization_error": None,
                "parent": _parent(subscription),
                "status_transitions": {
                    **tpl["status_transitions"],
                    "finalized_at": None if status == "draft" else created,
                    "paid_at": created + 60 if status == "paid" else None,
                },
                "lines": {
                    "object": "list",
                    "data": lines,
                    "has_more": False,
                    "total_count": len(lines),
                    "url": f"/v1/invoices/{iid}/lines",
                },
            }
        )
        # the SDK's Invoice has no top-level `subscription` (Stripe's example object still
        # does): the subscription is named under `parent`
        out[-1].pop("subscription", None)
    return out


def _parent(subscription: str | None) -> Obj | None:
    """An invoice's `parent`: the subscription it bills, as the SDK's Invoice.Parent has it."""
    if subscription is None:
        return None
    details: Obj = {
        "metadata": {},
        "subscription": subscription,
        "subscription_proration_date": None,
    }
    return {"type": "subscription_details", "quote_details": None,
            "subscription_details": details}  # fmt: skip


def build_subscriptions(ctx: SeedContext) -> list[Obj]:
    """Subscriptions on recurring prices, one item each."""
    rng, plan, tpl = (
        ctx.rng("subscriptions"),
        ctx.plans["subscriptions"],
        TEMPLATES["subscriptions"],
    )
    recurring = [p for p in ctx.objects.get("prices", []) if p["type"] == "recurring"]
    out = []
    for sid, created in zip(plan.ids, plan.created, strict=True):
        status = _SUB_STATUS[rng.randrange(len(_SUB_STATUS))]
        period_start = created + ((ctx.anchor - created) // (30 * DAY)) * 30 * DAY
        items = []
        if recurring:
            price = recurring[rng.randrange(len(recurring))]
            items.append(
                {
                    **TEMPLATES["subscription_items"],
                    "id": "si_" + random_token(rng, 14),
                    "created": created,
                    "price": price,
                    "subscription": sid,
                    "current_period_start": period_start,
                    "current_period_end": period_start + 30 * DAY,
                    "billing_thresholds": None,
                }
            )
        canceled = status == "canceled"
        out.append(
            {
                **tpl,
                "id": sid,
                "created": created,
                "customer": ctx.pick(rng, "customers"),
                "currency": items[0]["price"]["currency"] if items else "usd",
                "status": status,
                "start_date": created,
                "billing_cycle_anchor": created,
                "billing_cycle_anchor_config": None,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": period_start if canceled else None,
                "ended_at": period_start if canceled else None,
                "trial_start": created if status == "trialing" else None,
                "trial_end": created + 14 * DAY if status == "trialing" else None,
                "next_pending_invoice_item_invoice": None,
                "pause_collection": None,
                "transfer_data": None,
                "billing_schedules": [],
                "items": {
                    "object": "list",
                    "data": items,
                    "has_more": False,
                    "total_count": len(items),
                    "url": f"/v1/subscription_items?subscription={sid}",
                },
            }
        )
    return out


def build_payouts(ctx: SeedContext) -> list[Obj]:
    """Payouts to a bank account, paid two days after creation (recent ones in transit)."""
    rng, plan, tpl = ctx.rng("payouts"), ctx.plans["payouts"], TEMPLATES["payouts"]
    out = []
    for pid, created in zip(plan.ids, plan.created, strict=True):
        currency = rng.choice(CURRENCIES)
        arrival = created + 2 * DAY
        out.append(
            {
                **tpl,
                "id": pid,
                "created": created,
                "currency": currency,
                "amount": amount_for(rng, currency) * 20,
                "arrival_date": arrival,
                "status": "paid" if arrival < ctx.anchor else "in_transit",
                "balance_transaction": "txn_" + random_token(rng, 24),
                "destination": "ba_" + random_token(rng, 24),
                "trace_id": None,
            }
        )
    return out


def build_balance_transactions(ctx: SeedContext) -> list[Obj]:
    """One balance transaction per succeeded charge (same index), then fees."""
    rng, plan, tpl = (
        ctx.rng("balance_transactions"),
        ctx.plans["balance_transactions"],
        TEMPLATES["balance_transactions"],
    )
    charges = ctx.charges
    out = []
    for j, (tid, created) in enumerate(zip(plan.ids, plan.created, strict=True)):
        charge = charges[j] if j < len(charges) and charges[j].status == "succeeded" else None
        if charge is not None:
            amount, currency, created = charge.amount, charge.currency, charge.created
            fee = amount * 29 // 1000 + (0 if currency == "jpy" else 30)
            kind, source, description = "charge", charge.id, charge.description
        else:
            currency = rng.choice(CURRENCIES)
            amount = -(amount_for(rng, currency) // 10)
            fee, kind, source, description = 0, "stripe_fee", None, "Billing - Usage Fee"
        available = created + 2 * DAY
        out.append(
            {
                **tpl,
                "id": tid,
                "created": created,
                "amount": amount,
                "currency": currency,
                "fee": fee,
                "fee_details": [
                    {"amount": fee, "application": None, "currency": currency,
                     "description": "Stripe processing fees", "type": "stripe_fee"}
                ] if fee else [],
                "net": amount - fee,
                "type": kind,
                "reporting_category": "charge" if kind == "charge" else "fee",
                "source": source,
                "description": description,
                "available_on": available,
                "status": "available" if available < ctx.anchor else "pending",
            }
        )  # fmt: skip
    return out
