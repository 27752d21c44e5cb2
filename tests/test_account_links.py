"""One person's LMS, SSO and password accounts become one teacher by an admin's link (issue
19): relinking an identity moves what the teacher it made owns (lessons, classrooms with their
LTI links, other identities) — at once when that identity was the account's only way in, else
only with ``--merge``. Real store, the real CLI's parser and commands, in-process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from app.classroom.accounts import Accounts
from app.classroom.rooms import Rooms
from app.cli import parse_args
from app.lti.admin import lti_cli
from app.lti.links import Links, LmsUser
from app.lti.platforms import Platforms
from app.settings import Settings
from app.sso.admin import sso_cli
from app.sso.provider import Person
from app.sso.teachers import SsoTeachers
from app.store import open_store
from app.store.models import lti_links, lti_users, teachers

ISSUER = "https://login.uni.example"


@pytest.fixture
def world(tmp_path):
    settings = Settings(data_dir=str(tmp_path))
    store = open_store(settings)
    store.migrate()
    platform = Platforms(store).register(
        "https://lms.example", "tool", ["d1"], "https://lms.example/auth",
        "https://lms.example/token", "https://lms.example/jwks",
    )  # fmt: skip
    rooms = Rooms(store, settings)
    yield settings, store, rooms, Links(store, rooms), platform.id
    store.close()


def lms_user(store, platform_id: str, sub: str, name: str) -> LmsUser:
    user = LmsUser(f"u-{sub}", sub, name, None)
    with store.transaction() as conn:
        conn.execute(
            insert(lti_users).values(
                id=user.id, platform_id=platform_id, sub=sub, name=name, teacher_id=None,
                created_at=datetime.now(UTC),
            )
        )  # fmt: skip
    return user


def teach(store, rooms: Rooms, platform_id: str, teacher_id: str, link: str):
    """A lesson and its classroom, opened through an LTI resource link."""
    lesson = rooms.create_lesson(teacher_id, f"Lesson of {link}", {}, [], None)
    room = rooms.open_classroom(teacher_id, lesson, f"Room of {link}")
    with store.transaction() as conn:
        conn.execute(
            insert(lti_links).values(
                id=f"l-{link}", platform_id=platform_id, deployment_id="d1",
                resource_link_id=link, classroom_id=room.id, lineitem_url=None,
                context_title=None, created_at=datetime.now(UTC),
            )
        )  # fmt: skip
    return lesson, room


def run(settings: Settings, *argv: str) -> int:
    args = parse_args(list(argv))
    return (lti_cli if args.command == "lti" else sso_cli)(settings, args)


def exists(store, teacher_id: str) -> bool:
    with store.reading() as conn:
        return (
            conn.execute(select(teachers.c.id).where(teachers.c.id == teacher_id)).first()
            is not None
        )


def test_relinking_an_lms_made_teacher_moves_its_lessons_classrooms_and_links(world, capsys):
    settings, store, rooms, links, pid = world
    alan = lms_user(store, pid, "alan-sub", "Alan T")
    made = links.teacher(alan)  # the first launch made a teacher with no password
    lesson, room = teach(store, rooms, pid, made.id, "week-1")
    turing = Accounts(store, settings).create_teacher("Professor Turing", "a long passphrase")

    assert run(settings, "lti", "link-teacher", pid, "alan-sub", "Professor Turing") == 0
    out = capsys.readouterr().out
    assert "now signs in as teacher 'Professor Turing'" in out
    assert "1 lesson(s)" in out and "1 classroom(s)" in out and "deleted" in out
    assert "0 other LMS user(s)" in out  # the relinked one is not counted as moved
    assert [x.id for x in rooms.lessons_of(turing.id)] == [lesson.id]
    assert [x.id for x in rooms.classrooms_of(turing.id)] == [room.id]
    assert links.link_of_classroom(room.id) is not None  # the LTI link came along
    assert not exists(store, made.id)  # nobody could have logged into it any more
    again = LmsUser(alan.id, alan.sub, alan.name, turing.id)
    assert links.teacher(again).id == turing.id


@pytest.mark.parametrize("other_way", ["password", "sso", "lms"])
def test_a_former_teacher_with_another_way_in_moves_only_with_merge(world, capsys, other_way):
    settings, store, rooms, links, pid = world
    ada = lms_user(store, pid, "ada-sub", "Ada")
    if other_way == "password":
        Accounts(store, settings).create_teacher("Ada L", "a long passphrase")
        assert links.link_teacher(pid, "ada-sub", "Ada L") is not None
    else:
        links.teacher(ada)
    old = links.teacher(LmsUser(ada.id, ada.sub, ada.name, _teacher_of(store, ada.id)))
    if other_way == "sso":
        assert SsoTeachers(store).link_teacher(ISSUER, "ada-idp", old.name) is not None
    if other_way == "lms":
        assert links.link_teacher(pid, "ada-other-course", old.name) is not None
    lesson, room = teach(store, rooms, pid, old.id, "week-2")
    target = Accounts(store, settings).create_teacher("Countess", "a long passphrase")

    assert run(settings, "lti", "link-teacher", pid, "ada-sub", "Countess") == 1
    err = capsys.readouterr().err
    assert "merge" in err and "another way in" in err
    why = {"password": "has a password", "sso": "sign-on (SSO)", "lms": "other LMS user"}
    assert why[other_way] in err
    assert rooms.lessons_of(target.id) == [] and _teacher_of(store, ada.id) == old.id

    assert run(settings, "lti", "link-teacher", pid, "ada-sub", "Countess", "--merge") == 0
    out = capsys.readouterr().out
    assert "1 lesson(s)" in out
    assert f"{int(other_way == 'lms')} other LMS user(s)" in out
    assert f"{int(other_way == 'sso')} other sign-on(s)" in out
    assert [x.id for x in rooms.lessons_of(target.id)] == [lesson.id]
    assert [x.id for x in rooms.classrooms_of(target.id)] == [room.id]
    assert _teacher_of(store, ada.id) == target.id
    assert exists(store, old.id) is (other_way == "password")  # a password account stays
    if other_way == "sso":  # the merged identities sign in as the target too
        person = Person(ISSUER, "ada-idp", "ada@uni.example", True, "Ada")
        assert SsoTeachers(store).teacher(person).id == target.id


def _teacher_of(store, lms_user_id: str) -> str | None:
    with store.reading() as conn:
        return conn.execute(
            select(lti_users.c.teacher_id).where(lti_users.c.id == lms_user_id)
        ).scalar()


def test_an_admin_links_a_sign_on_to_the_teacher_an_lms_launch_made(world, capsys):
    """LMS first, SSO later: the sign-on made a second teacher; the admin's link makes it one,
    and what was made under the sign-on's account moves to the LMS-made teacher."""
    settings, store, rooms, links, pid = world
    grace = links.teacher(lms_user(store, pid, "grace-sub", "Grace Hopper"))
    lms_lesson, _ = teach(store, rooms, pid, grace.id, "week-3")
    sso = SsoTeachers(store)
    person = Person(ISSUER, "grace-idp", "grace@uni.example", True, "Grace H")
    second = sso.teacher(person)
    assert second.id != grace.id  # two accounts for one person
    sso_lesson = rooms.create_lesson(second.id, "Made after signing on", {}, [], None)

    assert run(settings, "sso", "link-teacher", ISSUER, "grace-idp", grace.name) == 0
    out = capsys.readouterr().out
    assert f"now signs in as teacher {grace.name!r}" in out and "1 lesson(s)" in out
    assert sso.teacher(person).id == grace.id
    assert {x.id for x in rooms.lessons_of(grace.id)} == {lms_lesson.id, sso_lesson.id}
    assert not exists(store, second.id)

    assert run(settings, "sso", "link-teacher", ISSUER, "grace-idp", "Nobody") == 1
    assert "no teacher named 'Nobody'" in capsys.readouterr().err


def test_an_admin_links_a_sign_on_that_never_signed_in(world, capsys):
    settings, store, rooms, links, pid = world
    Accounts(store, settings).create_teacher("Barbara", "a long passphrase")
    assert run(settings, "sso", "link-teacher", ISSUER, "barbara-idp", "Barbara") == 0
    assert "Moved" not in capsys.readouterr().out
    person = Person(ISSUER, "barbara-idp", "b@uni.example", True, "B. Liskov")
    assert SsoTeachers(store).teacher(person).name == "Barbara"
