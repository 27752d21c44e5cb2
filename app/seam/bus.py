"""Several hosts on one Redis: web processes and trainers that find each other through a bus.

With ``BPP_BUS_URL=redis://…`` the pipe between the web process and its trainers is replaced by
Redis, behind the same messages (``app.trainer.worker``), so that any web process can reach any
trainer and any viewer any session:

- ``bpp:t:{trainer}:in`` — a list: commands for a trainer, a JSON header line
  ``{"id": "<web>:<n>", "sid"}`` then the typed command's JSON (``app.commands``). The answer
  goes to the web process named in the id, on the list ``bpp:w:{web}:out`` (a JSON header
  line, then the answer's bytes).
- ``bpp:s:{session}`` — a pub/sub channel: what a trainer publishes for a session's viewers
  (``kind`` line, then the encoded message). A web process subscribes while it has viewers of
  that session, and puts what arrives in their mailboxes (newest frame only, as ever).
- ``bpp:trainers`` (hash: trainer → description), ``bpp:t:{trainer}:alive`` (a key that expires
  unless the trainer's heartbeat renews it), ``bpp:load`` (hash: trainer → sessions held) and
  ``bpp:owner`` (hash: session → trainer). A trainer claims a session before holding it; the
  claim succeeds only if nobody, or a trainer whose heartbeat stopped, owns it.
- ``bpp:sessions`` — a hash: every session (→ its client), for web processes that did not
  create it.
- ``bpp:usage:{host}`` — a hash: each trainer on the host → its latest usage report (the
  heaviest weight it trains, ``app.trainer.elsewhere``); with every heartbeat a trainer reads
  its host's and tells its worker the heaviest among the other live ones (``Shares``), so
  that trainers sharing cores share them as one (issue 22). Trainers on other hosts do not
  take its cores and do not count.

A trainer that stops heartbeating is noticed by the others within ``takeover_seconds`` and a
second: one of them claims its sessions and brings each back from its last checkpoint in the
store (playing again if it was), telling its viewers. Redis drops a pub/sub connection that
falls too far behind; the web process then reconnects and subscribes again (viewers simply get
the next frame).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import secrets
import socket
import threading
import time
from typing import Any

import redis

from app.commands import Disown, Envelope, Restore, Shares, UsageReport, decode
from app.errors import Moved
from app.seam.base import take
from app.settings import Settings

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


def usage_key(host: str) -> str:
    return f"bpp:usage:{host}"


# claim(session, me, now): owner := me unless a live trainer other than me owns it
CLAIM = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (not cur) or cur == ARGV[2] or redis.call('EXISTS', 'bpp:t:' .. cur .. ':alive') == 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return cur
"""


def text(value: bytes | str) -> str:
    """A Redis answer as text (the clients answer bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def raw(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def new_name(prefix: str) -> str:
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


# -- the trainer's side ------------------------------------------------------------------------


class RedisChannel:
    """A trainer's channel to every web process (``Worker`` speaks through it as through a
    pipe; commands stay bytes until the worker opens them), plus its heartbeat and its watch
    over the other trainers."""

    def __init__(self, settings: Settings, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or new_name("trainer")
        self.redis: redis.Redis = redis.Redis.from_url(str(settings.bus_url))
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.claim_script = self.redis.register_script(CLAIM)
        self.closed = threading.Event()
        self.sessions = 0  # set by the worker's loop (for placement)
        self.held: set[str] = set()  # sessions claimed here (renewed with every heartbeat)
        self._ttl_ms = int(settings.takeover_seconds * 1000)
        self.usage = usage_key(socket.gethostname())
        self.told = 0.0  # the heaviest weight elsewhere on this host, as told to the worker
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
        elif kind == "usage":
            self.redis.hset(self.usage, self.name, message[1])

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
                header, _, command = raw(item[1]).partition(b"\n")
                m = json.loads(header)
                self.inbox.put(Envelope(m["id"], m.get("sid"), decode(command)))
            except (ValueError, KeyError, TypeError):  # pydantic's ValidationError: a ValueError
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
                self.inbox.put(Envelope(None, session_id, Disown()))

    def _beat(self) -> None:
        interval = self.settings.heartbeat_seconds
        while not self.closed.wait(interval):
            try:
                self.heartbeat()
                self.take_over()
                self.share()
            except redis.RedisError as exc:
                log.warning("bus: heartbeat failed: %s", exc)

    def take_over(self) -> None:
        """Claim the sessions of trainers whose heartbeat stopped: each comes back here from
        its last checkpoint (the worker's ``restore``, asked through the inbox)."""
        names = [text(n) for n in self.redis.hkeys(TRAINERS)]
        others = [n for n in names if n != self.name]
        if not others:
            return
        pipe = self.redis.pipeline(transaction=False)
        for name in others:
            pipe.exists(alive_key(name))
        dead = {n for n, alive in zip(others, pipe.execute(), strict=True) if not alive}
        if not dead:
            return
        owned = {text(k): text(v) for k, v in self.redis.hgetall(OWNER).items()}
        for session_id, owner in owned.items():
            if owner in dead:
                self.inbox.put(Envelope(None, session_id, Restore(takeover=True)))
        for name in dead:
            log.warning("bus: trainer %s stopped; taking over its sessions", name)
            self.redis.hdel(TRAINERS, name)
            self.redis.hdel(LOAD, name)

    def share(self) -> None:
        """Tell the worker the heaviest weight the other live trainers of this host train
        (``Shares``), when it changed."""
        reports = {text(k): v for k, v in self.redis.hgetall(self.usage).items()}
        others = [n for n in reports if n != self.name]
        pipe = self.redis.pipeline(transaction=False)
        for name in others:
            pipe.exists(alive_key(name))
        heaviest = 0.0
        for name, alive in zip(others, pipe.execute(), strict=True):
            if not alive:
                self.redis.hdel(self.usage, name)
                continue
            try:
                heaviest = max(heaviest, UsageReport.model_validate_json(reports[name]).heaviest)
            except ValueError:
                log.error("bus: malformed usage report of %s", name)
        if heaviest != self.told:
            self.told = heaviest
            self.inbox.put(Envelope(None, None, Shares(heaviest_elsewhere=heaviest)))

    def close(self) -> None:
        self.closed.set()
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hdel(self.usage, self.name)
            pipe.hdel(TRAINERS, self.name)
            pipe.hdel(LOAD, self.name)
            pipe.delete(alive_key(self.name))
            pipe.execute()
        except redis.RedisError:
            pass
