"""The Square resources intsync reads, and how each one is asked for."""

from __future__ import annotations

from dataclasses import dataclass

# Square's default `begin_time` is a year ago: the first read asks from before Square existed.
HISTORY_START = "2000-01-01T00:00:00.000Z"
LIST_PAGE = 100  # payments and refunds: 100 at most
ORDERS_PAGE = 500  # orders search: up to 1000
CUSTOMERS_PAGE = 100  # customers search: 100 at most
CATALOG_PAGE = 1000  # catalog search: up to 1000
ORDER_LOCATIONS = 10  # orders search takes at most 10 location ids
# Customers search cannot sort by updated_at: each read starts this far before the last mark,
# so that a customer changed while the previous read was paging is read again.
CUSTOMERS_OVERLAP = 600.0


@dataclass(frozen=True)
class SquareResource:
    """One readable resource: `kind` picks the reader, `path` the endpoint, `key` the list key."""

    name: str
    kind: str  # locations | per_location | orders | customers | catalog
    path: str
    key: str
    object_type: str | None = None  # catalog object type
    fetch_path: str | None = None  # GET one object: path with {id}
    fetch_key: str | None = None


RESOURCES: dict[str, SquareResource] = {
    r.name: r
    for r in (
        SquareResource("locations", "locations", "/v2/locations", "locations",
                       fetch_path="/v2/locations/{id}", fetch_key="location"),
        SquareResource("payments", "per_location", "/v2/payments", "payments",
                       fetch_path="/v2/payments/{id}", fetch_key="payment"),
        SquareResource("refunds", "per_location", "/v2/refunds", "refunds",
                       fetch_path="/v2/refunds/{id}", fetch_key="refund"),
        SquareResource("orders", "orders", "/v2/orders/search", "orders",
                       fetch_path="/v2/orders/{id}", fetch_key="order"),
        SquareResource("customers", "customers", "/v2/customers/search", "customers",
                       fetch_path="/v2/customers/{id}", fetch_key="customer"),
        SquareResource("catalog_items", "catalog", "/v2/catalog/search", "objects", "ITEM",
                       fetch_path="/v2/catalog/object/{id}", fetch_key="object"),
        SquareResource("catalog_variations", "catalog", "/v2/catalog/search", "objects",
                       "ITEM_VARIATION", fetch_path="/v2/catalog/object/{id}",
                       fetch_key="object"),
    )
}  # fmt: skip
