"""The durable store: every session and its latest checkpoint, in SQLite or PostgreSQL.

See ``app.store.store`` for the sessions, ``app.store.writer`` for how their writes are queued
and batched, ``app.store.database`` for the database, ``app.store.opening`` for the store the
settings name, ``app.store.models`` for the tables and ``app.store.migrations`` for their
history.
"""

from app.store.database import StoreError
from app.store.opening import migrate_cli, open_store, store_url
from app.store.store import Store, StoredSession
from app.store.writer import StoreStats

__all__ = [
    "Store",
    "StoreError",
    "StoreStats",
    "StoredSession",
    "migrate_cli",
    "open_store",
    "store_url",
]
