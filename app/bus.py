"""Several hosts on one Redis: web processes and trainers that find each other through a bus.

With ``BPP_BUS_URL=redis://…`` the pipe between the web process and its trainers is replaced by
Redis, behind the same messages (``app.worker``), so that any web process can reach any
trainer and any viewer any session:

- ``bpp:t:{trainer}:in`` — a list: commands for a trainer, JSON
  ``{"id": "<web>:<n>", "op", "sid", "args"}``. The answer goes to the web process named in the
  id, on the list ``bpp:w:{web}:out`` (a JSON header line, then the answer's bytes).
- ``bpp:s:{session}`` — a pub/sub channel: what a trainer publishes for a session's viewers
  (``kind`` line, then the encoded message). A web process subscribes while it has viewers of
  that session, and puts what arrives in their mailboxes (newest frame only, as ever).
- ``bpp:trainers`` (hash: trainer → description), ``bpp:t:{trainer}:alive`` (a key that expires
  unless the trainer's heartbeat renews it), ``bpp:load`` (hash: trainer → sessions held) and
  ``bpp:owner`` (hash: session → trainer). A trainer claims a session before holding it; the
  claim succeeds only if nobody, or a trainer whose heartbeat stopped, owns it.
- ``bpp:sessions`` — a hash: every session (→ its client), for web processes that did not
  create it.

A trainer that stops heartbeating is noticed by the others within ``takeover_seconds`` and a
second: one of them claims its sessions and brings each back from its last checkpoint in the
store (playing again if it was), telling its viewers. Redis drops a pub/sub connection that
falls too far behind; the web process then reconnects and subscribes again (viewers simply get
the next frame).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import queue
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio as aredis

from app.errors import FieldError, Moved
from app.hub import Hub
from app.settings import Settings
from app.worker import take

log = logging.getLogger(__name__)

TRAINERS = "bpp:trainers"
LOAD = "bpp:load"
OWNER = "bpp:owner"
SESSIONS = "bpp:sessions"
REPLY_TTL_SECONDS = 120  # an unread answer list (its web process died) goes away


def inbox(trainer: str) -> str:
    return f"bpp:t:{trainer}:in"


def alive_key(trainer: str) -> str:
    return f"bpp:t:{trainer}:alive"


def outbox(web: str) -> str:
    return f"bpp:w:{web}:out"


def channel(session_id: str) -> str:
    return f"bpp:s:{session_id}"


# claim(session, me, now): owner := me unless a live trainer other than me owns it
CLAIM = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (not cur) or cur == ARGV[2] or redis.call('EXISTS', 'bpp:t:' .. cur .. ':alive') == 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return cur
"""


def new_name(prefix: str) -> str:
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


# -- the trainer's side ------------------------------------------------------------------------


