"""Issue 17 (the teacher's side) against the real server: a lesson's instructions (kept,
changed, pushed, read by students, bounded by ``max_lesson_instructions_chars``), a seat that
moved to another device told so (not "you have no seat"), and a join URL on a loopback address
that carries a warning saying how students can reach the server."""

from __future__ import annotations

import httpx

from app.web.routers.classroom import join_warning
from tests import test_classroom_api as classroom
from tests.test_classroom_api import SETUP, Site, field_of, join, lesson, open_room

site, ada = classroom.site, classroom.ada  # its server and teacher (fixtures), shared

TEXT = "## Forward pass\n\nCompute $z_1$ for the highlighted sample."


def test_a_lesson_keeps_its_instructions_and_students_read_them(site: Site, ada: httpx.Client):
    made = lesson(ada, instructions=TEXT)
    assert made["instructions"] == TEXT
    assert ada.get(f"/api/lessons/{made['id']}").json()["instructions"] == TEXT
    plain = lesson(ada)
    assert plain["instructions"] == ""  # a lesson without any, as every older one
    r = ada.patch(f"/api/lessons/{made['id']}", json={"instructions": "Step one sample."})
    assert r.status_code == 200 and r.json()["instructions"] == "Step one sample."
    assert r.json()["title"] == made["title"]  # the rest unchanged

    room = ada.post("/api/classrooms", json={"lesson_id": made["id"]}).json()
    assert room["instructions"] == "Step one sample."
    student, _ = join(site, room, "Ada")
    me = student.get(f"/api/classrooms/{room['id']}/me").json()
    assert me["classroom"]["instructions"] == "Step one sample."
    # pushed during class: every student's seat reads the new ones
    r = ada.put(f"/api/classrooms/{room['id']}/lesson", json={"instructions": TEXT})
    assert r.status_code == 200 and r.json()["replaced"] == 0
    me = student.get(f"/api/classrooms/{room['id']}/me").json()
    assert me["classroom"]["instructions"] == TEXT


def test_instructions_past_the_limit_are_refused_naming_the_field(ada: httpx.Client):
    long = "x" * 20_001  # max_lesson_instructions_chars defaults to 20 000
    r = ada.post("/api/lessons", json={"title": "t", "setup": SETUP, "instructions": long})
    assert r.status_code == 422 and field_of(r) == "instructions", r.text
    made = lesson(ada)
    r = ada.patch(f"/api/lessons/{made['id']}", json={"instructions": long})
    assert r.status_code == 422 and field_of(r) == "instructions", r.text
    r = ada.post("/api/lessons", json={"title": "t", "instructions": 7})
    assert r.status_code == 422 and field_of(r) == "instructions", r.text


def test_a_seat_that_moved_is_told_so_and_a_removed_one_is_told_it_has_none(
    site: Site, ada: httpx.Client
):
    room = open_room(ada)
    first, answer = join(site, room, "Lin")
    laptop = site.person()
    r = laptop.post("/api/join", json={"code": room["code"], "name": "Lin", "key": answer["key"]})
    assert r.status_code == 200, r.text
    r = first.get(f"/api/classrooms/{room['id']}/me")
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "seat_moved", r.text
    assert "moved to another device" in r.json()["detail"][0]["msg"]

    seat = laptop.get(f"/api/classrooms/{room['id']}/me").json()["seat"]
    ada.delete(f"/api/classrooms/{room['id']}/seats/{seat['id']}")
    r = laptop.get(f"/api/classrooms/{room['id']}/me")
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "forbidden", r.text
    r = site.person().get(f"/api/classrooms/{room['id']}/me")  # never joined: no seat
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "forbidden", r.text


def test_a_join_url_on_a_loopback_address_warns_how_to_reach_the_server(ada: httpx.Client):
    room = open_room(ada)  # the test server listens on 127.0.0.1
    assert room["join_url"].startswith("http://127.0.0.1:")
    assert "127.0.0.1" in room["join_warning"] and "--host 0.0.0.0" in room["join_warning"]
    listed = ada.get("/api/classrooms").json()["classrooms"]
    assert all(r["join_warning"] for r in listed if r["status"] == "open")
    for url in ("http://localhost:8000/join/X", "http://[::1]:8000/join/X", "http://127.0.1.1/j"):
        assert join_warning(url), url
    for url in ("http://192.168.1.20:8000/join/X", "https://class.example.org/join/X", None):
        assert join_warning(url) is None, url
