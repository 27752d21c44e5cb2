"""The classroom (issue 9) against the real server: teachers' logins, lessons, join codes,
seats, locks, pacing, pushing a lesson, the leaderboard, exports, closing, the authorization
matrix (every endpoint × every kind of caller) and a class that survives ``kill -9``.

Each person is one ``httpx.Client`` (their own cookie jar), as each is one browser. Teachers
are made with the real CLI (``python -m app create-teacher NAME``, the password from
``BPP_TEACHER_PASSWORD``) on the server's data folder. Most tests share one server (module
scope) and each opens a classroom of its own; the rate limits (which block the loopback address
for a minute) and the restart get servers of their own.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from app.classroom.tokens import CODE_ALPHABET, CODE_LENGTH
from tests.support.classroom import DEFAULT_LESSON, create_teacher
from tests.support.server import ServerProcess, start_server

PASSWORD = "correct-horse-battery-staple"
SETUP = DEFAULT_LESSON  # XOR, 2-[2]-1, sigmoid, SSE, η = 0.5, batch 1, seed 7
TIMEOUT = 60.0  # generous: a loaded 2-core machine


# ---- helpers ----------------------------------------------------------------------------------


def field_of(response: httpx.Response) -> str:
    """The field a refusal names (``{"detail": [{"field": ...}]}``)."""
    detail = response.json()["detail"]
    return detail[0]["field"] if isinstance(detail, list) else str(detail)


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


def open_socket(server: ServerProcess, path: str, client: httpx.Client) -> ClientConnection:
    """A WebSocket with ``client``'s cookies (as the browser of that person sends them)."""
    headers = {"Cookie": cookie_header(client)} if len(client.cookies.jar) else None
    return connect(
        server.ws_url + path, additional_headers=headers, open_timeout=TIMEOUT, max_size=None
    )


def recv_until(
    ws: ClientConnection, wanted: Callable[[dict], bool], timeout: float = TIMEOUT
) -> tuple[dict, list[dict]]:
    """Read messages until one is ``wanted``; returns it and every message before it."""
    deadline = time.monotonic() + timeout
    seen: list[dict] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no wanted message in {timeout} s; got {kinds(seen)}")
        message = json.loads(ws.recv(timeout=left))
        if wanted(message):
            return message, seen
        seen.append(message)


def kinds(messages: list[dict]) -> list[str]:
    return [m["type"] + (f":{m.get('field')}" if m["type"] == "error" else "") for m in messages]


def is_error(m: dict) -> bool:
    return m["type"] == "error"


