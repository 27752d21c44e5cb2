"""An admin command's run on the store: open it, bring its schema to head, run the command,
close it; a refused field or a store that cannot be reached is one line on stderr and exit
status 1, never a traceback (``create-teacher``, ``lti …``, ``sso …``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from app.errors import FieldError
from app.settings import Settings
from app.store.database import StoreError
from app.store.opening import open_store
from app.store.store import Store


def on_store(settings: Settings, prefix: str, command: Callable[[Store], int]) -> int:
    """``command`` on the migrated store; its exit status (1 on a ``FieldError`` or a
    ``StoreError``, said on stderr after ``prefix``)."""
    store = open_store(settings)
    try:
        store.migrate()
        return command(store)
    except FieldError as exc:
        print(f"{prefix}: {exc.field}: {exc.message}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
