"""A viewer's commands meet the classroom's lock check only on a seat's session (issue 20): the
guard is decided once, when the viewer connects, from the session's owner — a playground
session's commands never come to the classroom's code; a seat's are checked, every one, against
the seat read afresh."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from app.classroom.access import Gate
from app.errors import FieldError
from app.schemas import SetCommand


class Rooms:
    """Rooms with no seats, which count how often a seat's owner is read."""

    def __init__(self) -> None:
        self.reads = 0

    def owner(self, seat_id: str) -> Any:
        self.reads += 1
        return None  # the seat is gone


def gate() -> tuple[Gate, Rooms]:
    rooms = Rooms()
    return Gate(accounts=None, rooms=rooms), rooms  # type: ignore[arg-type]


def test_a_playground_sessions_commands_have_no_guard():
    g, rooms = gate()
    assert g.command_guard(SimpleNamespace(cookies={}), "a1b2c3-client") is None
    assert rooms.reads == 0


def test_a_seats_commands_are_checked_each_against_the_seat_read_afresh():
    g, rooms = gate()
    guard = g.command_guard(SimpleNamespace(cookies={}), "seat:42")
    assert guard is not None
    command = SetCommand.model_validate({"type": "set", "training": {"learning_rate": 0.1}})
    for expected_reads in (1, 2):
        with pytest.raises(FieldError) as refused:
            asyncio.run(guard(command))
        assert refused.value.field == "session_id"
        assert "no longer exists" in refused.value.message
        assert rooms.reads == expected_reads
