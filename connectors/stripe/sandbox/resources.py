"""What the Stripe sandbox knows about each resource: ids, events, list filters, writable fields."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceInfo:
    """One Stripe resource as the sandbox serves it."""

    name: str  # URL segment: "charges"
    object: str  # the `object` field: "charge"
    id_prefix: str
    id_length: int
    event_prefix: str | None  # "charge" -> charge.updated; None: no events (balance transactions)
    filters: tuple[str, ...] = ()  # list filters matching a top-level field exactly
    creatable: frozenset[str] = field(default_factory=frozenset)
    updatable: frozenset[str] = field(default_factory=frozenset)
    deletable: bool = False


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


_COMMON = ("metadata", "expand")

RESOURCES: dict[str, ResourceInfo] = {
    r.name: r
    for r in [
        ResourceInfo(
            "customers", "customer", "cus_", 14, "customer", ("email",),
            creatable=_f(*_COMMON, "email", "name", "description", "phone", "address", "balance",
                         "currency", "shipping", "preferred_locales", "tax_exempt",
                         "invoice_prefix", "invoice_settings", "next_invoice_sequence"),
            updatable=_f(*_COMMON, "email", "name", "description", "phone", "address", "balance",
                         "shipping", "preferred_locales", "tax_exempt", "invoice_prefix",
                         "invoice_settings", "next_invoice_sequence"),
            deletable=True,
        ),
        ResourceInfo(
            "charges", "charge", "ch_", 24, "charge", ("customer", "payment_intent"),
            creatable=_f(*_COMMON, "amount", "currency", "customer", "description", "source",
                         "receipt_email", "capture", "statement_descriptor",
                         "statement_descriptor_suffix", "shipping", "transfer_group"),
            updatable=_f(*_COMMON, "description", "receipt_email", "shipping", "fraud_details",
                         "transfer_group"),
        ),
        ResourceInfo(
            "payment_intents", "payment_intent", "pi_", 24, "payment_intent", ("customer",),
        ),
        ResourceInfo(
            "refunds", "refund", "re_", 24, "refund", ("charge", "payment_intent"),
            creatable=_f(*_COMMON, "charge", "payment_intent", "amount", "reason"),
            updatable=_f(*_COMMON),
        ),
        ResourceInfo(
            "invoices", "invoice", "in_", 24, "invoice", ("customer", "status", "subscription"),
        ),
        ResourceInfo("payouts", "payout", "po_", 24, "payout", ("status",)),
        ResourceInfo(
            "balance_transactions", "balance_transaction", "txn_", 24, None,
            ("type", "source", "payout", "currency"),
        ),
        ResourceInfo("disputes", "dispute", "dp_", 24, "charge.dispute", ("charge", "payment_intent")),
        ResourceInfo(
            "products", "product", "prod_", 14, "product", ("active",),
            creatable=_f(*_COMMON, "name", "description", "active", "images", "shippable",
                         "statement_descriptor", "tax_code", "unit_label", "url", "id"),
            updatable=_f(*_COMMON, "name", "description", "active", "images", "shippable",
                         "statement_descriptor", "tax_code", "unit_label", "url",
                         "default_price"),
            deletable=True,
        ),
        ResourceInfo(
            "prices", "price", "price_", 24, "price", ("active", "product", "currency", "type"),
            creatable=_f(*_COMMON, "currency", "product", "unit_amount", "recurring", "nickname",
                         "lookup_key", "active", "tax_behavior", "billing_scheme"),
            updatable=_f(*_COMMON, "nickname", "lookup_key", "active", "tax_behavior"),
        ),
        ResourceInfo(
            "subscriptions", "subscription", "sub_", 24, "customer.subscription",
            ("customer", "status"),
        ),
        ResourceInfo("events", "event", "evt_", 24, None, ("type",)),
    ]
}  # fmt: skip

# form fields that Stripe takes as integers or booleans (everything else stays a string)
INTEGER_FIELDS = frozenset(
    {"amount", "balance", "unit_amount", "next_invoice_sequence", "quantity", "interval_count"}
)
BOOLEAN_FIELDS = frozenset({"active", "capture", "shippable", "livemode"})
ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd", "clp", "isk", "xof", "ugx", "pyg"})
EVENTS_RETENTION_SECONDS = 30 * 86_400
EVENT_TYPES_MAX = 20


def resource_for_id(object_id: str) -> ResourceInfo | None:
    """The resource whose ids look like `object_id`."""
    for info in RESOURCES.values():
        if object_id.startswith(info.id_prefix):
            return info
    return None
