"""The Stripe resources intsync reads: list path, object type, and the events that change them."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 100  # Stripe's largest `limit`
EVENT_RETENTION_SECONDS = 30 * 24 * 3600  # /v1/events keeps 30 days
MAX_EVENT_TYPES = 20  # `types[]` takes at most 20


@dataclass(frozen=True)
class StripeResource:
    """One readable list. `event_types` are the `/v1/events` types whose `data.object` is one."""

    name: str
    path: str
    object: str
    event_types: tuple[str, ...] = ()
    list_params: tuple[tuple[str, str], ...] = ()


def _events(prefix: str, *suffixes: str) -> tuple[str, ...]:
    return tuple(f"{prefix}.{suffix}" for suffix in suffixes)


RESOURCES: dict[str, StripeResource] = {
    r.name: r
    for r in (
        StripeResource(
            "customers",
            "/v1/customers",
            "customer",
            _events("customer", "created", "updated", "deleted"),
        ),
        StripeResource(
            "charges",
            "/v1/charges",
            "charge",
            _events(
                "charge",
                "succeeded",
                "failed",
                "pending",
                "updated",
                "refunded",
                "captured",
                "expired",
            ),
        ),
        StripeResource(
            "payment_intents",
            "/v1/payment_intents",
            "payment_intent",
            _events(
                "payment_intent",
                "created",
                "succeeded",
                "canceled",
                "processing",
                "payment_failed",
                "requires_action",
                "amount_capturable_updated",
                "partially_funded",
            ),
        ),
        StripeResource(
            "refunds",
            "/v1/refunds",
            "refund",
            (*_events("refund", "created", "updated", "failed"), "charge.refund.updated"),
        ),
        StripeResource(
            "invoices",
            "/v1/invoices",
            "invoice",
            _events(
                "invoice",
                "created",
                "updated",
                "deleted",
                "finalized",
                "finalization_failed",
                "paid",
                "payment_succeeded",
                "payment_failed",
                "payment_action_required",
                "sent",
                "voided",
                "marked_uncollectible",
                "overdue",
                "will_be_due",
                "overpaid",
            ),
        ),
        StripeResource(
            "payouts",
            "/v1/payouts",
            "payout",
            _events(
                "payout",
                "created",
                "updated",
                "paid",
                "failed",
                "canceled",
                "reconciliation_completed",
            ),
        ),
        # Balance transactions never change once made: new ones by `created` are all there is.
        StripeResource("balance_transactions", "/v1/balance_transactions", "balance_transaction"),
        StripeResource(
            "disputes",
            "/v1/disputes",
            "dispute",
            _events(
                "charge.dispute",
                "created",
                "updated",
                "closed",
                "funds_withdrawn",
                "funds_reinstated",
            ),
        ),
        StripeResource(
            "products",
            "/v1/products",
            "product",
            _events("product", "created", "updated", "deleted"),
        ),
        StripeResource(
            "prices", "/v1/prices", "price", _events("price", "created", "updated", "deleted")
        ),
        StripeResource(
            "subscriptions",
            "/v1/subscriptions",
            "subscription",
            _events(
                "customer.subscription",
                "created",
                "updated",
                "deleted",
                "paused",
                "resumed",
                "pending_update_applied",
                "pending_update_expired",
                "trial_will_end",
            ),
            # Without it Stripe leaves canceled subscriptions out of the list.
            list_params=(("status", "all"),),
        ),
    )
}

# Object type -> resource name, for webhooks: "charge" -> "charges".
RESOURCE_BY_OBJECT: dict[str, str] = {r.object: r.name for r in RESOURCES.values()}

# `customer.subscription.deleted` means canceled: the subscription stays, with status canceled.
NOT_DELETIONS = frozenset({"customer.subscription.deleted"})


def is_deletion(event_type: str | None, obj: dict[str, object]) -> bool:
    """Whether an event (or a bare object, with `event_type` None) says the object is gone."""
    if obj.get("deleted") is True:
        return True
    return (
        event_type is not None
        and event_type.endswith(".deleted")
        and event_type not in NOT_DELETIONS
    )


assert all(len(r.event_types) <= MAX_EVENT_TYPES for r in RESOURCES.values())
