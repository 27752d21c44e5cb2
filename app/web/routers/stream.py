"""The live stream: WebSocket ``/api/sessions/{id}/stream`` (docs/contract.md, "WebSocket").

Each connection runs two small coroutines in one task group: ``receive_commands`` reads and
executes commands, ``send_messages`` drains this viewer's mailbox (newest frame, newest status,
...). When either ends — the client left, a send failed — the other is cancelled, and the
viewer unsubscribes. Training belongs to the session, not to the connection: disconnecting
pauses nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from app import encoding
from app.classroom.access import READ
from app.commands import Frame, Panels, Status
from app.errors import FieldError, join_loc
from app.limits import check_epochs
from app.schemas import (
    Command,
    SetCommand,
    StepCommand,
)
from app.settings import Settings
from app.web.hub import Mailbox
from app.web.session import SessionHandle
from engine import SpecError

log = logging.getLogger(__name__)
router = APIRouter()
commands = TypeAdapter(Command)

CLOSE_UNKNOWN_SESSION = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
FRAME_FORMATS = ("json", "binary")


def error_text(field: str, message: str) -> str:
    return encoding.dumps({"type": "error", "field": field, "message": message})


def parse_command(text: str, settings: Settings) -> Command:
    """JSON text → a validated command, or FieldError naming the field."""
    if len(text.encode()) > settings.max_ws_message_bytes:
        raise FieldError(
            "message",
            f"{len(text.encode())} bytes exceed the limit of {settings.max_ws_message_bytes} "
            "(max_ws_message_bytes)",
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FieldError("message", f"is not valid JSON ({exc})") from None
    except RecursionError:
        raise FieldError("message", "is nested too deeply") from None
    if not isinstance(data, dict):
        raise FieldError("message", 'must be a JSON object with a "type"')
    try:
        command = commands.validate_python(data, strict=True)  # "1" and true are no integers
    except ValidationError as exc:
        first = exc.errors()[0]
        field = join_loc(first.get("loc", ())) or "type"
        # the discriminated union puts the command's type first in the location
        parts = field.split(".", 1)
        if len(parts) == 2 and parts[0] == data.get("type"):
            field = parts[1]
        raise FieldError(field, str(first.get("msg", "invalid"))) from None
    if isinstance(command, StepCommand):
        check_epochs("epochs", command.epochs, settings)
    if isinstance(command, SetCommand):
        command.training.check_limits(settings)
    return command


def receive_text(message: Mapping[str, Any], mailbox: Mailbox) -> str | None:
    """The text of a WebSocket message (binary frames must be UTF-8); None after telling the
    viewer why it is refused."""
    text = message.get("text")
    if text is None:
        raw = message.get("bytes") or b""
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            mailbox.put("error", error_text("message", "is not UTF-8 text"))
            return None
    return text


async def texts(ws: WebSocket, mailbox: Mailbox) -> AsyncIterator[str]:
    """The socket's messages as text until the client leaves (a binary frame that is not UTF-8
    is refused to the viewer and skipped)."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = receive_text(message, mailbox)
        if text is not None:
            yield text


async def receive_commands(
    ws: WebSocket, session: SessionHandle, mailbox: Mailbox, settings: Settings
) -> None:
    """Each command the viewer sends: parsed once, checked against a seat's locks (only a
    classroom seat's session has a guard: ``Gate.command_guard``), and run in the session's
    trainer as the very model validated here; its results reach every viewer through the hub
    (the frames, statuses and sample steps the trainer publishes)."""
    guard = ws.app.state.classrooms.gate.command_guard(ws, session.client)
    async for text in texts(ws, mailbox):
        session.touch()
        try:
            command = parse_command(text, settings)
            if guard is not None:
                await guard(command)
            await session.call(command)
        except FieldError as exc:
            mailbox.put("error", error_text(exc.field, exc.message))
        except SpecError as exc:
            mailbox.put("error", error_text(exc.field, exc.message))
        except Exception:  # a bug must not take the connection or the session down
            log.exception("command failed on session %s", session.id)
            mailbox.put("error", error_text("message", "the server failed on this command"))


async def send_messages(ws: WebSocket, mailbox: Mailbox) -> None:
    """Send what the mailbox holds, newest of each kind, until it is closed and empty."""
    while (message := await mailbox.get()) is not None:
        if isinstance(message, bytes):
            await ws.send_bytes(message)
        else:
            await ws.send_text(message)


async def pump(ws: WebSocket, mailbox: Mailbox, receiver) -> None:
    """Run ``receiver`` (reading the socket) beside a sender draining ``mailbox``; when either
    ends — the client left, a send failed — the other is cancelled."""
    async with anyio.create_task_group() as tg:

        async def run_receiver() -> None:
            try:
                await receiver()
            except (WebSocketDisconnect, RuntimeError):
                pass
            tg.cancel_scope.cancel()

        async def run_sender() -> None:
            try:
                await send_messages(ws, mailbox)
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass
            tg.cancel_scope.cancel()

        tg.start_soon(run_receiver)
        tg.start_soon(run_sender)


