"""The limits' counters in Redis (``app.quotas``, on a bus: ``BPP_BUS_URL``), where they hold
across every web process: ``RedisTries`` and ``RedisHoldings``, each change one Lua script
(one atomic step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.limits import check_memory
from app.quotas.base import refuse_room
from app.settings import Settings

# Connections to Redis per web process for the quotas: requests beyond wait their turn (up to
# REDIS_WAIT_SECONDS) instead of failing, as redis-py's default pool does past 100 at once.
REDIS_CONNECTIONS = 32
REDIS_WAIT_SECONDS = 20.0
PREFIX = "bpp:q:"  # Redis keys of the quotas

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
