"""The warehouse engines, one class each: DuckDB (a file, one writer) and PostgreSQL (a server,
many writers). `warehouse.destinations.Warehouse(url)` picks one."""
