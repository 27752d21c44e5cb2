"""The counters the server's limits are checked against, each reserved in one atomic step
before any await — so that requests sent at once cannot all pass a check before any of them is
counted — and kept in one place: in this process, or in Redis when there is a bus
(``BPP_BUS_URL``), where they hold across every web process. ``open_quotas`` chooses.

- ``Tries``: attempts per key in a window (failed teacher logins, wrong join codes). A request
  *reserves* its try on every key it counts against before it does anything, or is refused with
  the seconds until the fullest key's window ends; a try that succeeds is refunded. A window
  starts with a key's first try and lasts ``window`` seconds (Redis: ``INCR``, and ``PEXPIRE``
  on the first, in one Lua script).
- ``Holdings``: the sessions the server holds, per client and in total, with their estimated
  bytes (``limits.session_bytes_of``). ``admit`` checks ``max_sessions``,
  ``max_sessions_per_client``, ``max_memory_mb`` and ``max_memory_mb_per_client`` and records
  the session in the same step; ``discharge`` lets it go. Both are keyed by session id, so that
  adopting the store's sessions again (a restart, a second web process) counts nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.limits import check_memory
from app.settings import Settings

MAX_KEYS = 100_000  # in process: a flood of distinct keys cannot grow memory without bound
# Connections to Redis per web process for the quotas: requests beyond wait their turn (up to
# REDIS_WAIT_SECONDS) instead of failing, as redis-py's default pool does past 100 at once.
REDIS_CONNECTIONS = 32
REDIS_WAIT_SECONDS = 20.0
PREFIX = "bpp:q:"  # Redis keys of the quotas


class Tries(Protocol):
    async def reserve(self, keys: Sequence[tuple[str, int]]) -> float:
        """One try on every ``(key, limit)``, all or none: 0.0 when reserved, else the seconds
        until the window of a key at its limit ends (nothing is reserved)."""

    async def refund(self, keys: Sequence[str]) -> None:
        """Take back one try on each key (the attempt succeeded: it does not count)."""

    async def count(self, key: str) -> int:
        """The tries on ``key`` in its current window."""


class Holdings(Protocol):
    async def admit(self, session_id: str, client: str, nbytes: int) -> None:
        """Record a new session, or raise 429 (``FieldError``, field ``session``) naming the
        limit it would break; nothing is recorded then."""

    async def adopt(self, items: Sequence[tuple[str, str, int]]) -> None:
        """Record ``(session_id, client, bytes)`` of sessions that exist already (no limits)."""

    async def discharge(self, session_id: str) -> None:
        """The session is gone: it no longer counts (no-op if it did not)."""

    async def totals(self, client: str | None = None) -> tuple[int, int]:
        """(sessions, bytes) held in total, or by ``client``."""

    async def lost(self) -> bool:
        """True (once) when the counters were lost since they were last counted (Redis
        restarted empty): the caller adopts the store's sessions again."""


def refuse_room(settings: Settings, total: int, of_client: int) -> None:
    """Raise 429 naming ``max_sessions`` or ``max_sessions_per_client`` when one more session
    would exceed it."""
    from app.errors import FieldError

    if total >= settings.max_sessions:
        raise FieldError(
            "session",
            f"the server holds its limit of {settings.max_sessions} sessions (max_sessions); "
            "delete one or try later",
            status_code=429,
            kind="limit",
        )
    if of_client >= settings.max_sessions_per_client:
        raise FieldError(
            "session",
            f"this client holds its limit of {settings.max_sessions_per_client} sessions "
            "(max_sessions_per_client); delete one first",
            status_code=429,
            kind="limit",
        )


# ---- in this process -------------------------------------------------------------------------
# Nothing below awaits between reading a counter and changing it: on one event loop each call
# is atomic.


