"""The QuickBooks Online entities intsync reads, and the Accounting API's fixed numbers."""

from __future__ import annotations

from dataclasses import dataclass

PRODUCTION_API = "https://quickbooks.api.intuit.com"
DISCOVERY_PATH = "/.well-known/openid_configuration"
MINOR_VERSION = "75"
PAGE_SIZE = 1000  # the query endpoint's largest MAXRESULTS
CDC_CAP = 1000  # objects one CDC response holds at most, over all its entities
CDC_RETENTION_SECONDS = 30 * 24 * 3600  # CDC looks back at most 30 days
REQUESTS_PER_MINUTE = 500  # per realm, shared by every caller of that realm
MAX_CONCURRENT = 10  # requests in flight per realm and app
THROTTLE_WAIT_SECONDS = 60.0  # Intuit's advice after a 429 that names no wait


@dataclass(frozen=True)
class QuickBooksResource:
    """One readable entity: resource name (`invoices`) and QuickBooks entity (`Invoice`)."""

    name: str
    entity: str

    @property
    def read_path(self) -> str:
        """The single-entity path segment: `invoice`, `salesreceipt`."""
        return self.entity.lower()


RESOURCES: dict[str, QuickBooksResource] = {
    r.name: r
    for r in (
        QuickBooksResource("customers", "Customer"),
        QuickBooksResource("invoices", "Invoice"),
        QuickBooksResource("payments", "Payment"),
        QuickBooksResource("sales_receipts", "SalesReceipt"),
        QuickBooksResource("items", "Item"),
        QuickBooksResource("accounts", "Account"),
    )
}

# Transactions draw their Ids from one sequence per company; names lists each have their own.
TRANSACTIONS = frozenset({"Invoice", "Payment", "SalesReceipt"})
# Name lists: a query answers only their active entities unless it asks for the inactive ones
# (`Active IN (true, false)`); QuickBooks "deletes" them by making them inactive.
NAME_LISTS = frozenset({"Customer", "Item", "Account"})
