"""Deterministic QuickBooks entities for the sandbox: a seed and counts give the same company.

Customers, items and accounts each number their own Ids; invoices, sales receipts and payments
share one transaction sequence, as in QuickBooks. Invoices and sales receipts sell seeded items to
seeded customers; payments pay seeded invoices (whose Balance they reduce), and each customer's
Balance is what their invoices leave open. Fields with nothing in them are left out. Amounts are decimals
with two places; times carry the company's UTC offset, as QuickBooks writes them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from connectors.sandbox.seeding import DAY, SeedSpec, rng_for, spread_times

Obj = dict[str, Any]
DEFAULT_COUNTS: dict[str, int] = {
    "customers": 40,
    "items": 12,
    "accounts": 10,
    "invoices": 120,
    "sales_receipts": 40,
    "payments": 60,
}
SEEDED = tuple(DEFAULT_COUNTS)
COMPANY_OFFSET = timezone(timedelta(hours=-7))
CURRENCY = {"value": "USD", "name": "United States Dollar"}
_FIRST = ("Amy", "Bill", "Cathy", "Dylan", "Erin", "Farid", "Gita", "Hugo", "Ines", "Jon")
_LAST = ("Lee", "Okafor", "Silva", "Novak", "Haddad", "Kim", "Moreau", "Quinn", "Rossi", "Berg")
_ITEMS = ("Design", "Gardening", "Pest Control", "Rocks", "Sprinklers", "Installation", "Hours")
_ACCOUNTS = (
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue"),
    ("Services", "Income", "ServiceFeeIncome", "Revenue"),
    ("Checking", "Bank", "Checking", "Asset"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset"),
)


def stamp(unix_seconds: float) -> str:
    """QuickBooks' time text in the company's offset: `2026-03-01T09:15:00-07:00`."""
    return datetime.fromtimestamp(int(unix_seconds), UTC).astimezone(COMPANY_OFFSET).isoformat()


def day(unix_seconds: float) -> str:
    """The company's local date: `2026-03-01`."""
    return stamp(unix_seconds)[:10]


def meta(created: int, updated: int | None = None) -> Obj:
    """`MetaData` with CreateTime and LastUpdatedTime."""
    return {"CreateTime": stamp(created), "LastUpdatedTime": stamp(updated or created)}


def effective_counts(spec: SeedSpec) -> dict[str, int]:
    """The spec's counts over the defaults."""
    unknown = sorted(set(spec.counts) - set(SEEDED))
    if unknown:
        raise ValueError(
            f"cannot seed QuickBooks resource {unknown[0]!r}: expected one of {', '.join(SEEDED)}"
        )
    return {name: max(0, int(spec.counts.get(name, n))) for name, n in DEFAULT_COUNTS.items()}


def seed_company(spec: SeedSpec) -> Iterator[tuple[str, list[Obj]]]:
    """(entity, objects) for one company: Account, Item, Customer, then the transactions."""
    counts = effective_counts(spec)
    newest = spec.anchor()
    accounts = _accounts(rng_for(spec.seed, "accounts"), counts["accounts"], newest, spec)
    items = _items(rng_for(spec.seed, "items"), counts["items"], newest, spec)
    customers = _customers(rng_for(spec.seed, "customers"), counts["customers"], newest, spec)
    transactions = list(_transactions(spec, counts, newest, items, customers))
    owed: dict[str, float] = {}
    for entity, objects in transactions:
        for invoice in objects if entity == "Invoice" else ():
            if "CustomerRef" in invoice:
                who = invoice["CustomerRef"]["value"]
                owed[who] = owed.get(who, 0.0) + invoice["Balance"]
    for customer in customers:
        # what the customer owes: the sum of their invoices' open balances, as QuickBooks keeps it
        customer["Balance"] = customer["BalanceWithJobs"] = round(owed.get(customer["Id"], 0.0), 2)
    yield "Account", accounts
    yield "Item", items
    yield "Customer", customers
    yield from transactions


def _times(rng: random.Random, count: int, newest: int, spec: SeedSpec) -> list[tuple[int, int]]:
    created = spread_times(rng, count, newest - DAY, spec.span_days)
    return [(c, min(newest, c + int(rng.random() * 5 * DAY))) for c in created]


def _accounts(rng: random.Random, count: int, newest: int, spec: SeedSpec) -> list[Obj]:
    out = []
    for i, (created, updated) in enumerate(_times(rng, count, newest, spec)):
        name, kind, sub, classification = _ACCOUNTS[i % len(_ACCOUNTS)]
        name = name if i < len(_ACCOUNTS) else f"{name} {i // len(_ACCOUNTS) + 1}"
        out.append(
            {"Id": str(i + 1), "Name": name, "FullyQualifiedName": name, "AccountType": kind,
             "AccountSubType": sub, "Classification": classification, "Active": True,
             "CurrentBalance": round(rng.uniform(-500, 20000), 2), "CurrencyRef": CURRENCY,
             "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": meta(created, updated)}
        )  # fmt: skip
    return out


def _items(rng: random.Random, count: int, newest: int, spec: SeedSpec) -> list[Obj]:
    out = []
    for i, (created, updated) in enumerate(_times(rng, count, newest, spec)):
        name = _ITEMS[i % len(_ITEMS)] + ("" if i < len(_ITEMS) else f" {i // len(_ITEMS) + 1}")
        out.append(
            {"Id": str(i + 1), "Name": name, "FullyQualifiedName": name,
             "Type": rng.choice(("Service", "Inventory", "NonInventory")),
             "UnitPrice": round(rng.uniform(5, 400), 2), "Taxable": rng.random() < 0.5,
             "Description": f"{name} for the garden", "Active": rng.random() < 0.95,
             "Sku": f"GS-{i + 1:04d}",
             "IncomeAccountRef": {"value": "1", "name": _ACCOUNTS[0][0]},
             "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": meta(created, updated)}
        )  # fmt: skip
    return out


