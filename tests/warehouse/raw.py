"""Everything a store holds, as raw bytes, for asserting that no secret is stored in clear."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def raw_store_bytes(database_url: str) -> bytes:
    """SQLite: the database, -wal and -shm files. PostgreSQL: every table's rows as JSON text."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            dumped = [
                row
                for table in list(tables)
                for row in conn.execute(
                    sa.text(f'SELECT row_to_json(t)::text FROM "{table}" t')
                ).scalars()
            ]
    finally:
        engine.dispose()
    return "\n".join(dumped).encode()
