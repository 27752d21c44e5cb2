"""A lesson's instructions in the store (migration 0003): lessons made before it keep
working — their instructions read as empty — and new ones keep theirs, as do the classrooms
opened from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app.classroom.rooms import Rooms
from app.settings import Settings
from app.store import Store
from app.store.database import MIGRATIONS


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'playground.db'}"


def _migrate_to(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def test_a_lesson_made_before_instructions_existed_reads_as_having_none(url):
    _migrate_to(url, "0002")
    now = datetime.now(UTC).isoformat()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO teachers VALUES ('t1', 'ada', 'x', :now)"), {"now": now})
        conn.execute(
            sa.text(
                "INSERT INTO lessons (id, teacher_id, title, setup, locks, challenge, "
                "created_at, updated_at) VALUES ('l1', 't1', 'old', :setup, '[]', NULL, :now, :now)"
            ),
            {"setup": json.dumps({}), "now": now},
        )
    engine.dispose()
    with Store(url) as store:
        store.migrate()
        rooms = Rooms(store, Settings())
        old = rooms.lesson("l1")
        assert old is not None and old.instructions == "" and old.title == "old"
        room = rooms.open_classroom("t1", old, "class")
        assert rooms.classroom(room.id).instructions == ""


def test_instructions_are_kept_and_copied_to_a_classroom(url):
    with Store(url) as store:
        store.migrate()
        with store.transaction() as conn:
            conn.execute(
                sa.text("INSERT INTO teachers VALUES ('t1', 'ada', 'x', :now)"),
                {"now": datetime.now(UTC)},
            )
        rooms = Rooms(store, Settings())
        text = "# Step 1\n\nCompute $z_j$ for unit 1."
        lesson = rooms.create_lesson("t1", "XOR", {}, ["loss"], None, text)
        assert rooms.lesson(lesson.id).instructions == text
        assert lesson.json()["instructions"] == text
        room = rooms.open_classroom("t1", lesson, "class")
        assert rooms.classroom(room.id).instructions == text
        changed = rooms.update_lesson(lesson.id, instructions="new")
        assert changed.instructions == "new"
        assert rooms.classroom(room.id).instructions == text  # the room keeps its copy