def _customers(rng: random.Random, count: int, newest: int, spec: SeedSpec) -> list[Obj]:
    out = []
    for i, (created, updated) in enumerate(_times(rng, count, newest, spec)):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        name = f"{first} {last} {i + 1}"
        out.append(
            {"Id": str(i + 1), "DisplayName": name, "GivenName": first, "FamilyName": last,
             **({"CompanyName": f"{last} Landscaping"} if rng.random() < 0.4 else {}),
             "PrimaryEmailAddr": {"Address": f"{first}.{last}{i + 1}@Example.com"},
             "PrimaryPhone": {"FreeFormNumber": f"(555) 555-{1000 + i % 9000}"},
             "BillAddr": {"Line1": f"{i + 10} Main St", "City": "Half Moon Bay",
                          "CountrySubDivisionCode": "CA", "PostalCode": "94213", "Country": "US"},
             "Balance": 0.0, "Active": rng.random() < 0.95, "Taxable": rng.random() < 0.5,
             "CurrencyRef": CURRENCY, "SyncToken": "0", "domain": "QBO", "sparse": False,
             "MetaData": meta(created, updated)}
        )  # fmt: skip
    return out


def _transactions(
    spec: SeedSpec, counts: dict[str, int], newest: int, items: list[Obj], customers: list[Obj]
) -> Iterator[tuple[str, list[Obj]]]:
    rng = rng_for(spec.seed, "transactions")
    kinds = (
        ["Invoice"] * counts["invoices"]
        + ["SalesReceipt"] * counts["sales_receipts"]
        + ["Payment"] * counts["payments"]
    )
    rng.shuffle(kinds)
    times = _times(rng, len(kinds), newest, spec)
    made: dict[str, list[Obj]] = {"Invoice": [], "SalesReceipt": [], "Payment": []}
    payable: list[Obj] = []
    for n, (kind, (created, updated)) in enumerate(zip(kinds, times, strict=True)):
        txn_id = str(n + 1)
        if kind == "Payment" and not payable:
            kind = "SalesReceipt"
        if kind == "Payment":
            invoice = payable.pop(rng.randrange(len(payable)))
            made[kind].append(_payment(rng, txn_id, invoice, created, updated))
        else:
            sale = _sale(rng, kind, txn_id, items, customers, created, updated)
            made[kind].append(sale)
            if kind == "Invoice":
                payable.append(sale)
    yield "Invoice", made["Invoice"]
    yield "SalesReceipt", made["SalesReceipt"]
    yield "Payment", made["Payment"]


def _sale(
    rng: random.Random,
    kind: str,
    txn_id: str,
    items: list[Obj],
    customers: list[Obj],
    created: int,
    updated: int,
) -> Obj:
    lines: list[Obj] = []
    for n in range(rng.randint(1, 4) if items else 0):
        item = rng.choice(items)
        qty = rng.randint(1, 5)
        amount = round(qty * item["UnitPrice"], 2)
        lines.append(
            {"Id": str(n + 1), "LineNum": n + 1, "Amount": amount, "Description": item["Name"],
             "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": {"value": item["Id"], "name": item["Name"]},
                                     "Qty": qty, "UnitPrice": item["UnitPrice"]}}
        )  # fmt: skip
    subtotal = round(sum(line["Amount"] for line in lines), 2)
    lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    tax = round(subtotal * 0.08, 2) if rng.random() < 0.5 else 0.0
    total = round(subtotal + tax, 2)
    customer = rng.choice(customers) if customers else None
    sale: Obj = {
        "Id": txn_id, "SyncToken": "0", "domain": "QBO", "sparse": False,
        "DocNumber": f"{1000 + int(txn_id)}", "TxnDate": day(created),
        "Line": lines, "TxnTaxDetail": {"TotalTax": tax}, "TotalAmt": total,
        "CurrencyRef": CURRENCY, "MetaData": meta(created, updated),
    }  # fmt: skip
    if customer:
        sale["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    note = rng.choice((None, "Spring order", "Repeat customer"))
    if note:  # QuickBooks leaves an empty field out
        sale["PrivateNote"] = note
    if kind == "Invoice":
        sale["DueDate"] = day(created + 30 * DAY)
        sale["Balance"] = total
        sale["EmailStatus"] = rng.choice(("NotSet", "NeedToSend", "EmailSent"))
        if customer:
            sale["BillEmail"] = customer["PrimaryEmailAddr"]
    else:
        sale["Balance"] = 0.0
        sale["PaymentMethodRef"] = rng.choice(
            ({"value": "1", "name": "Cash"}, {"value": "2", "name": "Visa"})
        )
    return sale


def _payment(rng: random.Random, txn_id: str, invoice: Obj, created: int, updated: int) -> Obj:
    full = rng.random() < 0.7
    amount = invoice["TotalAmt"] if full else round(invoice["TotalAmt"] / 2, 2)
    invoice["Balance"] = round(invoice["TotalAmt"] - amount, 2)
    paid: Obj = {
        "Id": txn_id, "SyncToken": "0", "domain": "QBO", "sparse": False,
        "TxnDate": day(created), "TotalAmt": amount,
        "UnappliedAmt": 0.0, "PaymentRefNum": f"P{txn_id}", "ProcessPayment": False,
        "DepositToAccountRef": {"value": "4", "name": "Undeposited Funds"},
        "Line": [{"Amount": amount,
                  "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        "CurrencyRef": CURRENCY, "MetaData": meta(created, updated),
    }  # fmt: skip
    if "CustomerRef" in invoice:
        paid["CustomerRef"] = invoice["CustomerRef"]
    return paid