class RedisChannel:
    """A trainer's channel to every web process (``Worker`` speaks through it as through a
    pipe), plus its heartbeat and its watch over the other trainers."""

    def __init__(self, settings: Settings, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or new_name("trainer")
        self.redis = redis.Redis.from_url(settings.bus_url)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.claim_script = self.redis.register_script(CLAIM)
        self.closed = threading.Event()
        self.sessions = 0  # set by the worker's loop (for placement)
        self.held: set[str] = set()  # sessions claimed here (renewed with every heartbeat)
        self._ttl_ms = int(settings.takeover_seconds * 1000)
        self.heartbeat()
        self._threads = [
            threading.Thread(target=self._read, name="bpp-bus-read", daemon=True),
            threading.Thread(target=self._beat, name="bpp-bus-beat", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # Channel
    def recv(self, timeout: float) -> Any:
        return take(self.inbox, timeout)

    def send(self, message: Any) -> None:
        kind = message[0]
        if kind == "pub":
            pipe = self.redis.pipeline(transaction=False)
            for session_id, what, data in message[1]:
                pipe.publish(channel(session_id), what.encode() + b"\n" + data)
            pipe.execute()
        elif kind == "reply":
            _, request_id, ok, payload = message
            web = str(request_id).rsplit(":", 1)[0]
            header = json.dumps({"id": request_id, "ok": ok}).encode()
            body = payload if ok else json.dumps(list(payload)).encode()
            pipe = self.redis.pipeline(transaction=False)
            pipe.rpush(outbox(web), header + b"\n" + (body or b""))
            pipe.expire(outbox(web), REPLY_TTL_SECONDS)
            pipe.execute()

    # ownership
    def claim(self, session_id: str) -> None:
        """Hold ``session_id`` here, or raise ``Moved`` when a live trainer holds it."""
        owner = self.claim_script(keys=[OWNER], args=[session_id, self.name]).decode()
        if owner != self.name:
            raise Moved(owner)
        self.held.add(session_id)

    def release(self, session_id: str) -> None:
        if session_id in self.held:
            self.held.discard(session_id)
            self.redis.hdel(OWNER, session_id)

    # threads
    def _read(self) -> None:
        while not self.closed.is_set():
            try:
                item = self.redis.blpop([inbox(self.name)], timeout=1)
            except redis.RedisError as exc:
                log.warning("bus: %s; retrying", exc)
                time.sleep(0.5)
                continue
            if item is None:
                continue
            try:
                m = json.loads(item[1])
                self.inbox.put((m["id"], m["op"], m.get("sid"), m.get("args") or {}))
            except (ValueError, KeyError, TypeError):
                log.error("bus: malformed command %r", item[1][:200])

    def heartbeat(self) -> None:
        """Say this trainer lives (also after Redis lost everything: re-register, re-claim
        what is held here); let go of sessions another trainer took over meanwhile (after a
        pause long enough to be taken for dead)."""
        held = sorted(self.held.copy())  # one C call: safe beside the worker thread
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(alive_key(self.name), b"1", px=self._ttl_ms)
        pipe.hset(LOAD, self.name, self.sessions)
        pipe.hset(TRAINERS, self.name, json.dumps({"host": socket.gethostname()}))
        for session_id in held:
            pipe.hsetnx(OWNER, session_id, self.name)
        for session_id in held:
            pipe.hget(OWNER, session_id)
        owners = pipe.execute()[3 + len(held) :]
        for session_id, owner in zip(held, owners, strict=True):
            if owner is not None and owner.decode() != self.name:
                self.held.discard(session_id)
                self.inbox.put((None, "disown", session_id, {}))

    def _beat(self) -> None:
        interval = self.settings.heartbeat_seconds
        while not self.closed.wait(interval):
            try:
                self.heartbeat()
                self.take_over()
            except redis.RedisError as exc:
                log.warning("bus: heartbeat failed: %s", exc)

    def take_over(self) -> None:
        """Claim the sessions of trainers whose heartbeat stopped: each comes back here from
        its last checkpoint (the worker's ``restore``, asked through the inbox)."""
        names = [n.decode() for n in self.redis.hkeys(TRAINERS)]
        others = [n for n in names if n != self.name]
        if not others:
            return
        pipe = self.redis.pipeline(transaction=False)
        for name in others:
            pipe.exists(alive_key(name))
        dead = {n for n, alive in zip(others, pipe.execute(), strict=True) if not alive}
        if not dead:
            return
        owned = {k.decode(): v.decode() for k, v in self.redis.hgetall(OWNER).items()}
        for session_id, owner in owned.items():
            if owner in dead:
                self.inbox.put((None, "restore", session_id, {"takeover": True}))
        for name in dead:
            log.warning("bus: trainer %s stopped; taking over its sessions", name)
            self.redis.hdel(TRAINERS, name)
            self.redis.hdel(LOAD, name)

    def close(self) -> None:
        self.closed.set()
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hdel(TRAINERS, self.name)
            pipe.hdel(LOAD, self.name)
            pipe.delete(alive_key(self.name))
            pipe.execute()
        except redis.RedisError:
            pass


def trainer_main(settings: dict[str, Any], name: str | None = None) -> None:
    """One trainer on the bus (a process of its own: ``backprop-playground trainer``)."""
    from app.store import open_store
    from app.worker import Worker

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="trainer %(process)d: %(message)s")
    config = Settings(**settings)
    store = open_store(config)
    bus = RedisChannel(config, name)
    signal.signal(signal.SIGTERM, lambda *_: bus.inbox.put(None))
    log.info("trainer %s on %s", bus.name, config.bus_url)
    try:
        Worker(config, bus, store).serve()
    finally:
        bus.close()
        store.close()


# -- the web process's side --------------------------------------------------------------------


class BusPool:
    """``TrainerPool``'s interface over Redis: trainers are named, not numbered, and may live on
    other hosts. Answers arrive on this web process's own list; published messages on the
    channels of the sessions it has viewers for (``RedisHub``)."""

    in_process = False

    def __init__(self, settings: Settings, hub: Hub) -> None:
        self.settings = settings
        self.hub = hub
        self.name = new_name("web")
        self.redis = aredis.from_url(settings.bus_url)
        self.on_status: Callable[[str, bytes], None] | None = None
        self.on_lost: Callable[[list[str]], None] | None = None
        self.live: dict[str, int] = {}  # live trainers → sessions they hold
        self._ids = itertools.count()
        self._waiting: dict[str, tuple[asyncio.Future, str]] = {}
        self._tasks: list[asyncio.Task] = []
        self.links: list = []  # no local trainers (the all-in-one role starts some beside)
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._tasks = [loop.create_task(self._answers()), loop.create_task(self._watch())]

    async def started(self, seconds: float = 30.0) -> None:
        """Wait until at least one trainer is alive (for a fresh cluster)."""
        deadline = time.monotonic() + seconds
        while not self.live and time.monotonic() < deadline:
            await self.refresh()
            if not self.live:
                await asyncio.sleep(0.1)

    async def refresh(self) -> None:
        names = [n.decode() for n in await self.redis.hkeys(TRAINERS)]
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
                    from app.pool import TrainerLost

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
            header, _, body = item[1].partition(b"\n")
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

    def alive(self, trainer: str) -> bool:
        return trainer in self.live

    # placement
    async def place(self, session_id: str, shape: str) -> str:
        """The live trainer holding the fewest sessions, as every web process counts them
        (a new session is counted at once, before the trainer's heartbeat says so)."""
        await self.refresh()  # trainers may have joined since the last heartbeat
        if not self.live:
            await self.started(seconds=10.0)
        if not self.live:
            raise FieldError("session", "no trainer is running; try again", 503, "no_trainer")
        loads = {k.decode(): int(v) for k, v in (await self.redis.hgetall(LOAD)).items()}
        name = min(self.live, key=lambda n: (loads.get(n, 0), n))
        self.live[name] = await self.redis.hincrby(LOAD, name, 1)
        return name

    def forget(self, trainer: str, session_id: str) -> None:
        if trainer in self.live:
            self.live[trainer] = max(0, self.live[trainer] - 1)

    async def locate(self, session_id: str) -> str | None:
        """The live trainer holding the session, if any."""
        owner = await self.redis.hget(OWNER, session_id)
        if owner is None:
            return None
        owner = owner.decode()
        return owner if owner in self.live or await self.redis.exists(alive_key(owner)) else None

    async def known(self, session_id: str) -> str | None:
        """The client of a session the cluster knows (any web process created it)."""
        client = await self.redis.hget(SESSIONS, session_id)
        return None if client is None else client.decode()

    async def announce(self, session_id: str, client: str) -> None:
        await self.redis.hset(SESSIONS, session_id, client)

    async def announce_many(self, pairs: list[tuple[str, str]]) -> None:
        if pairs:
            await self.redis.hset(SESSIONS, mapping=dict(pairs))

    async def withdraw(self, session_id: str) -> None:
        await self.redis.hdel(SESSIONS, session_id)

    # commands
    async def request(
        self, trainer: str, op: str, session_id: str | None = None, args: dict | None = None
    ) -> bytes | None:
        from app.pool import TrainerLost

        if trainer not in self.live and await self.redis.exists(alive_key(trainer)):
            self.live[trainer] = int(await self.redis.hget(LOAD, trainer) or 0)
        if self.closed or trainer not in self.live:
            raise TrainerLost()
        request_id = f"{self.name}:{next(self._ids)}"
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (future, trainer)
        try:
            message = {"id": request_id, "op": op, "sid": session_id, "args": args}
            await self.redis.rpush(inbox(trainer), json.dumps(message))
            return await future
        finally:
            self._waiting.pop(request_id, None)

    def tell(self, trainer: str, op: str, session_id: str | None = None, args=None) -> None:
        if self.closed:
            return
        message = json.dumps({"id": None, "op": op, "sid": session_id, "args": args})
        task = asyncio.get_running_loop().create_task(self.redis.rpush(inbox(trainer), message))
        task.add_done_callback(lambda t: t.exception())

    async def any_trainer(self, op: str, args: dict) -> bytes | None:
        if not self.live:
            await self.started(seconds=10.0)
        if not self.live:
            raise FieldError("session", "no trainer is running; try again", 503, "no_trainer")
        return await self.request(min(self.live, key=self.live.get), op, None, args)

    async def close(self) -> None:
        self.closed = True
        for task in self._tasks:
            task.cancel()
        for future, _ in list(self._waiting.values()):
            if not future.done():
                future.cancel()
        await self.redis.aclose()

    def pids(self) -> list[int]:
        return []


class RedisHub:
    """The local hub's mailboxes, fed from Redis: the web process subscribes to a session's
    channel while it has viewers (or dashboards) of it."""

    def __init__(self, local: Hub, settings: Settings) -> None:
        self.local = local
        self.settings = settings
        self.redis = aredis.from_url(settings.bus_url)
        self.pubsub = self.redis.pubsub()
        self.channels: set[str] = set()
        self.on_status: Callable[[str, bytes], None] | None = None
        self._task: asyncio.Task | None = None
        self._changed = asyncio.Event()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._task = loop.create_task(self._listen())

    # Hub: the local hub's methods, plus keeping the subscriptions in step
    def __getattr__(self, name: str) -> Any:
        return getattr(self.local, name)

    def subscribe(self, session_id: str, mailbox=None):
        box = self.local.subscribe(session_id, mailbox)
        self._follow(session_id)
        return box

    def subscribe_summaries(self, session_id: str, mailbox) -> None:
        self.local.subscribe_summaries(session_id, mailbox)
        self._follow(session_id)

    def unsubscribe(self, session_id: str, mailbox) -> None:
        self.local.unsubscribe(session_id, mailbox)
        if not any(self.local.live_viewers(session_id, 0.0, float("inf"))):
            self._unfollow(session_id)

    def close_session(self, session_id: str) -> None:
        self.local.close_session(session_id)
        self._unfollow(session_id)

    def _follow(self, session_id: str) -> None:
        if channel(session_id) not in self.channels:
            self.channels.add(channel(session_id))
            self._changed.set()

    def _unfollow(self, session_id: str) -> None:
        if channel(session_id) in self.channels:
            self.channels.discard(channel(session_id))
            self._changed.set()

    async def _sync(self, subscribed: set[str]) -> None:
        want = set(self.channels)
        if want - subscribed:
            await self.pubsub.subscribe(*(want - subscribed))
        if subscribed - want:
            await self.pubsub.unsubscribe(*(subscribed - want))
        subscribed.clear()
        subscribed.update(want)

    async def _listen(self) -> None:
        subscribed: set[str] = set()
        while True:
            try:
                self._changed.clear()
                await self._sync(subscribed)
                if not subscribed:
                    await self._changed.wait()
                    continue
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if self._changed.is_set():
                    await self._sync(subscribed)
                if message is None or message.get("type") != "message":
                    continue
                session_id = message["channel"].decode().rsplit(":", 1)[-1]
                kind, _, data = message["data"].partition(b"\n")
                what = kind.decode()
                self.local.publish(session_id, what, data.decode())
                if what == "status" and self.on_status is not None:
                    self.on_status(session_id, data)
            except asyncio.CancelledError:
                raise
            except (aredis.RedisError, OSError) as exc:  # e.g. dropped for falling behind
                log.warning("bus: subscription lost (%s); subscribing again", exc)
                subscribed.clear()
                try:
                    await self.pubsub.aclose()
                except (aredis.RedisError, OSError):
                    pass
                self.pubsub = self.redis.pubsub()
                await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        try:
            await self.pubsub.aclose()
            await self.redis.aclose()
        except (aredis.RedisError, OSError):
            pass


class TrainerProcesses:
    """Trainers on the bus started by this process (the all-in-one role with a bus, or
    ``backprop-playground trainer``): each a spawned process, started again if it dies."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = max(1, count)
        self.processes: list[Any] = []
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self) -> None:
        import multiprocessing

        self._ctx = multiprocessing.get_context("spawn")
        self.processes = [self._spawn() for _ in range(self.count)]
        self._monitor = threading.Thread(target=self._watch, name="bpp-trainers", daemon=True)
        self._monitor.start()

    def _spawn(self) -> Any:
        process = self._ctx.Process(
            target=trainer_main, args=(self.settings.model_dump(),), name="bpp-trainer"
        )
        process.start()
        return process

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for i, process in enumerate(self.processes):
                if not process.is_alive() and not self._stop.is_set():
                    log.error(
                        "trainer process %s exited (%s); starting another",
                        process.pid,
                        process.exitcode,
                    )
                    self.processes[i] = self._spawn()

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: the trainer saves its sessions and leaves
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()

    def wait(self) -> None:
        """Block until stopped (``backprop-playground trainer``)."""
        while not self._stop.wait(1.0):
            pass
