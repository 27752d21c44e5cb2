"""The classroom's parts on their own: join codes, locks, the failure limit, and teachers'
accounts in a real SQLite store (passwords and tokens never stored in the clear)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.classroom.accounts import Accounts
from app.classroom.controls import CONTROLS, changed_controls, check_locks, controls_of_patch
from app.classroom.rooms import Rooms
from app.classroom.tokens import CODE_ALPHABET, digest, name_key, new_code, normalise_code
from app.errors import FieldError
from app.quotas import LocalTries
from app.settings import Settings
from app.store import Store
from app.store.models import auth_tokens, teachers

XOR = {
    "network": {"hidden_layers": [2], "activations": ["sigmoid", "sigmoid"]},
    "dataset": {"name": "xor", "n": 40},
    "training": {"learning_rate": 0.5, "batch_size": 1, "seed": 7},
}


def test_join_codes_use_no_look_alike_characters():
    for bad in "0O1IL2Z5S8BUVDQ":
        assert bad not in CODE_ALPHABET
    codes = {new_code() for _ in range(2000)}
    assert all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert len(codes) > 1990  # 20^6 codes: repeats are rare


def test_a_typed_code_is_read_case_and_space_blind():
    assert normalise_code(" jrw-axw ") == "JRWAXW"


def test_names_are_the_same_name_whatever_their_case_and_spacing():
    assert name_key("Ada  Lovelace") == name_key(" ada lovelace ")
    assert name_key("Ada") != name_key("Adam")


def test_a_student_setup_that_changes_a_control_is_seen_control_by_control():
    assert changed_controls(XOR, XOR) == []
    faster = {**XOR, "training": {**XOR["training"], "learning_rate": 2.0}}
    assert changed_controls(XOR, faster) == ["learning_rate"]
    relu = {**XOR, "network": {"hidden_layers": [3], "activations": ["relu", "sigmoid"]}}
    assert changed_controls(XOR, relu) == ["hidden_layers", "activations"]
    # the trainer writes the default features out; that is no change
    spelled = {**XOR, "dataset": {**XOR["dataset"], "features": ["x1", "x2"]}}
    assert changed_controls(XOR, spelled) == []


def test_locks_are_known_controls_in_one_order():
    assert check_locks(["loss", "play", "loss"]) == ["play", "loss"]
    with pytest.raises(ValueError, match="unknown controls"):
        check_locks(["everything"])
    assert set(controls_of_patch({"regularization_rate": 0.1, "learning_rate": None})) == {
        "regularization"
    }
    assert "pause" not in CONTROLS  # pausing is never locked


def test_tries_reserve_every_key_or_none_until_the_window_passes():
    now = [0.0]
    tries = LocalTries(window=60, clock=lambda: now[0])
    for _ in range(3):
        assert tries.reserve_now([("a", 3)]) == 0
    assert tries.reserve_now([("a", 3)]) == pytest.approx(60)
    assert tries.reserve_now([("b", 3), ("a", 3)]) == pytest.approx(60)  # all or none
    assert asyncio.run(tries.count("b")) == 0
    assert tries.reserve_now([("b", 3)]) == 0  # per key
    now[0] = 59.0
    assert tries.reserve_now([("a", 3)]) == pytest.approx(1)
    asyncio.run(tries.refund(["a"]))  # a success gives its try back
    assert tries.reserve_now([("a", 3)]) == 0
    now[0] = 60.5
    assert asyncio.run(tries.count("a")) == 0


@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path}/s.db") as s:
        s.migrate()
        yield s


def test_passwords_are_argon2_hashes_and_tokens_are_stored_as_digests(store):
    accounts = Accounts(store, Settings())
    teacher = accounts.create_teacher("ada", "correct horse")
    with store.reading() as conn:
        stored = conn.execute(select(teachers.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert accounts.check_password("ada", "correct horse") == teacher
    assert accounts.check_password("ada", "wrong") is None
    assert accounts.check_password("nobody", "correct horse") is None
    token, _ = accounts.issue(teacher.id, "cookie")
    with store.reading() as conn:
        kept = conn.execute(select(auth_tokens.c.token_hash)).scalar_one()
    assert kept == digest(token) and token not in kept
    assert accounts.teacher_for(token) == teacher
    accounts.revoke(token)
    assert accounts.teacher_for(token) is None


def test_an_expired_login_lets_nobody_in(store):
    accounts = Accounts(store, Settings())
    teacher = accounts.create_teacher("ada", "correct horse")
    token, _ = accounts.issue(teacher.id, "bearer")
    with store.transaction() as conn:
        conn.execute(update(auth_tokens).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert accounts.teacher_for(token) is None


def test_a_teacher_name_is_taken_once_and_a_short_password_is_refused(store):
    accounts = Accounts(store, Settings())
    accounts.create_teacher("ada", "correct horse")
    with pytest.raises(FieldError) as taken:
        accounts.create_teacher(" ada ", "another password")
    assert taken.value.field == "name"
    with pytest.raises(FieldError) as short:
        accounts.create_teacher("grace", "short")
    assert short.value.field == "password"


def test_codes_are_unique_among_open_rooms_and_freed_when_a_room_closes(store):
    accounts, rooms = Accounts(store, Settings()), Rooms(store, Settings())
    teacher = accounts.create_teacher("ada", "correct horse")
    lesson = rooms.create_lesson(teacher.id, "XOR", XOR, ["learning_rate"], None)
    opened = [rooms.open_classroom(teacher.id, lesson, f"class {i}") for i in range(30)]
    assert len({r.code for r in opened}) == 30
    first = opened[0]
    assert rooms.classroom_by_code(first.code).id == first.id
    rooms.close_classroom(first.id)
    assert rooms.classroom_by_code(first.code) is None
    assert rooms.classroom(first.id).code is None  # the code may be drawn again


def test_a_full_room_and_a_taken_name_are_refused_naming_the_field(store):
    settings = Settings(max_seats_per_classroom=2)
    accounts, rooms = Accounts(store, settings), Rooms(store, settings)
    teacher = accounts.create_teacher("ada", "correct horse")
    room = rooms.open_classroom(
        teacher.id, rooms.create_lesson(teacher.id, "XOR", XOR, [], None), "c"
    )
    seat, token, key = rooms.add_seat(room, "Ada", "active")
    assert rooms.seat_by_token(room.id, token) == seat
    with pytest.raises(FieldError) as taken:
        rooms.add_seat(room, "ADA", "active")
    assert taken.value.field == "name" and taken.value.status_code == 409
    rooms.add_seat(room, "Grace", "active")
    with pytest.raises(FieldError) as full:
        rooms.add_seat(room, "Linus", "active")
    assert full.value.status_code == 409 and "max_seats_per_classroom" in full.value.message
    moved = rooms.take_seat(room.id, " ada ", key.lower())
    assert moved is not None and moved[0].id == seat.id
    assert rooms.seat_by_token(room.id, token) is None  # the old device's token is gone
    assert rooms.seat_by_token(room.id, moved[1]).id == seat.id
    assert rooms.take_seat(room.id, "ada", "WRONGKEY") is None
