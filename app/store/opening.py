"""Opening the store the settings name (``BPP_DATABASE_URL``, or a SQLite file in
``data_dir``), and ``backprop-playground migrate``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.store.database import StoreError
from app.store.store import Store

if TYPE_CHECKING:
    from app.settings import Settings


def store_url(settings: Settings) -> str:
    """``BPP_DATABASE_URL``, or the SQLite file ``{data_dir}/playground.db``."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(settings.data_dir) / 'playground.db'}"


def open_store(settings: Settings) -> Store:
    """A store as the settings describe it (not yet migrated)."""
    return Store(
        store_url(settings),
        synchronous=settings.sqlite_synchronous,
        batch_max=settings.store_batch_max,
    )


def migrate_cli(settings: Settings) -> int:
    """``backprop-playground migrate``: bring the store's schema to head; the exit status."""
    store = open_store(settings)
    try:
        revision = store.migrate()
    except StoreError as exc:
        print(f"migrate: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        store.close()
    shown = store.url.render_as_string(hide_password=True)
    print(f"Store {shown}: schema at revision {revision}", flush=True)
    return 0