class LocalTries:
    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # key → (tries, window's end)

    def _current(self, key: str, now: float) -> tuple[int, float]:
        entry = self._counts.get(key)
        if entry is None or entry[1] <= now:
            self._counts.pop(key, None)
            return 0, now + self.window
        return entry

    def reserve_now(self, keys: Sequence[tuple[str, int]]) -> float:
        now = self.clock()
        current = [self._current(key, now) for key, _ in keys]
        wait = max(
            (end - now for (n, end), (_, limit) in zip(current, keys, strict=True) if n >= limit),
            default=0.0,
        )
        if wait > 0:
            return wait
        if len(self._counts) + len(keys) > MAX_KEYS:
            for old in list(self._counts)[: MAX_KEYS // 10]:  # the oldest keys go first
                del self._counts[old]
        for (key, _), (n, end) in zip(keys, current, strict=True):
            self._counts[key] = (n + 1, end)
        return 0.0

    async def reserve(self, keys: Sequence[tuple[str, int]]) -> float:
        return self.reserve_now(keys)

    async def refund(self, keys: Sequence[str]) -> None:
        now = self.clock()
        for key in keys:
            n, end = self._current(key, now)
            if n > 0:
                self._counts[key] = (n - 1, end)

    async def count(self, key: str) -> int:
        return self._current(key, self.clock())[0]


class LocalHoldings:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._held: dict[str, tuple[str, int]] = {}  # session → (client, bytes)
        self._per_client: dict[str, tuple[int, int]] = {}  # client → (sessions, bytes)
        self._bytes = 0

    def _add(self, session_id: str, client: str, nbytes: int) -> None:
        if session_id in self._held:
            return
        self._held[session_id] = (client, nbytes)
        n, b = self._per_client.get(client, (0, 0))
        self._per_client[client] = (n + 1, b + nbytes)
        self._bytes += nbytes

    async def admit(self, session_id: str, client: str, nbytes: int) -> None:
        if session_id in self._held:
            return
        n, b = self._per_client.get(client, (0, 0))
        refuse_room(self.settings, len(self._held), n)
        check_memory(nbytes, self._bytes, b, self.settings)
        self._add(session_id, client, nbytes)

    async def adopt(self, items: Sequence[tuple[str, str, int]]) -> None:
        for session_id, client, nbytes in items:
            self._add(session_id, client, nbytes)

    async def discharge(self, session_id: str) -> None:
        held = self._held.pop(session_id, None)
        if held is None:
            return
        client, nbytes = held
        n, b = self._per_client[client]
        if n <= 1:
            del self._per_client[client]
        else:
            self._per_client[client] = (n - 1, b - nbytes)
        self._bytes -= nbytes

    async def totals(self, client: str | None = None) -> tuple[int, int]:
        if client is None:
            return len(self._held), self._bytes
        return self._per_client.get(client, (0, 0))

    async def lost(self) -> bool:
        return False  # this process's memory: lost only with the process


# ---- in Redis --------------------------------------------------------------------------------

# KEYS: the counters; ARGV[1]: the window in ms; ARGV[1 + i]: KEYS[i]'s limit.
# Returns 0 when a try was reserved on every key, else the ms until the fullest key frees.
RESERVE = """
local wait = 0
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 0
"""

REFUND = """
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 0 then redis.call('DECR', key) end
end
return 0
"""

# KEYS: held (session → bytes), owner (session → client), count (client → sessions),
# size (client → bytes), total (bytes). ARGV: session, client, bytes, then the limits
# max_sessions, max_sessions_per_client, max bytes, max bytes per client (-1: none).
# Returns {0} when recorded (or held already), else {1, sessions, of client, bytes, of client}.
ADMIT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {0} end
local nbytes = tonumber(ARGV[3])
local total = redis.call('HLEN', KEYS[1])
local mine = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
local size = tonumber(redis.call('GET', KEYS[5]) or '0')
local my_size = tonumber(redis.call('HGET', KEYS[4], ARGV[2]) or '0')
local function over(value, limit) return tonumber(limit) >= 0 and value > tonumber(limit) end
if over(total + 1, ARGV[4]) or over(mine + 1, ARGV[5]) or over(size + nbytes, ARGV[6])
    or over(my_size + nbytes, ARGV[7]) then
  return {1, total, mine, size, my_size}
end
redis.call('HSET', KEYS[1], ARGV[1], nbytes)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('HINCRBY', KEYS[4], ARGV[2], nbytes)
redis.call('INCRBY', KEYS[5], nbytes)
return {0}
"""

DISCHARGE = """
local nbytes = redis.call('HGET', KEYS[1], ARGV[1])
if not nbytes then return 0 end
local client = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if client then
  if redis.call('HINCRBY', KEYS[3], client, -1) <= 0 then redis.call('HDEL', KEYS[3], client) end
  if redis.call('HINCRBY', KEYS[4], client, -tonumber(nbytes)) <= 0 then
    redis.call('HDEL', KEYS[4], client)
  end
end
redis.call('DECRBY', KEYS[5], nbytes)
return 1
"""

HOLD_KEYS = [PREFIX + k for k in ("held", "owner", "count", "size", "total")]
COUNTED = PREFIX + "counted"  # set once the store's sessions are adopted; gone if Redis is emptied


class RedisTries:
    def __init__(self, redis: Any, name: str, window: float = 60.0) -> None:
        self.redis = redis
        self.prefix = f"{PREFIX}try:{name}:"
        self.window_ms = int(window * 1000)
        self._reserve = redis.register_script(RESERVE)
        self._refund = redis.register_script(REFUND)

    async def reserve(self, keys: Sequence[tuple[str, int]]) -> float:
        wait = await self._reserve(
            keys=[self.prefix + k for k, _ in keys],
            args=[self.window_ms, *(limit for _, limit in keys)],
        )
        return int(wait) / 1000

    async def refund(self, keys: Sequence[str]) -> None:
        await self._refund(keys=[self.prefix + k for k in keys])

    async def count(self, key: str) -> int:
        return int(await self.redis.get(self.prefix + key) or 0)


class RedisHoldings:
    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._admit = redis.register_script(ADMIT)
        self._discharge = redis.register_script(DISCHARGE)

    async def admit(self, session_id: str, client: str, nbytes: int) -> None:
        s, mb = self.settings, 1 << 20
        limits = [
            s.max_sessions,
            s.max_sessions_per_client,
            s.max_memory_mb * mb,
            s.max_memory_mb_per_client * mb,
        ]
        answer = await self._admit(keys=HOLD_KEYS, args=[session_id, client, nbytes, *limits])
        if int(answer[0]) == 0:
            return
        total, mine, size, my_size = (int(x) for x in answer[1:])
        refuse_room(s, total, mine)
        check_memory(nbytes, size, my_size, s)
        raise AssertionError("unreachable: the script refused within every limit")

    async def adopt(self, items: Sequence[tuple[str, str, int]]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for session_id, client, nbytes in items:
            args = [session_id, client, nbytes, -1, -1, -1, -1]
            await self._admit(keys=HOLD_KEYS, args=args, client=pipe)  # queued
        if items:
            await pipe.execute()

    async def discharge(self, session_id: str) -> None:
        await self._discharge(keys=HOLD_KEYS, args=[session_id])

    async def lost(self) -> bool:
        return bool(await self.redis.set(COUNTED, b"1", nx=True))

    async def totals(self, client: str | None = None) -> tuple[int, int]:
        if client is None:
            n, b = await self.redis.hlen(HOLD_KEYS[0]), await self.redis.get(HOLD_KEYS[4])
        else:
            n = await self.redis.hget(HOLD_KEYS[2], client)
            b = await self.redis.hget(HOLD_KEYS[3], client)
        return int(n or 0), int(b or 0)


# ---- the choice --------------------------------------------------------------------------------


@dataclass
class Quotas:
    """The server's counters: ``logins`` (per address, per name and address), ``joins`` (per
    address), ``login_names`` (failures per name, for the slowdown) and ``holdings``."""

    logins: Tries
    login_names: Tries
    joins: Tries
    holdings: Holdings
    shared: bool  # in Redis, across web processes
    redis: Any = None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)


def open_quotas(settings: Settings, window: float = 60.0) -> Quotas:
    """Redis's counters when there is a bus, else this process's."""
    if settings.bus_url:
        import redis.asyncio as aredis

        pool = aredis.BlockingConnectionPool.from_url(
            settings.bus_url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_SECONDS
        )
        client = aredis.Redis(connection_pool=pool)
        return Quotas(
            RedisTries(client, "login", window),
            RedisTries(client, "login-name", window),
            RedisTries(client, "join", window),
            RedisHoldings(client, settings),
            shared=True,
            redis=client,
        )
    return Quotas(
        LocalTries(window),
        LocalTries(window),
        LocalTries(window),
        LocalHoldings(settings),
        shared=False,
    )
