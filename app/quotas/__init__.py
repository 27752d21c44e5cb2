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

The interfaces are in ``base.py``, this process's counters in ``local.py``, Redis's in
``redis.py``; this module chooses between them (``open_quotas``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.quotas.base import Holdings, Tries, refuse_room
from app.quotas.local import MAX_KEYS, LocalHoldings, LocalTries
from app.quotas.redis import (
    PREFIX,
    REDIS_CONNECTIONS,
    REDIS_WAIT_SECONDS,
    RedisHoldings,
    RedisTries,
)
from app.settings import Settings

__all__ = [
    "MAX_KEYS",
    "PREFIX",
    "Holdings",
    "LocalHoldings",
    "LocalTries",
    "Quotas",
    "RedisHoldings",
    "RedisTries",
    "Tries",
    "open_quotas",
    "refuse_room",
]


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
