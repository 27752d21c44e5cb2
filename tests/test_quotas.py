"""The limits' counters (``app.quotas``) alike in this process and in a real Redis: tries are
reserved on every key or none and refunded, sessions are admitted within every limit or refused
naming it, adopted once however often, and let go; many reservations at once never pass a
limit."""

from __future__ import annotations

import asyncio

import pytest

from app.errors import FieldError
from app.quotas import Quotas, open_quotas
from app.settings import Settings

MB = 1 << 20
SETTINGS = dict(max_sessions=4, max_sessions_per_client=2, max_memory_mb=100)


@pytest.fixture(params=["in-process", "redis"])
def quotas(request) -> Quotas:
    bus = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return open_quotas(Settings(**SETTINGS, max_memory_mb_per_client=16, bus_url=bus), window=60)


def run(quotas: Quotas, coro_fn):
    """Run ``coro_fn()`` on a fresh loop (closing Redis's connections there too)."""

    async def go():
        try:
            return await coro_fn()
        finally:
            if quotas.redis is not None:
                await quotas.close()

    return asyncio.run(go())


def test_tries_are_reserved_on_every_key_or_none_and_refunded(quotas: Quotas):
    t = quotas.logins

    async def go():
        for _ in range(3):
            assert await t.reserve([("a", 3), ("b", 10)]) == 0
        wait = await t.reserve([("b", 10), ("a", 3)])
        assert 59 < wait <= 60  # a is full: nothing reserved, b stays at 3
        assert (await t.count("a"), await t.count("b")) == (3, 3)
        await t.refund(["a"])  # a success does not count
        assert await t.reserve([("a", 3)]) == 0
        await t.refund(["nothing"])  # never below zero
        assert await t.count("nothing") == 0

    run(quotas, go)


def test_tries_reserved_at_once_never_pass_the_limit(quotas: Quotas):
    async def go():
        waits = await asyncio.gather(*(quotas.joins.reserve([("x", 20)]) for _ in range(200)))
        return sum(1 for w in waits if w == 0), await quotas.joins.count("x")

    assert run(quotas, go) == (20, 20)


def test_sessions_are_admitted_within_every_limit_or_refused_naming_it(quotas: Quotas):
    h = quotas.holdings

    async def go():
        await h.admit("s1", "ann", 6 * MB)
        await h.admit("s1", "ann", 6 * MB)  # the same session again: counted once
        await h.admit("s2", "ann", 6 * MB)
        with pytest.raises(FieldError, match="max_sessions_per_client") as refused:
            await h.admit("s3", "ann", 1)
        assert refused.value.status_code == 429 and refused.value.field == "session"
        with pytest.raises(FieldError, match="max_memory_mb_per_client"):
            await h.admit("s4", "bob", 17 * MB)
        await h.admit("s5", "bob", MB)
        await h.admit("s6", "cat", MB)
        with pytest.raises(FieldError, match=r"max_sessions\b"):
            await h.admit("s7", "dan", MB)
        assert await h.totals() == (4, 14 * MB)
        assert await h.totals("ann") == (2, 12 * MB)
        await h.discharge("s1")
        await h.discharge("s1")  # gone already: nothing changes
        assert await h.totals("ann") == (1, 6 * MB)
        await h.admit("s7", "dan", MB)

    run(quotas, go)


def test_adopted_sessions_count_once_and_past_the_limits(quotas: Quotas):
    h = quotas.holdings

    async def go():
        existing = [("a", "ann", MB), ("b", "ann", MB), ("c", "ann", MB)]
        await h.adopt(existing)
        await h.adopt(existing)  # a second web process, or a restart
        assert await h.totals() == (3, 3 * MB)
        with pytest.raises(FieldError, match="max_sessions_per_client"):
            await h.admit("d", "ann", MB)

    run(quotas, go)


def test_sessions_admitted_at_once_never_pass_the_limit(quotas: Quotas):
    async def go():
        answers = await asyncio.gather(
            *(quotas.holdings.admit(f"s{i}", "ann", MB) for i in range(30)),
            return_exceptions=True,
        )
        return sum(1 for a in answers if a is None), await quotas.holdings.totals("ann")

    assert run(quotas, go) == (2, (2, 2 * MB))


def test_redis_says_once_that_its_counters_were_lost(redis_url):
    q = open_quotas(Settings(bus_url=redis_url))

    async def go():
        first = await q.holdings.lost()
        again = await q.holdings.lost()
        await q.redis.flushall()
        return first, again, await q.holdings.lost()

    assert run(q, go) == (True, False, True)
