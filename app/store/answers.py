"""Students' answers to an activity's steps (issue 18): one row per seat and step.

A row is made when the step opens for the seat (``open``: its ``opened_at`` times the answer)
and each attempt updates it in one committed transaction before the reply leaves (``record``),
so an answer the student saw accepted survives ``kill -9``. Every method is synchronous (the
routers call them in a thread).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.store.models import answers, seats
from app.store.store import Store


@dataclass(frozen=True)
class Answer:
    id: int
    classroom_id: str
    seat_id: str
    step: int
    kind: str
    answer: dict[str, Any] | None
    correct: bool | None
    attempts: int
    seconds: float | None
    opened_at: datetime
    answered_at: datetime | None

    def json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("opened_at", "answered_at"):
            d[k] = d[k].isoformat() if d[k] is not None else None
        return d


def _make(row: Any) -> Answer:
    m = row._mapping
    return Answer(**{f.name: m[f.name] for f in fields(Answer)})


# ``record``'s arguments: (classroom_id, seat_id, step, kind, answer, correct)
Attempt = tuple[str, str, int, str, dict[str, Any], bool | None]


def _record(
    conn: Any,
    classroom_id: str,
    seat_id: str,
    step: int,
    kind: str,
    answer: dict[str, Any],
    correct: bool | None,
) -> Answer:
    """``Answers.record`` inside the open transaction ``conn``."""
    now = datetime.now(UTC)
    where = (answers.c.seat_id == seat_id, answers.c.step == step)
    values: dict[str, Any]
    row = conn.execute(
        select(answers.c.id, answers.c.opened_at, answers.c.attempts).where(*where)
    ).first()
    if row is None:  # never opened for this seat: timed from now
        opened_at, attempts = now, 0
        values = {"classroom_id": classroom_id, "seat_id": seat_id, "step": step}
    else:
        opened_at, attempts, values = row.opened_at, row.attempts, {}
    seconds = max(0.0, (now - opened_at).total_seconds())
    values |= {
        "kind": kind,
        "answer": answer,
        "correct": correct,
        "attempts": attempts + 1,
        "seconds": seconds,
        "opened_at": opened_at,
        "answered_at": now,
    }
    if row is None:
        made = conn.execute(insert(answers).values(**values)).inserted_primary_key
        answer_id = int(made[0]) if made else 0
    else:
        answer_id = row.id
        conn.execute(update(answers).where(*where).values(**values))
    return Answer(
        id=answer_id,
        classroom_id=classroom_id,
        seat_id=seat_id,
        step=step,
        kind=kind,
        answer=answer,
        correct=correct,
        attempts=attempts + 1,
        seconds=seconds,
        opened_at=opened_at,
        answered_at=now,
    )


class Answers:
    def __init__(self, store: Store) -> None:
        self.store = store

    def open(
        self, classroom_id: str, seat_ids: list[str], step: int, kind: str, when: datetime | None
    ) -> None:
        """Make the rows of ``seat_ids`` for ``step`` where there are none yet (opening a step
        again keeps each seat's first ``opened_at`` and its answer)."""
        if not seat_ids:
            return
        when = when or datetime.now(UTC)
        with self.store.transaction() as conn:
            have = set(
                conn.execute(
                    select(answers.c.seat_id).where(
                        answers.c.step == step, answers.c.seat_id.in_(seat_ids)
                    )
                ).scalars()
            )
            rows = [
                {
                    "classroom_id": classroom_id,
                    "seat_id": s,
                    "step": step,
                    "kind": kind,
                    "answer": None,
                    "correct": None,
                    "attempts": 0,
                    "seconds": None,
                    "opened_at": when,
                    "answered_at": None,
                }
                for s in seat_ids
                if s not in have
            ]
            if rows:
                try:
                    conn.execute(insert(answers), rows)
                except IntegrityError:  # pragma: no cover - a concurrent open made them
                    pass

    def get(self, seat_id: str, step: int) -> Answer | None:
        with self.store.reading() as conn:
            row = conn.execute(
                select(answers).where(answers.c.seat_id == seat_id, answers.c.step == step)
            ).first()
        return _make(row) if row else None

    def get_many(self, keys: list[tuple[str, int]]) -> list[Answer | None]:
        """``get`` of every (seat, step) in ``keys``, in one query; in the order of ``keys``."""
        if not keys:
            return []
        seat_ids = sorted({s for s, _ in keys})
        steps = sorted({n for _, n in keys})
        with self.store.reading() as conn:
            rows = conn.execute(
                select(answers).where(answers.c.seat_id.in_(seat_ids), answers.c.step.in_(steps))
            )
            found = {(a.seat_id, a.step): a for a in map(_make, rows)}
        return [found.get(k) for k in keys]

    def record(
        self,
        classroom_id: str,
        seat_id: str,
        step: int,
        kind: str,
        answer: dict[str, Any],
        correct: bool | None,
    ) -> Answer:
        """One more attempt: the answer and its verdict replace the last, ``attempts`` grows,
        ``seconds`` counts from the step's opening for this seat. One transaction, committed
        when it returns."""
        with self.store.transaction() as conn:
            return _record(conn, classroom_id, seat_id, step, kind, answer, correct)

    def record_many(self, attempts: list[Attempt]) -> list[Answer]:
        """``record`` of each attempt in turn (the same rows as calling it once per attempt, in
        this order), in one transaction: a class answering at once commits once, not once per
        student (``app.classroom.batching``). Committed when it returns; all or none."""
        if not attempts:
            return []
        with self.store.transaction() as conn:
            return [_record(conn, *a) for a in attempts]

    def set_unanswered_expected(
        self, classroom_id: str, seat_id: str, step: int, kind: str, expected: dict[str, Any]
    ) -> None:
        """Keep the expected value of a seat that never answered ``step`` (the teacher's reveal
        shows it to them): the row's ``answer`` holds only ``expected``; ``attempts`` stays 0,
        so it counts as unanswered everywhere. A row with an attempt is left as it is."""
        where = (answers.c.seat_id == seat_id, answers.c.step == step)
        with self.store.transaction() as conn:
            row = conn.execute(select(answers.c.attempts).where(*where)).first()
            if row is None:
                conn.execute(
                    insert(answers).values(
                        classroom_id=classroom_id,
                        seat_id=seat_id,
                        step=step,
                        kind=kind,
                        answer=expected,
                        correct=None,
                        attempts=0,
                        seconds=None,
                        opened_at=datetime.now(UTC),
                        answered_at=None,
                    )
                )
            elif row.attempts == 0:
                conn.execute(update(answers).where(*where).values(answer=expected))

    def of_step(self, classroom_id: str, step: int) -> list[Answer]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(answers)
                .where(answers.c.classroom_id == classroom_id, answers.c.step == step)
                .order_by(answers.c.id)
            )
            return [_make(r) for r in rows]

    def of_seat(self, seat_id: str) -> list[Answer]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(answers).where(answers.c.seat_id == seat_id).order_by(answers.c.step)
            )
            return [_make(r) for r in rows]

    def of_classroom(self, classroom_id: str) -> list[Answer]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(answers)
                .where(answers.c.classroom_id == classroom_id)
                .order_by(answers.c.step, answers.c.id)
            )
            return [_make(r) for r in rows]

    # ---- where a self-paced student is ----------------------------------------------------------

    def seat_step(self, seat_id: str) -> int | None:
        with self.store.reading() as conn:
            return conn.execute(select(seats.c.step).where(seats.c.id == seat_id)).scalar()

    def set_seat_step(self, seat_ids: list[str], step: int | None) -> None:
        if not seat_ids:
            return
        with self.store.transaction() as conn:
            conn.execute(update(seats).where(seats.c.id.in_(seat_ids)).values(step=step))
