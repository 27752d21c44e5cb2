"""A class answering at once (issue 18's benchmark): the answers' store work is batched
(``app.classroom.batching``), and the batched path must give exactly what the one-at-a-time
path gives: ``Answers.record_many`` the rows of ``record`` called once per attempt in order,
``get_many`` what ``get`` reads, and the coalescer each caller its own result (or its own
failure)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.classroom.batching import Coalescer
from app.classroom.rooms import Rooms
from app.settings import Settings
from app.store import Store
from app.store.answers import Answer, Answers
from tests.test_classroom_api import SETUP

SEATS = 4


def _store_with_seats(path) -> tuple[Store, str, list[str]]:
    store = Store(f"sqlite:///{path}")
    store.migrate()
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO teachers (id, name, password_hash, created_at) VALUES (?,?,?,?)",
            ("t1", "ada", "x", datetime.now(UTC).replace(tzinfo=None)),
        )
    rooms = Rooms(store, Settings(data_dir=str(path.parent)))
    lesson = rooms.create_lesson("t1", "L", SETUP, [], None, "", [{"title": "a"}])
    room = rooms.open_classroom("t1", lesson, "R")
    seats = [rooms.add_seat(room, f"S{i}", "active")[0].id for i in range(SEATS)]
    return store, room.id, seats


@pytest.fixture(scope="module")
def two_stores(tmp_path_factory):
    """The same seats in two stores: one answered one at a time, one in batches."""
    folder = tmp_path_factory.mktemp("batching")
    one, room_a, seats_a = _store_with_seats(folder / "one.db")
    many, room_b, seats_b = _store_with_seats(folder / "many.db")
    yield (Answers(one), room_a, seats_a), (Answers(many), room_b, seats_b)
    one.close()
    many.close()


def _seen(a: Answer | None) -> tuple | None:
    """What must agree between the two stores (not ids, rooms, seats or clocks)."""
    if a is None:
        return None
    return (a.step, a.kind, a.answer, a.correct, a.attempts, a.seconds is None)


_steps = itertools.count(100, 10)  # each example its own steps: the stores are shared

attempt = st.tuples(
    st.integers(0, SEATS - 1),  # seat
    st.integers(0, 2),  # step (offset)
    st.sampled_from(["network", "number", "choice"]),
    st.floats(-1e6, 1e6, allow_nan=False) | st.none(),
    st.booleans() | st.none(),
)


@settings(max_examples=25, deadline=None)
@given(
    attempts=st.lists(attempt, min_size=1, max_size=12),
    cuts=st.lists(st.integers(1, 5), min_size=1, max_size=12),
    opened=st.lists(st.integers(0, SEATS - 1), max_size=SEATS, unique=True),
)
def test_record_many_makes_the_rows_record_makes_one_at_a_time(two_stores, attempts, cuts, opened):
    (one, room_a, seats_a), (many, room_b, seats_b) = two_stores
    base = next(_steps)
    one.open(room_a, [seats_a[i] for i in opened], base, "network", None)  # some opened first
    many.open(room_b, [seats_b[i] for i in opened], base, "network", None)

    def args(room, seats, a):
        seat, step, kind, value, correct = a
        return (room, seats[seat], base + step, kind, {"value": value}, correct)

    singles = [one.record(*args(room_a, seats_a, a)) for a in attempts]
    last = {(s, n): i for i, (s, n, *_) in enumerate(attempts)}
    batched: list[Answer] = []
    rest = list(attempts)
    for cut in itertools.cycle(cuts):  # the attempts in batches of the drawn sizes, in order
        if not rest:
            break
        chunk, rest = rest[:cut], rest[cut:]
        batched += many.record_many([args(room_b, seats_b, a) for a in chunk])
    assert [_seen(b) for b in batched] == [_seen(a) for a in singles]
    keys_a = [(seats_a[s], base + n) for s in range(SEATS) for n in range(3)]
    keys_b = [(seats_b[s], base + n) for s in range(SEATS) for n in range(3)]
    read_one = [one.get(*k) for k in keys_a]
    assert [_seen(b) for b in many.get_many(keys_b)] == [_seen(a) for a in read_one]
    assert [_seen(b) for b in batched] == [  # what each attempt left is what the store holds
        _seen(many.get(seats_b[s], base + n)) if i == last[(s, n)] else _seen(b)
        for i, (b, (s, n, *_)) in enumerate(zip(batched, attempts, strict=True))
    ]
    assert one.get_many(keys_a) == read_one  # get_many is get, key by key


def test_record_many_is_all_or_nothing(two_stores):
    (answers, room, seats), _ = two_stores
    step = next(_steps)
    good = (room, seats[0], step, "number", {"value": 1.0}, True)
    bad = (room, "no-such-seat", step, "number", {"value": 2.0}, False)  # a foreign key fails
    with pytest.raises(Exception):  # noqa: B017 - the store's own error type
        answers.record_many([good, bad])
    assert answers.get(seats[0], step) is None


def test_concurrent_callers_share_batches_and_each_gets_its_own_result():
    calls: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        calls.append(list(items))
        return [2 * i for i in items]

    async def main() -> list[int]:
        c = Coalescer(double, limit=16)
        return await asyncio.gather(*(c(i) for i in range(40)))

    assert asyncio.run(main()) == [2 * i for i in range(40)]
    assert sorted(i for call in calls for i in call) == list(range(40))
    assert len(calls) < 40 and max(len(call) for call in calls) <= 16


def test_one_caller_alone_is_one_batch_of_one():
    calls: list[list[str]] = []

    def upper(items: list[str]) -> list[str]:
        calls.append(items)
        return [s.upper() for s in items]

    async def main() -> str:
        return await Coalescer(upper, limit=8)("a")

    assert asyncio.run(main()) == "A" and calls == [["a"]]


def test_a_failing_item_fails_only_its_own_caller():
    def checked(items: list[int]) -> list[int]:
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return items

    async def main() -> list[object]:
        c = Coalescer(checked, limit=64)
        return await asyncio.gather(*(c(i) for i in (1, -2, 3)), return_exceptions=True)

    one, two, three = asyncio.run(main())
    assert (one, three) == (1, 3) and isinstance(two, ValueError)


def test_the_coalescer_works_again_on_a_new_event_loop():
    c = Coalescer(lambda items: items, limit=4)
    assert asyncio.run(c(1)) == 1
    assert asyncio.run(c(2)) == 2
