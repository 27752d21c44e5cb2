"""The durable store: every session and its latest checkpoint, in SQLite or PostgreSQL.

See ``app.store.store`` for how writes are queued and batched, ``app.store.models`` for the
tables and ``app.store.migrations`` for their history.
"""

from app.store.store import (
    Store,
    StoredSession,
    StoreError,
    StoreStats,
    migrate_cli,
    open_store,
    store_url,
)

__all__ = [
    "Store",
    "StoreError",
    "StoreStats",
    "StoredSession",
    "migrate_cli",
    "open_store",
    "store_url",
]
