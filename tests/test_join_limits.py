"""Join-code limits for a lecture hall (issue 21): 200 students behind one NAT address typing the
right code at once all get in; guessing from that address is still stopped."""

from __future__ import annotations

import asyncio

import httpx

from app.classroom.tokens import CODE_ALPHABET, CODE_LENGTH
from tests.support.classroom import DEFAULT_LESSON, create_teacher

PASSWORD = "correct horse battery staple"
HALL = 200


def open_room(client) -> dict:
    """A teacher's open classroom that asks for approval (seats wait: no session is made)."""
    r = client.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})
    assert r.status_code == 200, r.text
    r = client.post("/api/lessons", json={"title": "Hall", "setup": DEFAULT_LESSON})
    assert r.status_code == 201, r.text
    r = client.post("/api/classrooms", json={"lesson_id": r.json()["id"]})
    assert r.status_code == 201, r.text
    room = r.json()
    r = client.patch(f"/api/classrooms/{room['id']}", json={"approval_required": True})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return room


NAT = ("203.0.113.7", 40000)  # the hall's one address


async def joins(app, bodies: list[dict], at_once: bool = True) -> list[int]:
    """Every body POSTed to /api/join from the hall's address: all at once, or one by one."""
    transport = httpx.ASGITransport(app=app, client=NAT)
    async with httpx.AsyncClient(transport=transport, base_url="http://hall") as client:

        async def one(body: dict) -> int:
            return (await client.post("/api/join", json=body)).status_code

        if at_once:
            return list(await asyncio.gather(*(one(b) for b in bodies)))
        return [await one(b) for b in bodies]


def test_a_hall_behind_one_address_joins_at_once_and_guessing_is_still_stopped(
    tmp_path, make_client
):
    data = tmp_path / "data"
    create_teacher(data, "ada", PASSWORD)
    client = make_client(data_dir=str(data), trainers=0)
    room = open_room(client)
    app = client.app

    right = [{"code": room["code"], "name": f"Student {i:03d}"} for i in range(HALL)]
    assert client.portal.call(joins, app, right) == [200] * HALL

    wrong = "".join(CODE_ALPHABET[0] for _ in range(CODE_LENGTH))
    assert wrong != room["code"]
    limit = app.state.settings.join_attempts_per_minute
    guesses = [{"code": wrong, "name": "Mallory"}] * (limit + 5)
    codes = client.portal.call(joins, app, guesses, False)
    assert codes == [422] * limit + [429] * 5
    # once over the limit the address waits, even with the right code (guessing must not pay)
    late = [{"code": room["code"], "name": "Late"}]
    assert client.portal.call(joins, app, late) == [429]


def test_wrong_codes_sent_at_once_are_answered_wrong_at_most_the_limit_times(make_client):
    client = make_client(trainers=0, join_attempts_per_minute=10)
    wrong = "".join(CODE_ALPHABET[0] for _ in range(CODE_LENGTH))
    codes = client.portal.call(joins, client.app, [{"code": wrong, "name": "Mallory"}] * 50)
    assert codes.count(422) == 10 and codes.count(429) == 40, codes