def poll(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


@dataclass
class Site:
    """A running server, its data folder, and the people using it (closed at the end)."""

    server: ServerProcess
    data_dir: Path
    people: list[httpx.Client] = field(default_factory=list)

    def person(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        client = httpx.Client(
            base_url=self.server.url, timeout=TIMEOUT, trust_env=False, cookies=cookies
        )
        self.people.append(client)
        return client

    def teacher(self, name: str) -> httpx.Client:
        t = self.person()
        r = t.post("/api/auth/login", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return t

    def close(self) -> None:
        for c in self.people:
            c.close()


def lesson(t: httpx.Client, setup: dict | None = None, **extra) -> dict:
    r = t.post("/api/lessons", json={"title": "XOR by hand", "setup": setup or SETUP, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def open_room(t: httpx.Client, setup: dict | None = None, **extra) -> dict:
    r = t.post("/api/classrooms", json={"lesson_id": lesson(t, setup, **extra)["id"]})
    assert r.status_code == 201, r.text
    return r.json()


def join(site: Site, room: dict, name: str) -> tuple[httpx.Client, dict]:
    """A student's browser that joined ``room`` as ``name``: (client, the join answer)."""
    s = site.person()
    r = s.post("/api/join", json={"code": room["code"], "name": name})
    assert r.status_code == 200, r.text
    return s, r.json()


def session_of(student: httpx.Client, room: dict) -> str:
    r = student.get(f"/api/classrooms/{room['id']}/me")
    assert r.status_code == 200, r.text
    return r.json()["seat"]["session_id"]


def epoch(client: httpx.Client, sid: str) -> int:
    r = client.get(f"/api/sessions/{sid}")
    assert r.status_code == 200, r.text
    return r.json()["epoch"]


def weights(client: httpx.Client, sid: str) -> tuple[list, list]:
    r = client.get(f"/api/sessions/{sid}/export")
    assert r.status_code == 200, r.text
    net = r.json()["network"]
    return net["weights"], net["biases"]


def start_site(tmp: Path, teachers: tuple[str, ...], env: dict[str, str] | None = None) -> Site:
    data = tmp / "data"
    for name in teachers:
        create_teacher(data, name, PASSWORD)
    server = start_server(
        env={"BPP_DATA_DIR": str(data), "BPP_TRAINERS": "1", **(env or {})},
        log_dir=tmp,
        startup_timeout=TIMEOUT,
    )
    return Site(server, data)


@contextmanager
def running_site(
    tmp: Path, teachers: tuple[str, ...], env: dict[str, str] | None = None
) -> Iterator[Site]:
    """``start_site`` for a fixture: closed and stopped after, and its log free of tracebacks."""
    s = start_site(tmp, teachers, env)
    try:
        yield s
    finally:
        s.close()
        s.server.stop()
        assert "Traceback" not in s.server.log_text(), s.server.log_tail(60)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """One server for most tests: teachers ada and grace; room for many sessions in total
    (per-client limits stay at their defaults)."""
    with running_site(
        tmp_path_factory.mktemp("classroom"), ("ada", "grace"), {"BPP_MAX_SESSIONS": "400"}
    ) as s:
        yield s


@pytest.fixture(scope="module")
def ada(site: Site) -> httpx.Client:
    return site.teacher("ada")


# ---- teachers ---------------------------------------------------------------------------------


def test_login_sets_a_lax_httponly_cookie_and_tokens_can_be_revoked(site: Site):
    t = site.person()
    wrong = t.post("/api/auth/login", json={"name": "ada", "password": "not it"})
    assert wrong.status_code == 401 and field_of(wrong) == "password"
    assert t.get("/api/auth/me").status_code == 401

    r = t.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["teacher"]["name"] == "ada"
    (cookie,) = [c for c in r.headers.get_list("set-cookie") if c.startswith("bpp_teacher=")]
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain http: a Secure cookie would never come back
    assert t.get("/api/auth/me").json()["teacher"]["name"] == "ada"

    # a bearer token for scripts works without any cookie, and logging out revokes it
    r = site.person().post("/api/auth/token", json={"name": "ada", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    script = site.person()
    script.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    assert script.get("/api/auth/me").status_code == 200
    assert script.get("/api/lessons").status_code == 200
    assert script.post("/api/auth/logout").status_code == 204
    assert script.get("/api/auth/me").status_code == 401
    assert script.get("/api/lessons").status_code == 401

    # logging out ends the cookie's login on the server too (a copied cookie stops working)
    stolen = site.person(cookies=httpx.Cookies({"bpp_teacher": t.cookies["bpp_teacher"]}))
    assert stolen.get("/api/auth/me").status_code == 200
    assert t.post("/api/auth/logout").status_code == 204
    assert t.get("/api/auth/me").status_code == 401
    assert stolen.get("/api/auth/me").status_code == 401


def test_logins_and_join_codes_are_rate_limited_per_address(tmp_path):
    site = start_site(
        tmp_path,
        ("ada",),
        {"BPP_LOGIN_ATTEMPTS_PER_MINUTE": "3", "BPP_JOIN_ATTEMPTS_PER_MINUTE": "4"},
    )
    try:
        t = site.teacher("ada")
        room = open_room(t)
        wrong = "".join(CODE_ALPHABET[0] for _ in range(CODE_LENGTH))
        assert wrong != room["code"]
        s = site.person()
        for _ in range(4):
            r = s.post("/api/join", json={"code": wrong, "name": "Mallory"})
            assert r.status_code == 422 and field_of(r) == "code", r.text
        r = s.post("/api/join", json={"code": wrong, "name": "Mallory"})
        assert r.status_code == 429 and field_of(r) == "code"
        assert "join_attempts_per_minute" in r.text
        # the whole address waits, even with the right code (guessing must not pay)
        other = site.person()
        assert (
            other.post("/api/join", json={"code": room["code"], "name": "Eve"}).status_code == 429
        )

        guesser = site.person()
        for _ in range(3):
            r = guesser.post("/api/auth/login", json={"name": "ada", "password": "guess"})
            assert r.status_code == 401
        r = guesser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})
        assert r.status_code == 429 and "login_attempts_per_minute" in r.text
        # the teacher already logged in keeps working
        assert t.get("/api/auth/me").status_code == 200
    finally:
        site.close()
        site.server.stop()


# ---- lessons and classrooms -------------------------------------------------------------------


def test_lessons_refuse_unknown_locks_and_setups_naming_the_field(ada: httpx.Client):
    r = ada.post("/api/lessons", json={"title": "x", "setup": SETUP, "locks": ["learning_rat"]})
    assert r.status_code == 422 and field_of(r) == "locks"
    assert "learning_rat" in r.text and "learning_rate" in r.text  # names the known ones too
    bad = copy.deepcopy(SETUP)
    bad["network"]["activations"] = ["sigmoid", "sigmoidd"]
    r = ada.post("/api/lessons", json={"title": "x", "setup": bad})
    assert r.status_code == 422 and field_of(r).startswith("setup.network.activations"), r.text
    assert "sigmoidd" in r.text
    huge = copy.deepcopy(SETUP)
    huge["network"]["hidden_layers"] = [999]
    r = ada.post("/api/lessons", json={"title": "x", "setup": huge})
    assert r.status_code == 422 and field_of(r) == "setup.network.hidden_layers[0]", r.text
    assert "max_units_per_layer" in r.text
    assert ada.post("/api/lessons", json={"title": "", "setup": SETUP}).status_code == 422


def test_a_classroom_gets_a_six_character_code_without_look_alikes(ada: httpx.Client):
    codes = set()
    for _ in range(3):
        room = open_room(ada)
        code = room["code"]
        assert len(code) == 6 == CODE_LENGTH and set(code) <= set(CODE_ALPHABET), code
        assert room["join_url"].endswith(f"/join/{code}") and room["status"] == "open"
        codes.add(code)
    assert len(codes) == 3
    assert not set("0O1IL5S8B2Z") & set(CODE_ALPHABET)


# ---- students ---------------------------------------------------------------------------------


def test_joining_names_seat_keys_lobby_approval_and_removal(site: Site, ada: httpx.Client):
    room = open_room(ada)
    cid = room["id"]
    first = site.person()
    r = first.post("/api/join", json={"code": room["code"].lower(), "name": "Ada  Lovelace"})
    assert r.status_code == 200, r.text
    key, seat = r.json()["key"], r.json()["seat"]
    assert seat["name"] == "Ada Lovelace" and seat["session_id"] and key
    sid = seat["session_id"]
    assert first.get(f"/api/sessions/{sid}").status_code == 200

    # a wrong code names the code; the same name in any case or spacing is taken
    r = site.person().post("/api/join", json={"code": "XXXXXX", "name": "Someone"})
    assert r.status_code == 422 and field_of(r) == "code"
    for variant in (
        "Ada Lovelace",
        "ada lovelace",
        "  ADA   LOVELACE ",
        "Ada\u00a0Lovelace",
        "\uff21da Lovelace",
    ):
        intruder = site.person()
        r = intruder.post("/api/join", json={"code": room["code"], "name": variant})
        assert r.status_code == 409 and field_of(r) == "name", (variant, r.text)
        assert intruder.get(f"/api/sessions/{sid}").status_code == 403

    # the name with its seat key takes the seat to a new device; the old one loses it
    laptop = site.person()
    r = laptop.post("/api/join", json={"code": room["code"], "name": "ada lovelace", "key": key})
    assert r.status_code == 200 and r.json()["key"] is None, r.text
    assert session_of(laptop, room) == sid
    assert laptop.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 200
    assert first.get(f"/api/classrooms/{cid}/me").status_code == 403
    assert first.get(f"/api/sessions/{sid}").status_code == 403
    r = site.person().post(
        "/api/join", json={"code": room["code"], "name": "Ada Lovelace", "key": "WRONGKEY"}
    )
    assert r.status_code == 422 and field_of(r) == "key"

    # a locked lobby lets nobody new in
    assert ada.patch(f"/api/classrooms/{cid}", json={"lobby_locked": True}).status_code == 200
    r = site.person().post("/api/join", json={"code": room["code"], "name": "Late"})
    assert r.status_code == 403 and field_of(r) == "code"

    # approval: a waiting seat has no session until the teacher lets it in
    change = {"lobby_locked": False, "approval_required": True}
    assert ada.patch(f"/api/classrooms/{cid}", json=change).status_code == 200
    waiting = site.person()
    r = waiting.post("/api/join", json={"code": room["code"], "name": "Grace"})
    assert r.status_code == 200 and r.json()["seat"]["status"] == "waiting", r.text
    seat_id = r.json()["seat"]["id"]
    me = waiting.get(f"/api/classrooms/{cid}/me").json()
    assert me["seat"]["status"] == "waiting" and me["seat"]["session_id"] is None
    r = waiting.post(f"/api/classrooms/{cid}/me/session", json={"setup": SETUP})
    assert r.status_code == 403
    r = ada.post(f"/api/classrooms/{cid}/seats/{seat_id}/approve")
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["session_id"]
    grace_sid = session_of(waiting, room)
    assert grace_sid == r.json()["session_id"]
    assert waiting.post(f"/api/sessions/{grace_sid}/train", json={"epochs": 1}).status_code == 200

    # a removed student loses their seat and their session; the teacher keeps it
    assert ada.delete(f"/api/classrooms/{cid}/seats/{seat_id}").json()["status"] == "removed"
    assert waiting.get(f"/api/classrooms/{cid}/me").status_code == 403
    assert waiting.get(f"/api/sessions/{grace_sid}").status_code == 403
    assert waiting.post(f"/api/sessions/{grace_sid}/train", json={"epochs": 1}).status_code == 403
    assert ada.get(f"/api/sessions/{grace_sid}").status_code == 200
    roster = {s["id"]: s["status"] for s in ada.get(f"/api/classrooms/{cid}").json()["seats"]}
    assert roster[seat_id] == "removed" and len(roster) == 2


def test_sixty_students_behind_one_address_all_get_a_seat(site: Site, ada: httpx.Client):
    """Per-seat limits inside a room: 60 sessions from 127.0.0.1, though
    BPP_MAX_SESSIONS_PER_CLIENT is at its default of 20."""
    room = open_room(ada)
    r = site.person().get("/api/catalog").json()["limits"]
    assert r.get("max_sessions_per_client", 20) == 20

    def one(i: int) -> tuple[httpx.Client, str]:
        s, answer = join(site, room, f"Student {i:02d}")
        return s, answer["seat"]["session_id"]

    with ThreadPoolExecutor(6) as pool:
        students = list(pool.map(one, range(60)))
    sids = [sid for _, sid in students]
    assert len(set(sids)) == 60 and all(sids)
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda p: p[0].get(f"/api/sessions/{p[1]}").status_code, students))
    assert codes == [200] * 60
    roster = ada.get(f"/api/classrooms/{room['id']}").json()["seats"]
    assert sorted(s["session_id"] for s in roster) == sorted(sids)
    # the per-address limit (default 20) still holds for anonymous sessions from this address,
    # and the 60 seats do not count against it
    assert "BPP_MAX_SESSIONS_PER_CLIENT" not in site.server.env
    anon, mine = site.person(), []
    for _ in range(21):
        r = anon.post("/api/sessions", json=SETUP)
        if r.status_code != 201:
            break
        mine.append(r.json()["id"])
    assert r.status_code == 429 and "max_sessions_per_client" in r.text, r.text
    assert 1 <= len(mine) <= 20
    for sid in mine:
        assert anon.delete(f"/api/sessions/{sid}").status_code == 204


# ---- locks ------------------------------------------------------------------------------------


def test_locked_controls_are_refused_on_rest_and_socket(site: Site, ada: httpx.Client):
    room = open_room(ada, locks=["learning_rate", "play"])
    student, _ = join(site, room, "Lin")
    sid = session_of(student, room)

    r = student.patch(f"/api/sessions/{sid}", json={"learning_rate": 1.0})
    assert r.status_code == 403 and field_of(r) == "learning_rate", r.text
    r = student.patch(f"/api/sessions/{sid}", json={"batch_size": 2})
    assert r.status_code == 200, r.text
    r = ada.post(f"/api/classrooms/{room['id']}/pace", json={"op": "play"})  # the teacher may
    assert r.json()["sessions"] == 1

    with open_socket(site.server, f"/api/sessions/{sid}/stream", student) as ws:
        recv_until(ws, lambda m: m["type"] == "frame")
        ws.send(json.dumps({"type": "set", "training": {"learning_rate": 1.0}}))
        error, _ = recv_until(ws, is_error)
        assert error["field"] == "learning_rate" and "locked" in error["message"]
        ws.send(json.dumps({"type": "play"}))
        error, _ = recv_until(ws, is_error)
        assert error["field"] == "play"
        # pausing is always allowed (even with play locked), and the session stays usable
        ws.send(json.dumps({"type": "pause"}))
        got, _ = recv_until(
            ws, lambda m: is_error(m) or (m["type"] == "status" and m["status"] == "paused")
        )
        assert got["type"] == "status", got
        e0 = epoch(student, sid)
        time.sleep(0.3)
        assert epoch(student, sid) == e0
        ws.send(json.dumps({"type": "set", "training": {"batch_size": 4}}))
        ws.send(json.dumps({"type": "step", "epochs": 3}))
        frame, before = recv_until(
            ws, lambda m: is_error(m) or (m["type"] == "frame" and m["epoch"] >= e0 + 3)
        )
        assert frame["type"] == "frame" and frame["epoch"] == e0 + 3, (frame, kinds(before))
        assert not [m for m in before if is_error(m)]
    state = student.get(f"/api/sessions/{sid}").json()
    assert state["config"]["training"]["learning_rate"] == 0.5
    assert state["config"]["training"]["batch_size"] == 4 and state["status"] == "paused"

    # the teacher spectates read-only: commands are refused with a clear error
    with open_socket(site.server, f"/api/sessions/{sid}/stream", ada) as ws:
        recv_until(ws, lambda m: m["type"] == "frame")
        ws.send(json.dumps({"type": "step", "epochs": 1}))
        error, _ = recv_until(ws, is_error)
        assert error["field"] == "session_id" and "read-only" in error["message"]
    assert epoch(ada, sid) == e0 + 3

    # a new setup: refused where it changes a locked control, else a new session
    locked = copy.deepcopy(SETUP)
    locked["training"]["learning_rate"] = 2.0
    r = student.post(f"/api/classrooms/{room['id']}/me/session", json={"setup": locked})
    assert r.status_code == 403 and field_of(r) == "learning_rate", r.text
    assert session_of(student, room) == sid
    free = copy.deepcopy(SETUP)
    free["network"]["hidden_layers"] = [999]  # unlocked, but past the server's limit
    r = student.post(f"/api/classrooms/{room['id']}/me/session", json={"setup": free})
    assert r.status_code == 422 and field_of(r) == "setup.network.hidden_layers[0]", r.text
    assert session_of(student, room) == sid
    free["network"]["hidden_layers"] = [3]
    r = student.post(f"/api/classrooms/{room['id']}/me/session", json={"setup": free})
    assert r.status_code == 200, r.text
    new = r.json()["session_id"]
    assert new != sid and session_of(student, room) == new
    assert student.get(f"/api/sessions/{new}").json()["layer_sizes"] == [2, 3, 1]
    assert student.get(f"/api/sessions/{sid}").status_code == 404


# ---- the teacher runs the class ---------------------------------------------------------------


def test_pacing_pauses_steps_and_resets_every_student(site: Site, ada: httpx.Client):
    room = open_room(ada, locks=["play", "step"])
    cid = room["id"]
    sids = [session_of(join(site, room, name)[0], room) for name in ("P1", "P2", "P3")]

    def pace(op: str, **extra) -> dict:
        r = ada.post(f"/api/classrooms/{cid}/pace", json={"op": op, **extra})
        assert r.status_code == 200, r.text
        assert r.json()["sessions"] == 3 and r.json()["failed"] == {}, r.json()
        return r.json()

    pace("play")  # the teacher may play a class whose students may not
    poll(lambda: all(epoch(ada, s) > 0 for s in sids), "every session trains")
    pace("pause")
    before = [epoch(ada, s) for s in sids]
    time.sleep(0.3)
    assert [epoch(ada, s) for s in sids] == before  # paused stays paused
    pace("step", epochs=7)
    assert [epoch(ada, s) for s in sids] == [e + 7 for e in before]
    pace("step_sample")
    assert all(ada.get(f"/api/sessions/{s}").json()["status"] == "paused" for s in sids)
    pace("reset")
    assert [epoch(ada, s) for s in sids] == [0, 0, 0]
    r = ada.post(f"/api/classrooms/{cid}/pace", json={"op": "dance"})
    assert r.status_code == 422


def test_pushing_a_lesson_replaces_sessions_and_unlocks_controls(site: Site, ada: httpx.Client):
    room = open_room(ada, locks=["learning_rate", "hidden_layers"])
    cid = room["id"]
    students = [join(site, room, name)[0] for name in ("Q1", "Q2")]
    old = [session_of(s, room) for s in students]
    r = students[0].patch(f"/api/sessions/{old[0]}", json={"learning_rate": 1.0})
    assert r.status_code == 403

    wider = copy.deepcopy(SETUP)
    wider["network"]["hidden_layers"] = [3]
    r = ada.put(f"/api/classrooms/{cid}/lesson", json={"setup": wider})
    assert r.status_code == 200 and r.json()["replaced"] == 2, r.text
    new = [session_of(s, room) for s in students]
    assert set(new).isdisjoint(old) and len(set(new)) == 2
    for s, sid, gone in zip(students, new, old, strict=True):
        assert s.get(f"/api/sessions/{sid}").json()["layer_sizes"] == [2, 3, 1]
        assert s.get(f"/api/sessions/{gone}").status_code == 404

    # unlocking a control lets students change it (the sessions stay)
    r = ada.put(f"/api/classrooms/{cid}/lesson", json={"locks": ["hidden_layers"]})
    assert (
        r.status_code == 200
        and r.json()["replaced"] == 0
        and r.json()["locks"] == ["hidden_layers"]
    )
    assert [session_of(s, room) for s in students] == new
    r = students[0].patch(f"/api/sessions/{new[0]}", json={"learning_rate": 1.0})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["training"]["learning_rate"] == 1.0


def test_pushing_nothing_to_a_classroom_is_refused_naming_the_field_not_a_500(
    site: Site, ada: httpx.Client
):
    room = open_room(ada)
    for body in ({}, {"title": "x"}):  # before: 500 (an UPDATE with nothing to set)
        r = ada.put(f"/api/classrooms/{room['id']}/lesson", json=body)
        assert r.status_code == 422 and field_of(r) == "setup", r.text
        assert "nothing to push" in r.text
    r = ada.put(f"/api/classrooms/{room['id']}/lesson", json={"title": "x", "locks": []})
    assert r.status_code == 200 and r.json()["locks"] == [], r.text  # the title is ignored
    r = ada.patch(f"/api/classrooms/{room['id']}", json={})  # nothing to change: as it was
    assert r.status_code == 200 and r.json()["id"] == room["id"], r.text


def test_challenge_and_leaderboard_are_opt_in_and_anonymous(site: Site, ada: httpx.Client):
    room = open_room(
        ada, challenge={"title": "any loss", "test_loss_below": 100.0, "max_hidden_units": 6}
    )
    cid = room["id"]
    students = [join(site, room, name)[0] for name in ("Zed Zebra", "Yan Yak")]
    board = f"/api/classrooms/{cid}/leaderboard"
    assert all(s.get(board).status_code == 403 for s in students)
    assert site.person().get(board).status_code == 403
    r = ada.get(board)
    assert r.status_code == 200 and {x["name"] for x in r.json()["rows"]} == {
        "Zed Zebra",
        "Yan Yak",
    }

    change = {"leaderboard": True, "challenge_active": True}
    assert ada.patch(f"/api/classrooms/{cid}", json=change).status_code == 200
    r = students[0].get(board)
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    rows = r.json()["rows"]
    assert {x["name"] for x in rows} == {"Student 1", "Student 2"}  # anonymous by default
    assert "Zed" not in r.text and "Yan" not in r.text
    assert all(x["met"] for x in rows)  # a loss below 100 with 2 hidden units

    assert ada.patch(f"/api/classrooms/{cid}", json={"leaderboard_names": True}).status_code == 200
    names = {x["name"] for x in students[1].get(board).json()["rows"]}
    assert names == {"Zed Zebra", "Yan Yak"}
    assert ada.patch(f"/api/classrooms/{cid}", json={"leaderboard": False}).status_code == 200
    assert students[1].get(board).status_code == 403


def test_csv_and_json_exports_hold_one_row_per_student_safely(site: Site, ada: httpx.Client):
    room = open_room(ada)
    cid = room["id"]
    hostile = '=HYPERLINK("x")'
    names = ["Ada", hostile, "Bob"]
    for name in names:
        join(site, room, name)
    r = ada.post(f"/api/classrooms/{cid}/pace", json={"op": "step", "epochs": 2})
    assert r.json()["sessions"] == 3

    r = ada.get(f"/api/classrooms/{cid}/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3
    assert [x["student"] for x in rows] == ["Ada", "'" + hostile, "Bob"]
    assert not any(x["student"].startswith(("=", "+", "-", "@")) for x in rows)
    assert all(x["epochs"] == "2" for x in rows)

    r = ada.get(f"/api/classrooms/{cid}/export.json")
    assert r.status_code == 200
    seats = r.json()["seats"]
    assert [s["name"] for s in seats] == names
    assert all(s["session"]["network"]["weights"] for s in seats)


def test_closing_stops_the_code_and_leaves_students_read_only(site: Site, ada: httpx.Client):
    room = open_room(ada)
    cid = room["id"]
    student, _ = join(site, room, "Cleo")
    sid = session_of(student, room)
    r = ada.post(f"/api/classrooms/{cid}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["code"] is None
    r = site.person().post("/api/join", json={"code": room["code"], "name": "Late"})
    assert r.status_code == 422 and field_of(r) == "code"
    assert student.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 403
    assert student.patch(f"/api/sessions/{sid}", json={"batch_size": 2}).status_code == 403
    assert student.get(f"/api/sessions/{sid}").status_code == 200
    assert student.get(f"/api/sessions/{sid}/history").status_code == 200
    assert student.get(f"/api/classrooms/{cid}/me").json()["classroom"]["status"] == "closed"
    assert ada.post(f"/api/classrooms/{cid}/pace", json={"op": "play"}).status_code == 409
    assert ada.get(f"/api/classrooms/{cid}/export.csv").status_code == 200


def test_cross_site_requests_are_refused_even_with_the_right_cookies(site: Site, ada: httpx.Client):
    """A page elsewhere cannot use a student's or a teacher's cookies: state changes and sockets
    with a foreign Origin are refused (403 naming origin); the server's own origin passes."""
    room = open_room(ada)
    student, _ = join(site, room, "Olga")
    sid = session_of(student, room)
    evil = {"Origin": "http://evil.example"}
    own = {"Origin": site.server.url}
    r = student.post(f"/api/sessions/{sid}/train", json={"epochs": 1}, headers=evil)
    assert r.status_code == 403 and field_of(r) == "origin", r.text
    r = ada.post(f"/api/classrooms/{room['id']}/close", headers=evil)
    assert r.status_code == 403 and field_of(r) == "origin"
    r = site.person().post("/api/join", json={"code": room["code"], "name": "X"}, headers=evil)
    assert r.status_code == 403
    r = site.person().post(
        "/api/auth/login", json={"name": "ada", "password": PASSWORD}, headers=evil
    )
    assert r.status_code == 403
    assert student.post(f"/api/sessions/{sid}/train", json={"epochs": 1}, headers=own).is_success
    assert ada.get(f"/api/classrooms/{room['id']}").json()["status"] == "open"
    url = site.server.ws_url + f"/api/sessions/{sid}/stream"
    for path in (f"/api/sessions/{sid}/stream", "/api/summaries"):
        with pytest.raises(InvalidStatus) as refused:
            connect(
                site.server.ws_url + path,
                additional_headers={"Cookie": cookie_header(student), **evil},
                open_timeout=TIMEOUT,
            )
        assert refused.value.response.status_code == 403
    with connect(url, additional_headers={"Cookie": cookie_header(student), **own}) as ws:
        assert recv_until(ws, lambda m: m["type"] in ("frame", "error"))[0]["type"] == "frame"


# ---- the authorization matrix -----------------------------------------------------------------

ROLES = ("anonymous", "student_a", "student_b", "teacher", "other_teacher")
# endpoint → the status each of ROLES gets. "Student A" owns the session the session endpoints
# use; "student B" sits in the same room; "teacher" teaches it; "other teacher" has a room of
# their own. Sockets: 200 when the socket serves the caller, 403 when it refuses (an error
# naming the field, and close code 4403 for a stream).
MATRIX: dict[str, tuple[int, int, int, int, int]] = {
    # ---- the teacher's side
    "GET /api/auth/me": (401, 401, 401, 200, 200),
    "GET /api/lessons": (401, 401, 401, 200, 200),
    "GET /api/lessons/{lesson}": (401, 401, 401, 200, 404),
    "PATCH /api/lessons/{lesson}": (401, 401, 401, 200, 404),
    "GET /api/classrooms": (401, 401, 401, 200, 200),
    "POST /api/classrooms": (401, 401, 401, 201, 404),
    "GET /api/classrooms/{room}": (401, 401, 401, 200, 403),
    "PATCH /api/classrooms/{room}": (401, 401, 401, 200, 403),
    "PUT /api/classrooms/{room}/lesson": (401, 401, 401, 200, 403),
    "POST /api/classrooms/{room}/close": (401, 401, 401, 200, 403),
    "POST /api/classrooms/{room}/pace": (401, 401, 401, 200, 403),
    "POST /api/classrooms/{room}/seats/{seat}/approve": (401, 401, 401, 200, 403),
    "DELETE /api/classrooms/{room}/seats/{seat}": (401, 401, 401, 200, 403),
    "GET /api/classrooms/{room}/leaderboard": (403, 403, 403, 200, 403),
    "GET /api/classrooms/{room}/export.csv": (401, 401, 401, 200, 403),
    "GET /api/classrooms/{room}/export.json": (401, 401, 401, 200, 403),
    # activities (issue 18): the world's lesson has no steps (one step, no question)
    "POST /api/classrooms/{room}/steps/open": (401, 401, 401, 409, 403),
    "POST /api/classrooms/{room}/steps/0/reveal": (401, 401, 401, 409, 403),
    "GET /api/classrooms/{room}/steps/0/results": (401, 401, 401, 200, 403),
    "GET /api/classrooms/{room}/answers.csv": (401, 401, 401, 200, 403),
    "GET /api/classrooms/{room}/answers.json": (401, 401, 401, 200, 403),
    "GET /api/classrooms/{room}/snapshots": (401, 401, 401, 200, 403),
    "DELETE /api/classrooms/{room}/snapshots": (401, 401, 401, 200, 403),
    # ---- the students' side (each student asks about their own seat)
    "GET /api/classrooms/{room}/me": (403, 200, 200, 403, 403),
    "POST /api/classrooms/{room}/me/session": (403, 200, 200, 403, 403),
    "GET /api/classrooms/{room}/activity": (403, 200, 200, 403, 403),
    "POST /api/classrooms/{room}/steps/0/answer": (403, 409, 409, 403, 403),
    "POST /api/classrooms/{room}/me/step": (403, 403, 403, 403, 403),
    # ---- student A's session: A drives it, the teacher reads it, nobody else reaches it
    "GET /api/sessions/{a}": (403, 200, 403, 200, 403),
    "PATCH /api/sessions/{a}": (403, 200, 403, 403, 403),
    "PATCH /api/sessions/{a} (locked)": (403, 403, 403, 403, 403),
    "POST /api/sessions/{a}/train": (403, 200, 403, 403, 403),
    "POST /api/sessions/{a}/reset": (403, 200, 403, 403, 403),
    "POST /api/sessions/{a}/weights": (403, 200, 403, 403, 403),
    "POST /api/sessions/{a}/biases": (403, 200, 403, 403, 403),
    "POST /api/sessions/{a}/predict": (403, 200, 403, 200, 403),
    "POST /api/sessions/{a}/gradient_check": (403, 200, 403, 200, 403),
    "GET /api/sessions/{a}/history": (403, 200, 403, 200, 403),
    "GET /api/sessions/{a}/export": (403, 200, 403, 200, 403),
    "GET /api/sessions/{a}/export.py": (403, 200, 403, 200, 403),
    "GET /api/sessions/{a}/jobs/{none}": (403, 404, 403, 404, 403),
    "DELETE /api/sessions/{a}/jobs/{none}": (403, 404, 403, 403, 403),
    "GET /api/sessions/{a}/replay": (403, 200, 403, 200, 403),
    "GET /api/sessions/{a}/replay/0": (403, 200, 403, 200, 403),
    "GET /api/sessions/{a}/confusion": (403, 200, 403, 200, 403),
    "PUT /api/sessions/{a}/stop": (403, 200, 403, 403, 403),
    "DELETE /api/sessions/{a}": (403, 403, 403, 403, 403),
    "WS /api/sessions/{a}/stream": (403, 200, 403, 200, 403),
    "WS /api/sessions/{a}/stream step": (403, 200, 403, 403, 403),
    "WS /api/summaries watch {a}": (403, 200, 403, 200, 403),
    # ---- an anonymous playground session: open to anyone with its id, as before
    "GET /api/sessions/{anon}": (200, 200, 200, 200, 200),
    "POST /api/sessions/{anon}/train": (200, 200, 200, 200, 200),
    "WS /api/sessions/{anon}/stream step": (200, 200, 200, 200, 200),
    "WS /api/summaries watch {anon}": (200, 200, 200, 200, 200),
    "DELETE /api/sessions/{anon}": (204, 204, 204, 204, 204),
}


@dataclass
class World:
    site: Site
    people: dict[str, httpx.Client]
    lesson: dict
    room: dict
    seat_a: str
    anon: str  # an anonymous playground session


@pytest.fixture(scope="module")
def world(site: Site) -> World:
    teacher = site.teacher("ada")
    other = site.teacher("grace")
    open_room(other)  # grace teaches a class of her own
    les = lesson(teacher, locks=["learning_rate"], challenge={"test_loss_below": 0.05})
    r = teacher.post("/api/classrooms", json={"lesson_id": les["id"]})
    room = r.json()
    a, answer = join(site, room, "Student A")
    b, _ = join(site, room, "Student B")
    people = {
        "anonymous": site.person(),
        "student_a": a,
        "student_b": b,
        "teacher": teacher,
        "other_teacher": other,
    }
    r = people["anonymous"].post("/api/sessions", json=SETUP)
    assert r.status_code == 201, r.text
    return World(site, people, les, room, answer["seat"]["id"], r.json()["id"])


def socket_status(world: World, who: httpx.Client, path: str, command: dict | None = None) -> int:
    """200 if the stream serves ``who`` (and ``command`` trains it a step), 403 if refused."""
    with open_socket(world.site.server, path, who) as ws:
        first, _ = recv_until(ws, lambda m: m["type"] in ("frame", "error"))
        if first["type"] == "error":
            assert first["field"] == "session_id", first
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=TIMEOUT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
            return 403
        if command is None:
            return 200
        ws.send(json.dumps(command))
        want = first["epoch"] + command["epochs"]
        got, _ = recv_until(
            ws, lambda m: is_error(m) or (m["type"] == "frame" and m["epoch"] >= want)
        )
        if got["type"] == "error":
            assert got["field"] == "session_id" and "read-only" in got["message"], got
            return 403
        assert got["epoch"] == want
        return 200


def watch_status(world: World, who: httpx.Client, sid: str) -> int:
    """200 if a dashboard socket of ``who`` gets a summary of ``sid``, 403 if refused."""
    with open_socket(world.site.server, "/api/summaries", who) as ws:
        ws.send(json.dumps({"type": "watch", "ids": [sid]}))
        got, _ = recv_until(ws, lambda m: m["type"] in ("summary", "error"))
        if got["type"] == "error":
            assert got["field"] == "ids" and sid in got["message"], got
            return 403
        assert got["id"] == sid
        return 200


def call(world: World, endpoint: str, role: str) -> int:
    """Make the call ``endpoint`` as ``role``; its status."""
    who = world.people[role]
    teacher = world.people["teacher"]
    cid, lid = world.room["id"], world.lesson["id"]
    room = f"/api/classrooms/{cid}"
    method, path = endpoint.split(" ", 1)
    a = session_of(world.people["student_a"], world.room)
    anon = None
    if "{anon}" in path:  # anonymous sessions count per address (20): one, or one to delete
        anon = world.anon
        if method == "DELETE":
            r = world.people["anonymous"].post("/api/sessions", json=SETUP)
            assert r.status_code == 201, r.text
            anon = r.json()["id"]
    sid = anon or a
    session = f"/api/sessions/{sid}"
    body: dict | None = None
    if method == "WS":
        if "summaries" in path:
            return watch_status(world, who, sid)
        command = {"type": "step", "epochs": 2} if path.endswith(" step") else None
        return socket_status(world, who, f"{session}/stream", command)
    match path:
        case "/api/auth/me" | "/api/lessons" | "/api/classrooms" if method == "GET":
            url = path
        case "/api/classrooms":
            url, body = path, {"lesson_id": lid}
        case "/api/lessons/{lesson}":
            url, body = f"/api/lessons/{lid}", {"title": "XOR by hand"}
        case "/api/classrooms/{room}":
            url, body = room, {"hide_names": False}
        case "/api/classrooms/{room}/lesson":
            url, body = f"{room}/lesson", {"locks": ["learning_rate"]}
        case "/api/classrooms/{room}/close":  # a room of its own: the class goes on
            fresh = teacher.post("/api/classrooms", json={"lesson_id": lid}).json()
            url = f"/api/classrooms/{fresh['id']}/close"
        case "/api/classrooms/{room}/pace":
            url, body = f"{room}/pace", {"op": "pause"}
        case "/api/classrooms/{room}/seats/{seat}/approve":
            url = f"{room}/seats/{world.seat_a}/approve"
        case "/api/classrooms/{room}/seats/{seat}":  # a newcomer's seat: A and B stay
            _, answer = join(world.site, world.room, f"Newcomer {time.monotonic_ns()}")
            url = f"{room}/seats/{answer['seat']['id']}"
        case "/api/classrooms/{room}/me/session":
            url, body = f"{room}/me/session", {"setup": SETUP}
        case "/api/classrooms/{room}/steps/open" | "/api/classrooms/{room}/me/step":
            url, body = room + path.removeprefix("/api/classrooms/{room}"), {"step": 0}
        case "/api/classrooms/{room}/steps/0/answer":
            url, body = f"{room}/steps/0/answer", {"text": "a thought"}
        case _ if path.startswith("/api/classrooms/{room}"):
            url = room + path.removeprefix("/api/classrooms/{room}")
        case _:
            rest = path.split("}", 1)[1]
            url = session + rest.replace("{none}", "no-such-job").removesuffix(" (locked)")
            body = {
                ("PATCH", ""): {"batch_size": 1},
                ("PATCH", " (locked)"): {"learning_rate": 1.0},
                ("POST", "/train"): {"epochs": 1},
                ("POST", "/weights"): {"layer": 0, "i": 0, "j": 0, "value": 0.25},
                ("POST", "/biases"): {"layer": 0, "j": 0, "value": 0.25},
                ("POST", "/predict"): {"inputs": [[0.5, -0.5]]},
                ("POST", "/gradient_check"): {"samples": 2},
            }.get((method, rest), None if method in ("GET", "DELETE") else {})
    if method in ("GET", "DELETE"):
        body = None
    r = who.request(method, url, json=body)
    if r.status_code in (401, 403):
        assert r.json()["detail"], r.text  # every refusal says why
    return r.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_authorization_matrix(world: World, endpoint: str, role: str):
    expected = MATRIX[endpoint][ROLES.index(role)]
    assert call(world, endpoint, role) == expected


# ---- kill -9 and restart ----------------------------------------------------------------------


def test_a_class_survives_kill_9_with_its_seats_and_weights(tmp_path):
    env = {"BPP_CHECKPOINT_SECONDS": "0.2"}
    site = start_site(tmp_path, ("ada",), env)
    try:
        teacher = site.teacher("ada")
        room = open_room(teacher)
        cid = room["id"]
        students = [join(site, room, f"R{i}")[0] for i in range(5)]
        sids = [session_of(s, room) for s in students]
        r = teacher.post(f"/api/classrooms/{cid}/pace", json={"op": "step", "epochs": 20})
        assert r.json()["sessions"] == 5, r.text
        before = [weights(s, sid) for s, sid in zip(students, sids, strict=True)]
        assert all(epoch(s, sid) == 20 for s, sid in zip(students, sids, strict=True))

        # checkpoints are queued: wait until the store holds every session at epoch 20
        db = site.data_dir / "playground.db"

        def stored() -> bool:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
                rows = conn.execute(
                    "SELECT session_id, epoch FROM checkpoints WHERE session_id IN "
                    f"({','.join('?' * len(sids))})",
                    sids,
                ).fetchall()
            return sorted(rows) == sorted((sid, 20) for sid in sids)

        poll(stored, "every student's checkpoint at epoch 20 is in the store")
        seats = {
            s["id"]: s["session_id"] for s in teacher.get(f"/api/classrooms/{cid}").json()["seats"]
        }
        assert site.server.kill9() == -9

        site.server = start_server(env=site.server.env, log_dir=tmp_path, startup_timeout=TIMEOUT)
        # the same browsers (their cookies) on the restarted server
        teacher2 = site.person(cookies=teacher.cookies)
        after_seats = teacher2.get(f"/api/classrooms/{cid}")
        assert after_seats.status_code == 200, after_seats.text
        assert {s["id"]: s["session_id"] for s in after_seats.json()["seats"]} == seats
        for old, sid, w in zip(students, sids, before, strict=True):
            again = site.person(cookies=old.cookies)
            assert session_of(again, room) == sid
            assert epoch(again, sid) == 20
            assert weights(again, sid) == w
            assert again.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).status_code == 200
        with open_socket(site.server, f"/api/sessions/{sids[-1]}/stream", again) as ws:
            frame, _ = recv_until(ws, lambda m: m["type"] in ("frame", "error"))
            assert frame["type"] == "frame" and frame["epoch"] == 20 + 1, frame
        r = site.person().post("/api/join", json={"code": room["code"], "name": "After"})
        assert r.status_code == 200, r.text  # the code still works
    finally:
        site.close()
        site.server.stop()
