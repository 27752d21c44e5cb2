"""The student's side of a classroom: joining with its code and a name (or a seat key, on
another device), their seat, session and the lesson's locks, and a setup of their own where
the lesson allows it (docs/contract.md, "Classroom")."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app import limits
from app.classroom.access import seat_cookie
from app.classroom.controls import CONTROLS
from app.classroom.schemas import JoinIn, JoinOut, MeOut, NewSessionOut, SetupIn
from app.classroom.tokens import MAX_NAME_LENGTH, clean_name, normalise_code
from app.errors import FieldError
from app.web.contract import SEAT, errors
from app.web.deps import client_address
from app.web.routers.classroom_deps import (
    CLOSED,
    NEW_SESSION,
    ClassroomsDep,
    SeatDep,
    _found,
    set_cookie,
)

router = APIRouter(prefix="/api", tags=["classroom"])


@router.post(
    "/join",
    responses={
        **errors(
            403,
            409,
            429,
            notes={
                403: "The teacher has locked the lobby (field ``code``).",
                409: "Someone in this classroom has this name (field ``name``).",
                429: "Too many wrong codes (``join_attempts_per_minute``) or joins at once "
                "(``join_tries_in_flight``) from this address (field ``code``).",
            },
        ),
        **errors(503),
        200: {"model": JoinOut},
    },
)
async def join(body: JoinIn, request: Request, c: ClassroomsDep) -> JSONResponse:
    """Join a classroom with its code and a display name (or your seat key, to take your seat
    on another device). Sets the seat's cookie; answers with the seat and, the first time,
    its rejoin key.

    Only wrong tries count against the address (``join_attempts_per_minute``), each reserved
    atomically once known to be wrong: at most that many are ever answered "wrong" in a minute
    (the rest 429), and an address over it waits, whatever code it types; a hall of students
    behind one NAT address typing the right code never adds to it, however many join at once.
    Tries under way at once from one address are bounded too (``join_tries_in_flight``,
    reserved before anything is awaited and given back at the end): a burst sent at once
    before the address is over its limit can test at most that many codes."""
    address = client_address(request)
    wrong_key, flight_key = "addr:" + address, "flight:" + address
    limit = c.settings.join_attempts_per_minute
    wait = await c.quotas.joins.reserve([(flight_key, c.settings.join_tries_in_flight)])
    if wait:
        raise FieldError(
            "code",
            "too many joins at once from this address; try again in a moment "
            "(join_tries_in_flight)",
            status_code=429,
            kind="limit",
        )
    too_many = FieldError(
        "code",
        "too many wrong codes; try again in a minute (join_attempts_per_minute)",
        status_code=429,
        kind="limit",
    )
    if await c.quotas.joins.count(wrong_key) >= limit:
        await c.quotas.joins.refund([flight_key])
        raise too_many
    wrong = True
    try:
        room = await asyncio.to_thread(c.rooms.classroom_by_code, normalise_code(body.code))
        if room is None:
            raise FieldError("code", "no open classroom has this code: check it with your teacher")
        name = clean_name(body.name)
        if not name:
            wrong = False
            raise FieldError("name", "type the name your teacher will see")
        if len(name) > MAX_NAME_LENGTH:
            wrong = False
            raise FieldError("name", f"must have at most {MAX_NAME_LENGTH} characters")
        taken = None
        if body.key:
            taken = await asyncio.to_thread(c.rooms.take_seat, room.id, name, body.key)
            if taken is None:
                raise FieldError("key", "this seat key does not match that name in this classroom")
        wrong = False
    except FieldError:
        if wrong and await c.quotas.joins.reserve([(wrong_key, limit)]):
            raise too_many from None  # over the limit: not even told this code is wrong
        raise
    finally:
        await c.quotas.joins.refund([flight_key])
    key = None
    if taken is not None:
        seat, token = taken
    else:
        if room.lobby_locked:
            raise FieldError(
                "code",
                "the teacher has locked this classroom's lobby: ask them to let you in",
                status_code=403,
                kind="forbidden",
            )
        seat, token, key = await asyncio.to_thread(
            c.rooms.add_seat, room, name, "waiting" if room.approval_required else "active"
        )
        if seat.status == "active":
            await c.teaching.give_session(room, seat)
    seat = _found(await asyncio.to_thread(c.rooms.seat, seat.id), "code", "your seat")
    response = JSONResponse(
        {
            "classroom_id": room.id,
            "seat": seat.json(),
            "key": key,
            "url": f"/classrooms/{room.id}/seat",
        }
    )
    set_cookie(request, response, seat_cookie(room.id), token, 180 * 24 * 3600)
    return response


@router.get("/classrooms/{classroom_id}/me", response_model=MeOut, responses=SEAT | NEW_SESSION)
async def my_place(seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """The asking student's seat, session and what the lesson locks."""
    room, seat = seat_and_room
    if (
        seat.status == "active"
        and room.open
        and (seat.session_id is None or await c.registry_missing(seat.session_id))
    ):
        await c.teaching.give_session(room, seat)
        seat = _found(await asyncio.to_thread(c.rooms.seat, seat.id), "seat", "your seat")
    return {
        "seat": seat.json(),
        "classroom": {
            "id": room.id,
            "name": room.name,
            "status": room.status,
            "locks": room.locks,
            "setup": room.setup,
            "challenge": room.challenge,
            "challenge_active": room.challenge_active,
            "leaderboard": room.leaderboard,
            "instructions": room.instructions,
        },
        "controls": CONTROLS,
    }


@router.post(
    "/classrooms/{classroom_id}/me/session",
    response_model=NewSessionOut,
    responses=SEAT
    | CLOSED
    | NEW_SESSION
    | errors(
        403,
        notes={
            403: "No seat here (field ``seat``), not let in yet, or the lesson locks a "
            "control this setup changes (field: the control)."
        },
    ),
)
async def change_my_setup(body: SetupIn, seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """A student's new setup (the page's dataset, layers, activation...): refused (403 naming
    the control) where the lesson locks it; otherwise the seat gets a session of it."""
    room, seat = seat_and_room
    if not room.open:
        raise FieldError("classroom_id", "the classroom is closed", status_code=409)
    if seat.status != "active":
        raise FieldError("seat", "your teacher has not let you in yet", status_code=403)
    try:
        limits.check_session(body.setup, c.settings)
    except FieldError as exc:  # named as this body's field
        raise FieldError("setup." + exc.field, exc.message) from None
    setup = body.setup.model_dump(exclude_none=True)
    await c.activities.check_thawed(room, seat)  # not while a network question is open
    session_id = await c.teaching.change_setup(room, seat, setup)
    return {"session_id": session_id}
