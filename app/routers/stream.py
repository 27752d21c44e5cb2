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

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from app import frames
from app.errors import FieldError, join_loc
from app.hub import Mailbox
from app.limits import check_epochs, check_training
from app.schemas import (
    Command,
    PauseCommand,
    PlayCommand,
    ProbeCommand,
    ResetCommand,
    SetCommand,
    StepCommand,
    StepSampleCommand,
)
from app.session import TrainingSession
from app.settings import Settings
from engine import SpecError

log = logging.getLogger(__name__)
router = APIRouter()
commands = TypeAdapter(Command)

CLOSE_UNKNOWN_SESSION = 4404


def error_text(field: str, message: str) -> str:
    return frames.dumps({"type": "error", "field": field, "message": message})


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
    if not isinstance(data, dict):
        raise FieldError("message", 'must be a JSON object with a "type"')
    try:
        command = commands.validate_python(data)
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
        check_training(command.training, settings)
    return command


async def execute(command: Command, session: TrainingSession) -> None:
    """Run one command; its results reach every viewer through the hub."""
    match command:
        case PlayCommand():
            await session.play()
        case PauseCommand():
            await session.pause()
        case StepCommand(epochs=epochs):
            await session.step(epochs)
        case StepSampleCommand(index=index):
            await session.step_sample(index)
        case ResetCommand():
            await session.reset()
        case SetCommand(training=patch):
            await session.set_training(patch)
        case ProbeCommand(index=index):
            await session.set_probe(index)


async def receive_commands(ws: WebSocket, session: TrainingSession, mailbox: Mailbox) -> None:
    settings = session.settings
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            raw = message.get("bytes") or b""
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                mailbox.put("error", error_text("message", "is not UTF-8 text"))
                continue
        session.touch()
        try:
            await execute(parse_command(text, settings), session)
        except FieldError as exc:
            mailbox.put("error", error_text(exc.field, exc.message))
        except SpecError as exc:
            mailbox.put("error", error_text(exc.field, exc.message))
        except Exception:  # a bug must not take the connection or the session down
            log.exception("command failed on session %s", session.id)
            mailbox.put("error", error_text("message", "the server failed on this command"))


async def send_messages(ws: WebSocket, mailbox: Mailbox) -> None:
    while (text := await mailbox.get()) is not None:
        await ws.send_text(text)


@router.websocket("/api/sessions/{session_id}/stream")
async def stream(ws: WebSocket, session_id: str) -> None:
    """Commands in, frames out. On connect: the current state as a frame, then the status."""
    registry = ws.app.state.registry
    hub = ws.app.state.hub
    session = registry.get(session_id)
    await ws.accept()
    if session is None:
        await ws.send_text(error_text("session_id", f"no session {session_id!r}"))
        await ws.close(code=CLOSE_UNKNOWN_SESSION)
        return
    if hub.viewers(session_id) >= session.settings.max_viewers_per_session:
        limit = session.settings.max_viewers_per_session
        await ws.send_text(error_text("viewers", f"the session has its limit of {limit} viewers"))
        await ws.close(code=1013)
        return
    mailbox = hub.subscribe(session_id)
    if registry.get(session_id) is not session:  # deleted while the socket was accepted
        hub.unsubscribe(session_id, mailbox)
        await ws.send_text(error_text("session_id", f"no session {session_id!r}"))
        await ws.close(code=CLOSE_UNKNOWN_SESSION)
        return
    session.watched()
    try:
        mailbox.put("frame", await session.frame_text())
        mailbox.put("status", frames.dumps(session.status_message()))

        async with anyio.create_task_group() as tg:

            async def run_receiver() -> None:
                try:
                    await receive_commands(ws, session, mailbox)
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
    finally:
        hub.unsubscribe(session_id, mailbox)
        session.touch()
        session.unwatched()
    if mailbox.closed and registry.get(session_id) is None:
        try:
            await ws.close(code=1001)
        except RuntimeError:
            pass
