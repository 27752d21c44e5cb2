"""A real Redis for tests, from Debian's ``redis-server`` package.

``start_redis()`` runs ``redis-server`` on a free loopback port with a new temporary folder as its
working directory and nothing saved to disk (``--save "" --appendonly no``), waits until it
answers PING and returns a ``RedisServer``; ``with start_redis() as redis: ...`` stops it and
removes the folder on the way out::

    with start_redis() as redis:
        redis.url          # redis://127.0.0.1:PORT/0
        redis.command("SET", "k", "v")   # a tiny client of our own: no redis library needed
        redis.flushall()
        redis.flushdb(3)     # one database only

The binary comes from ``$BPP_REDIS_SERVER``, else ``PATH``, else ``/usr/bin/redis-server``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.server import HOST, Throwaway, free_port

__all__ = ["RedisServer", "RedisStartError", "find_redis_server", "start_redis"]


class RedisStartError(RuntimeError):
    """redis-server exited, or did not answer PING, before the start-up timeout."""


def find_redis_server() -> Path | None:
    """The ``redis-server`` binary, or None if Redis is not installed."""
    for candidate in (
        os.environ.get("BPP_REDIS_SERVER"),
        shutil.which("redis-server"),
        "/usr/bin/redis-server",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _encode(*args: str | bytes | int) -> bytes:
    """One RESP command (an array of bulk strings)."""
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RedisServer(Throwaway):
    """A running throwaway redis-server; see the module docstring. Build with
    ``start_redis``."""

    def __init__(self, binary: Path | None = None, port: int | None = None) -> None:
        found = binary or find_redis_server()
        if found is None:
            raise RedisStartError("redis-server is not installed (apt-get install redis-server)")
        self.binary = found
        self.port = port if port is not None else free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.base = Path(tempfile.mkdtemp(prefix="bpp-redis-"))
        self.log_path = self.base / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> RedisServer:
        """Start the server and wait until it answers PING."""
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    str(self.binary),
                    *("--port", str(self.port), "--bind", HOST, "--dir", str(self.base)),
                    *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                    *("--logfile", ""),  # to stdout, i.e. our log file
                ],
                cwd=self.base,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self.ping():
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                why = f"exited with {code}" if code is not None else f"no PONG in {timeout} s"
                raise RedisStartError(f"redis-server {why}; log:\n{tail}")
            time.sleep(0.05)
        return self

    def command(self, *args: str | bytes | int, timeout: float = 5.0) -> bytes:
        """Send one command and return the raw first line of the answer (e.g. ``b"+OK"``)."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as conn:
            conn.sendall(_encode(*args))
            answer = b""
            while not answer.endswith(b"\r\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        return answer.split(b"\r\n", 1)[0]

    def ping(self) -> bool:
        try:
            return self.command("PING", timeout=1.0) == b"+PONG"
        except OSError:
            return False

    def flushall(self) -> None:
        """Empty every database (between tests)."""
        answer = self.command("FLUSHALL")
        if answer != b"+OK":
            raise RuntimeError(f"FLUSHALL answered {answer!r}")

    def flushdb(self, db: int, timeout: float = 5.0) -> None:
        """Empty database ``db`` only (SELECT and FLUSHDB on one connection)."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as conn:
            conn.sendall(_encode("SELECT", db) + _encode("FLUSHDB"))
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        if answer != b"+OK\r\n+OK\r\n":
            raise RuntimeError(f"SELECT {db}; FLUSHDB answered {answer!r}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, SIGKILL after ``timeout`` s; then remove the folder."""
        if self._proc is not None and self._proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._proc.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_redis(binary: Path | None = None, *, timeout: float = 15.0) -> RedisServer:
    """Start a throwaway redis-server (also a context manager that stops it); a port taken
    meanwhile is retried once on another."""
    for attempt in range(2):
        server = RedisServer(binary)
        try:
            return server.start(timeout=timeout)
        except RedisStartError as exc:
            if "address already in use" not in str(exc).lower() or attempt == 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
