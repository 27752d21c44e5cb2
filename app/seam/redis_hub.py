"""``RedisHub``: the ``Hub`` of a web process on the Redis bus — a ``LocalHub``'s mailboxes fed
from the sessions' pub/sub channels (``app.seam.bus``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aredis

from app.seam.base import StatusHook
from app.seam.bus import channel
from app.seam.redis import connect
from app.settings import Settings
from app.web.hub import LocalHub, Mailbox

log = logging.getLogger(__name__)

FOLLOW_SECONDS = 2.0  # how long a new viewer waits for Redis to confirm its session's channel
FOLLOW_POLL_SECONDS = 0.005


class RedisHub:
    """A ``LocalHub``'s mailboxes, fed from Redis: the web process subscribes to a session's
    channel while it has viewers (or dashboards) of it."""

    def __init__(self, settings: Settings) -> None:
        self.local = LocalHub()
        self.settings = settings
        self.redis = connect(settings)
        self.pubsub = self.redis.pubsub()
        self.channels: set[str] = set()  # the channels this process wants
        self.confirmed: set[str] = set()  # those Redis has confirmed (its subscribe message)
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def on_status(self) -> StatusHook | None:
        return self.local.on_status

    @on_status.setter
    def on_status(self, hook: StatusHook | None) -> None:
        self.local.on_status = hook

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._task = loop.create_task(self._listen())

    # Hub: the local hub's methods, keeping the subscriptions in step
    def receive(self, session_id: str, kind: str, data: bytes) -> None:
        self.local.receive(session_id, kind, data)

    def publish(self, session_id: str, kind: str, text: str) -> None:
        self.local.publish(session_id, kind, text)

    async def broadcast(self, session_id: str, kind: str, text: str) -> None:
        """On the session's channel, as a trainer publishes (``kind`` line, then the message):
        every web process following the session — this one too — hands it to its viewers
        from ``_listen``. If Redis cannot take it, this process's own viewers still get it."""
        try:
            await self.redis.publish(channel(session_id), kind.encode() + b"\n" + text.encode())
        except (aredis.RedisError, OSError) as exc:
            log.warning(
                "bus: %s for %s not broadcast (%s); local viewers only", kind, session_id, exc
            )
            self.local.publish(session_id, kind, text)

    def viewers(self, session_id: str) -> int:
        return self.local.viewers(session_id)

    def live_viewers(self, session_id: str, now: float, stall: float) -> tuple[int, int]:
        return self.local.live_viewers(session_id, now, stall)

    def binary_viewers(self, session_id: str, now: float, stall: float) -> int:
        return self.local.binary_viewers(session_id, now, stall)

    def subscribe(self, session_id: str, mailbox: Mailbox | None = None) -> Mailbox:
        box = self.local.subscribe(session_id, mailbox)
        self._follow(session_id)
        return box

    async def following(self, session_id: str) -> None:
        """Wait (up to ``FOLLOW_SECONDS``) until Redis has confirmed the session's channel: what
        a trainer publishes before that never reaches this process."""
        name = channel(session_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FOLLOW_SECONDS
        while name in self.channels and name not in self.confirmed and loop.time() < deadline:
            await asyncio.sleep(FOLLOW_POLL_SECONDS)

    def subscribe_summaries(self, session_id: str, mailbox: Mailbox) -> None:
        self.local.subscribe_summaries(session_id, mailbox)
        self._follow(session_id)

    def unsubscribe(self, session_id: str, mailbox: Mailbox) -> None:
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
                message = await self.pubsub.get_message(timeout=0.2)
                if self._changed.is_set():
                    await self._sync(subscribed)
                if message is None:
                    continue
                if message.get("type") in ("subscribe", "unsubscribe"):
                    self._confirm(message)
                    continue
                if message.get("type") != "message":
                    continue
                session_id = message["channel"].decode().rsplit(":", 1)[-1]
                kind, _, data = message["data"].partition(b"\n")
                self.local.receive(session_id, kind.decode(), data)
            except asyncio.CancelledError:
                raise
            except (aredis.RedisError, OSError) as exc:  # e.g. dropped for falling behind
                log.warning("bus: subscription lost (%s); subscribing again", exc)
                subscribed.clear()
                self.confirmed.clear()
                try:
                    await self.pubsub.aclose()
                except (aredis.RedisError, OSError):
                    pass
                self.pubsub = self.redis.pubsub()
                await asyncio.sleep(0.2)

    def _confirm(self, message: dict[str, Any]) -> None:
        """Redis's answer to a subscribe or an unsubscribe: which channels are followed now."""
        name = message["channel"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        if message["type"] == "subscribe":
            self.confirmed.add(name)
        else:
            self.confirmed.discard(name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        try:
            await self.pubsub.aclose()
            await self.redis.aclose()
        except (aredis.RedisError, OSError):
            pass
