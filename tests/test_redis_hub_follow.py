"""A viewer on the Redis bus asks its session's trainer for the panels (history, confusion,
replay range) only once this web process listens to the session's channel (``Hub.following``):
a subscription Redis has not yet confirmed hears nothing, so panels published before it would
be lost and a paused session's viewer would see empty panels (the cause of a test of
test_bus.py failing now and then on a loaded machine)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aredis

from app.seam.bus import channel
from app.seam.redis_hub import RedisHub
from app.settings import Settings
from app.web.hub import LocalHub


def test_once_following_returns_what_a_trainer_publishes_reaches_the_viewer(redis_url):
    async def run() -> tuple[bool, str | bytes | None]:
        hub = RedisHub(Settings(bus_url=redis_url))
        hub.start(asyncio.get_running_loop())
        publisher = aredis.Redis.from_url(redis_url)
        try:
            mailbox = hub.subscribe("s1")
            await hub.following("s1")
            confirmed = channel("s1") in hub.confirmed
            # published the moment the viewer may ask for it, as the trainer's panels are
            await publisher.publish(channel("s1"), b'history\n{"epoch": [0]}')
            try:
                got = await asyncio.wait_for(mailbox.get(), 2.0)
            except TimeoutError:
                got = None
            return confirmed, got
        finally:
            await publisher.aclose()
            await hub.close()

    confirmed, history = asyncio.run(run())
    assert confirmed
    assert history == '{"epoch": [0]}'


def test_following_a_session_nobody_subscribed_to_returns_at_once(redis_url):
    async def run() -> float:
        hub = RedisHub(Settings(bus_url=redis_url))
        hub.start(asyncio.get_running_loop())
        try:
            loop = asyncio.get_running_loop()
            began = loop.time()
            await hub.following("nobody")
            await LocalHub().following("nobody")
            return loop.time() - began
        finally:
            await hub.close()

    assert asyncio.run(run()) < 0.5
