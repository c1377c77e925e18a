"""The warehouse engines, one class each: DuckDB (a file, one writer) and PostgreSQL (a server,
many writers). Each adds itself to `warehouse.destinations.Warehouse`, which makes one by URL."""

from warehouse.engines.duckdb import DuckDBWarehouse
from warehouse.engines.postgres import PostgresWarehouse

__all__ = ["DuckDBWarehouse", "PostgresWarehouse"]
