"""How the web process meets slow and hostile clients at the connection level (uvicorn).

uvicorn's default HTTP parser (httptools) accepts request heads of any size, and no uvicorn
parser closes a connection that never finishes its head (keep-alive only times out *between*
requests). So the server runs on uvicorn's h11 parser, whose ``h11_max_incomplete_event_size``
bounds a head (``max_head_bytes``: 400 and closed beyond it), with ``GuardedH11Protocol`` on
top:

- a connection must send a complete request head within ``head_timeout_seconds`` of connecting
  or of its previous answer, or it is closed (slowloris, idle sockets);
- at most ``max_connections`` connections are open at once (HTTP and WebSocket together); one
  more closes the connection that has waited longest for its next request head (an idle or
  slow one), or, when every connection is busy with a request or a socket, the new one — so
  idle connections can never lock out the next real request (``/healthz`` included).

``uvicorn_options(settings)`` gives ``uvicorn.run`` these and the other transport settings.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from app.settings import Settings, get_settings

log = logging.getLogger(__name__)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` from the ``BPP_*`` settings."""
    return {
        "http": GuardedH11Protocol,
        "h11_max_incomplete_event_size": settings.max_head_bytes,
        "timeout_keep_alive": settings.keep_alive_seconds,
        # a bound above our own limit: bigger messages are dropped by the protocol itself
        "ws_max_size": max(4 * settings.max_ws_message_bytes, 1 << 20),
        "ws_per_message_deflate": settings.ws_compression,
        # X-Forwarded-For only from configured proxies (uvicorn trusts 127.0.0.1 by default)
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or "",
    }


def _waiting_since(c: GuardedH11Protocol) -> float:
    """When an idle connection began to wait (``_shed`` passes only those whose time is set)."""
    return c.waiting_since if c.waiting_since is not None else 0.0


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a head timeout and a connection limit (module docstring).
    Its settings are the process's (``get_settings()``): uvicorn builds one per connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.head_timeout = settings.head_timeout_seconds
        self.max_connections = settings.max_connections
        self.waiting_since: float | None = None  # when it began to wait for a head
        self.head_timer: asyncio.TimerHandle | None = None

    # -- waiting for a request head -------------------------------------------------------------
    def _wait_for_head(self) -> None:
        self._stop_timer()
        self.waiting_since = self.loop.time()
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    @property
    def waiting(self) -> bool:
        """No request in progress: it waits for (the rest of) a request head."""
        return self.cycle is None or self.cycle.response_complete

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.waiting and not self.transport.is_closing():
            self.transport.close()

    # -- uvicorn's hooks ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        if len(self.connections) > self.max_connections:
            self._shed()

    def _shed(self) -> None:
        """One connection too many: close the one waiting longest for a head, else this one."""
        idle = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11Protocol)
            and c is not self
            and c.waiting
            and c.waiting_since is not None
            and not c.transport.is_closing()
        ]
        victim = min(idle, key=_waiting_since) if idle else self
        if victim is self:
            log.warning("connection refused: %d open (max_connections)", self.max_connections)
        victim._stop_timer()
        victim.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        if not self.waiting:
            self.waiting_since = None  # a request is in progress: the head timer has no say

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._wait_for_head()

    def handle_websocket_upgrade(self, event: Any) -> None:
        self._stop_timer()  # the socket is the WebSocket protocol's from now on
        self.waiting_since = None
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)
