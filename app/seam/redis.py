"""The web process's side of the Redis bus (``app.seam.bus`` describes the keys): ``BusPool`` is the
``Trainers`` and ``RedisHub`` the ``Hub`` of a deployment whose trainers are named, may live on
other hosts, and are shared by every web process.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time

import redis.asyncio as aredis

from app.commands import TrainerCommand, encode
from app.errors import FieldError, Moved
from app.seam.base import Address, LostHook, TrainerLost
from app.seam.bus import (
    LOAD,
    OWNER,
    SESSIONS,
    TRAINERS,
    alive_key,
    inbox,
    new_name,
    outbox,
    raw,
    text,
)
from app.settings import Settings

log = logging.getLogger(__name__)


def wire(request_id: str | None, session_id: str | None, command: TrainerCommand) -> bytes:
    """A command as it goes on a trainer's list: a JSON header line, then the command."""
    header = json.dumps({"id": request_id, "sid": session_id}).encode()
    return header + b"\n" + encode(command)


def connect(settings: Settings) -> aredis.Redis:
    """A connection to the bus (answers as bytes)."""
    assert settings.bus_url is not None
    return aredis.Redis.from_url(settings.bus_url)


class BusPool:
    """``Trainers`` over Redis: trainers are named, not numbered, and may live on other hosts.
    Answers arrive on this web process's own list; published messages on the channels of the
    sessions it has viewers for (``RedisHub``). A trainer that stops is taken over by another
    (``app.seam.bus``), so ``on_lost`` is never called here."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = new_name("web")
        self.redis = connect(settings)
        self.on_lost: LostHook | None = None
        self.live: dict[str, int] = {}  # live trainers → sessions they hold
        self._ids = itertools.count()
        self._waiting: dict[str, tuple[asyncio.Future[bytes | None], str]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._tasks = [loop.create_task(self._answers()), loop.create_task(self._watch())]

    def count(self) -> int:
        return len(self.live)

    async def started(self, seconds: float = 30.0) -> None:
        """Wait until at least one trainer is alive (for a fresh cluster)."""
        deadline = time.monotonic() + seconds
        while not self.live and time.monotonic() < deadline:
            await self.refresh()
            if not self.live:
                await asyncio.sleep(0.1)

    async def refresh(self) -> None:
        names = [text(n) for n in await self.redis.hkeys(TRAINERS)]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.exists(alive_key(name))
            pipe.hget(LOAD, name)
        values = await pipe.execute()
        self.live = {
            name: int(values[2 * i + 1] or 0) for i, name in enumerate(names) if values[2 * i]
        }

    async def _watch(self) -> None:
        """Every heartbeat: which trainers live; requests waiting on a dead one fail."""
        while not self.closed:
            try:
                await self.refresh()
            except Exception as exc:  # keep watching whatever happened
                log.warning("bus: could not read the trainers: %s", exc)
            for future, trainer in list(self._waiting.values()):
                if trainer not in self.live and not future.done():
                    future.set_exception(TrainerLost())
            await asyncio.sleep(self.settings.heartbeat_seconds)

    async def _answers(self) -> None:
        key = outbox(self.name)
        while not self.closed:
            try:
                item = await self.redis.blpop([key], timeout=1)
            except aredis.RedisError as exc:
                log.warning("bus: %s", exc)
                await asyncio.sleep(0.5)
                continue
            if item is None:
                continue
            header, _, body = raw(item[1]).partition(b"\n")
            meta = json.loads(header)
            waiting = self._waiting.get(meta["id"])
            if waiting is None or waiting[0].done():
                continue
            if meta["ok"]:
                waiting[0].set_result(body)
            else:
                field, text, status_code, kind = json.loads(body)
                if kind == "moved":
                    waiting[0].set_exception(Moved(text.rsplit(" ", 1)[-1]))
                else:
                    waiting[0].set_exception(FieldError(field, text, status_code, kind))

    def alive(self, address: Address) -> bool:
        return address in self.live

    # placement
    async def place(self, session_id: str, shape: str) -> str:
        """The live trainer holding the fewest sessions, as every web process counts them
        (a new session is counted at once, before the trainer's heartbeat says so)."""
        await self.refresh()  # trainers may have joined since the last heartbeat
        if not self.live:
            await self.started(seconds=10.0)
        if not self.live:
            raise FieldError("session", "no trainer is running; try again", 503, "no_trainer")
        loads = {text(k): int(v) for k, v in (await self.redis.hgetall(LOAD)).items()}
        name = min(self.live, key=lambda n: (loads.get(n, 0), n))
        self.live[name] = await self.redis.hincrby(LOAD, name, 1)
        return name

    def forget(self, address: Address, session_id: str) -> None:
        trainer = str(address)
        if trainer in self.live:
            self.live[trainer] = max(0, self.live[trainer] - 1)

    async def locate(self, session_id: str) -> str | None:
        """The live trainer holding the session, if any."""
        found = await self.redis.hget(OWNER, session_id)
        if found is None:
            return None
        owner = text(found)
        return owner if owner in self.live or await self.redis.exists(alive_key(owner)) else None

    async def known(self, session_id: str) -> str | None:
        """The client of a session the cluster knows (any web process created it)."""
        client = await self.redis.hget(SESSIONS, session_id)
        return None if client is None else text(client)

    async def announce(self, sessions: list[tuple[str, str]]) -> None:
        if sessions:
            await self.redis.hset(SESSIONS, mapping=dict(sessions))

    async def withdraw(self, session_id: str) -> None:
        await self.redis.hdel(SESSIONS, session_id)

    # commands
    async def request(
        self, address: Address, command: TrainerCommand, session_id: str | None = None
    ) -> bytes | None:
        trainer = str(address)
        if trainer not in self.live and await self.redis.exists(alive_key(trainer)):
            self.live[trainer] = int(await self.redis.hget(LOAD, trainer) or 0)
        if self.closed or trainer not in self.live:
            raise TrainerLost()
        request_id = f"{self.name}:{next(self._ids)}"
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (future, trainer)
        try:
            await self.redis.rpush(inbox(trainer), wire(request_id, session_id, command))
            return await future
        finally:
            self._waiting.pop(request_id, None)

    def tell(
        self, address: Address, command: TrainerCommand, session_id: str | None = None
    ) -> None:
        if self.closed:
            return
        message = wire(None, session_id, command)
        task = asyncio.get_running_loop().create_task(self._push(inbox(str(address)), message))
        task.add_done_callback(lambda t: t.exception())

    async def _push(self, key: str, message: bytes) -> None:
        await self.redis.rpush(key, message)

    async def any_trainer(self, command: TrainerCommand) -> bytes | None:
        if not self.live:
            await self.started(seconds=10.0)
        if not self.live:
            raise FieldError("session", "no trainer is running; try again", 503, "no_trainer")
        return await self.request(min(self.live, key=lambda n: self.live[n]), command)

    async def close(self) -> None:
        self.closed = True
        for task in self._tasks:
            task.cancel()
        for future, _ in list(self._waiting.values()):
            if not future.done():
                future.cancel()
        await self.redis.aclose()

    def pids(self) -> list[int]:
        return []  # trainers on the bus are processes of their own (``app.seam.bus``)
