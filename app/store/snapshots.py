"""A classroom's kept snapshots (issue 18) in the store: one row per classroom, replaced by
each new set and deleted when the teacher clears them, so that a page served by any web process
— or after a restart — shows the set the teacher took. Synchronous (called in a thread)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select

from app.store.models import classroom_snapshots
from app.store.store import Store


class KeptSnapshots:
    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, classroom_id: str, snapshots: list[dict[str, Any]]) -> None:
        """Keep ``snapshots`` as the classroom's set (the one before is gone)."""
        with self.store.transaction() as conn:
            t = classroom_snapshots
            conn.execute(delete(t).where(t.c.classroom_id == classroom_id))
            conn.execute(
                insert(t).values(
                    classroom_id=classroom_id, snapshots=snapshots, taken_at=datetime.now(UTC)
                )
            )

    def get(self, classroom_id: str) -> list[dict[str, Any]]:
        """The classroom's kept set ([] when none)."""
        t = classroom_snapshots
        with self.store.reading() as conn:
            got = conn.execute(
                select(t.c.snapshots).where(t.c.classroom_id == classroom_id)
            ).scalar_one_or_none()
        return list(got or [])

    def clear(self, classroom_id: str) -> None:
        with self.store.transaction() as conn:
            t = classroom_snapshots
            conn.execute(delete(t).where(t.c.classroom_id == classroom_id))