@router.websocket("/api/sessions/{session_id}/stream")
async def stream(ws: WebSocket, session_id: str) -> None:
    """Commands in, frames out. On connect: the current state as a frame, then the status and
    the panels (history, confusion matrix, replay range). ``?format=binary`` asks for binary
    frames (docs/contract.md, "Binary frames"); the default, ``json``, sends JSON only."""
    registry = ws.app.state.registry
    hub = ws.app.state.hub
    settings: Settings = ws.app.state.settings
    frame_format = ws.query_params.get("format", "json")
    await ws.accept()
    if frame_format not in FRAME_FORMATS:
        await ws.send_text(error_text("format", f"must be one of {list(FRAME_FORMATS)}"))
        await ws.close(code=CLOSE_BAD_REQUEST)
        return
    session = await registry.find(session_id)
    if session is None:
        await ws.send_text(error_text("session_id", f"no session {session_id!r}"))
        await ws.close(code=CLOSE_UNKNOWN_SESSION)
        return
    try:  # a classroom seat's session: its student and their teacher only
        await ws.app.state.classrooms.gate.check(ws, session.client, READ)
    except FieldError as exc:
        await ws.send_text(error_text(exc.field, exc.message))
        await ws.close(code=CLOSE_FORBIDDEN)
        return
    if hub.viewers(session_id) >= settings.max_viewers_per_session:
        limit = settings.max_viewers_per_session
        await ws.send_text(error_text("viewers", f"the session has its limit of {limit} viewers"))
        await ws.close(code=1013)
        return
    mailbox = hub.subscribe(session_id, Mailbox(binary=frame_format == "binary"))
    try:
        registry.sync_viewers(session_id)
        refused: FieldError | None = None
        try:
            mailbox.put("frame", (await session.call(Frame()) or b"").decode())
            mailbox.put("status", (await session.call(Status()) or b"").decode())
            await hub.following(session_id)  # on a bus: its channel is listened to first
            await session.call(Panels())  # history, confusion, replay range: to the hub
        except FieldError as exc:  # deleted, or its trainer lost, meanwhile
            refused = exc
        if refused is None and registry.get(session_id) is not session:
            refused = FieldError("session_id", f"no session {session_id!r}")
        if refused is not None:  # say why, then close
            mailbox.put("error", error_text(refused.field, refused.message))
            mailbox.close()
        await pump(ws, mailbox, lambda: receive_commands(ws, session, mailbox, settings))
    finally:
        hub.unsubscribe(session_id, mailbox)
        mailbox.close()
        session.touch()
        registry.sync_viewers(session_id)
    if registry.get(session_id) is None:
        try:
            await ws.close(code=CLOSE_UNKNOWN_SESSION if session.closed else 1001)
        except (RuntimeError, WebSocketDisconnect):  # the client left first: nothing to close
            pass


@router.websocket("/api/summaries")
async def summaries(ws: WebSocket) -> None:
    """A dashboard's socket: send ``{"type": "watch", "ids": [...]}`` (at most
    ``max_watch_ids``) and receive a ``summary`` of each of those sessions about
    ``summary_rate`` times a second while it changes. A later ``watch`` replaces the list."""
    registry = ws.app.state.registry
    hub = ws.app.state.hub
    settings: Settings = ws.app.state.settings
    await ws.accept()
    mailbox = Mailbox()
    watching: set[str] = set()

    async def watch(ids: list[str]) -> None:
        for session_id in ids:  # sessions other web processes created (on a bus)
            await registry.find(session_id)
        for session_id in watching - set(ids):
            hub.unsubscribe(session_id, mailbox)
            registry.sync_viewers(session_id)
        unknown = [i for i in ids if registry.get(i) is None]
        forbidden = []
        for session_id in ids:
            handle = registry.get(session_id)
            if handle is not None:
                try:
                    await ws.app.state.classrooms.gate.check(ws, handle.client, READ)
                except FieldError:
                    forbidden.append(session_id)
        if forbidden:
            mailbox.put(
                "error",
                error_text("ids", f"sessions of classroom seats not yours to watch: {forbidden!r}"),
            )
        skip = set(unknown) | set(forbidden)
        for session_id in set(ids) - watching:
            if session_id not in skip:
                hub.subscribe_summaries(session_id, mailbox)
                registry.sync_viewers(session_id)
                registry.keep_resident(session_id)
        watching.clear()
        watching.update(i for i in ids if i not in skip)
        if unknown:
            mailbox.put("error", error_text("ids", f"no sessions {unknown!r}"))

    async def receive() -> None:
        async for text in texts(ws, mailbox):
            try:
                await watch(parse_watch(text, settings))
            except FieldError as exc:
                mailbox.put("error", error_text(exc.field, exc.message))

    try:
        await pump(ws, mailbox, receive)
    finally:
        for session_id in watching:
            hub.unsubscribe(session_id, mailbox)
            registry.sync_viewers(session_id)
        mailbox.close()


def parse_watch(text: str, settings: Settings) -> list[str]:
    """``{"type": "watch", "ids": [...]}`` → the ids, or FieldError naming the field."""
    if len(text.encode()) > settings.max_ws_message_bytes:
        raise FieldError("message", "exceeds the limit (max_ws_message_bytes)")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FieldError("message", "is not valid JSON") from None
    if not isinstance(data, dict) or data.get("type") != "watch":
        raise FieldError("type", 'must be "watch"')
    ids = data.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise FieldError("ids", "must be a list of session ids")
    if len(ids) > settings.max_watch_ids:
        raise FieldError(
            "ids", f"{len(ids)} ids exceed the limit of {settings.max_watch_ids} (max_watch_ids)"
        )
    return ids
