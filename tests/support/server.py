"""One way to run the real playground server in tests and benchmarks.

``start_server(env={"BPP_MAX_SESSIONS": "400"})`` starts ``python -m app --host 127.0.0.1
--port P`` on a free loopback port in a process group of its own, waits until ``GET /healthz``
answers 200 and returns a ``ServerProcess``; ``with start_server() as server: ...`` stops it
(SIGTERM to the group, SIGKILL after a timeout) on the way out::

    with start_server(env={"BPP_TRAINERS": "0"}) as server:
        httpx.get(server.url + "/healthz")
        server.pids()          # the server and every process it started (from /proc)
        server.cpu_seconds()   # their CPU time so far
        server.kill9()         # a crash: SIGKILL to the whole group

The server's stdout and stderr go to ``server.log_path`` (``server.log_text()``); a server that
exits before it is healthy raises ``ServerStartError`` with the log's tail. ``BPP_*`` variables
of the calling environment are not inherited: the server runs on its defaults plus ``env``.
Linux only (reads ``/proc``); uses the standard library only.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")

__all__ = ["ROOT", "ServerProcess", "ServerStartError", "free_port", "start_server"]


class ServerStartError(RuntimeError):
    """The server exited, or did not answer ``/healthz``, before the start-up timeout."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _read_stat(pid: int) -> tuple[int, int, int, bool] | None:
    """(ppid, process group, CPU ticks, is a zombie) of ``pid`` from ``/proc/PID/stat``, None if
    it is gone.

    CPU ticks = utime + stime + cutime + cstime: the process's own time plus that of its
    children it has already reaped, so a trainer process that exits keeps counting.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    #  utime stime cutime cstime ..." — comm may hold spaces or parentheses.
    fields = text[text.rindex(b")") + 2 :].split()
    ppid, pgrp = int(fields[1]), int(fields[2])
    ticks = sum(int(x) for x in fields[11:15])
    return ppid, pgrp, ticks, fields[0] == b"Z"


def _all_stats() -> dict[int, tuple[int, int, int, bool]]:
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _read_stat(int(name))
            if stat is not None:
                stats[int(name)] = stat
    return stats


class Throwaway:
    """A process a test starts and stops: ``with X(...) as x`` starts it unless it is running,
    and stops it on the way out (``start``, ``stop`` and ``_proc`` are the subclass's)."""

    _proc: subprocess.Popen | None

    def start(self):  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def stop(self):  # pragma: no cover
        raise NotImplementedError

    def __enter__(self):
        return self if self._proc is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerProcess(Throwaway):
    """A running ``python -m app`` subprocess; see the module docstring. Build with
    ``start_server``."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        args: Sequence[str] | None = None,
        port: int | None = None,
        *,
        command: Sequence[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.cwd = Path(cwd) if cwd is not None else ROOT
        self.url = f"http://{HOST}:{self.port}"
        self.ws_url = f"ws://{HOST}:{self.port}"
        self.command = [
            *(command or [sys.executable, "-m", "app"]),
            *("--host", HOST, "--port", str(self.port)),
            *(args or []),
        ]
        directory = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="bpp-server-"))
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / f"server-{self.port}.log"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
        # its store in the log's folder unless told otherwise (a restart with the same
        # env finds the same sessions)
        self.data_dir = directory / "data"
        self.env = {
            **base_env,
            "PYTHONUNBUFFERED": "1",
            "BPP_DATA_DIR": str(self.data_dir),
            **(env or {}),
        }
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._reaped = False  # the group has been cleaned up once (its id may be reused later)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> ServerProcess:
        """Start the process and wait until ``/healthz`` answers 200."""
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop()/kill9() reach children
            )
        deadline = time.monotonic() + self._startup_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                self.stop()
                raise ServerStartError(
                    f"the server exited with {code} before it was healthy; log "
                    f"{self.log_path}:\n{self.log_tail()}"
                )
            if self.healthy():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"the server did not answer /healthz within {self._startup_timeout} s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def healthy(self, timeout: float = 1.0) -> bool:
        """Whether ``GET /healthz`` answers 200 now."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self, timeout: float = 15.0, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """``sig`` (SIGTERM; SIGINT is a terminal's Ctrl-C) to the process group, wait up to
        ``timeout`` s, then SIGKILL whatever is left of the group. Returns the server's exit code:
        uvicorn shuts down cleanly on both, then exits with 0 after SIGINT and re-raises SIGTERM
        (-15); -9 means it had to be killed."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._signal_group(sig)
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self._proc.wait(timeout=10)
        self._reap_group(timeout=min(timeout, 5.0))
        return self._proc.returncode

    def kill9(self) -> int:
        """SIGKILL the server and every process it started, at once (a crash). Returns the exit
        code (``-9``)."""
        assert self._proc is not None, "not started"
        if self._reaped:
            return self._proc.returncode
        family = self.pids()
        self._signal_group(signal.SIGKILL)
        for pid in family:  # descendants that left the group, if any
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._proc.wait(timeout=10)
        self._reap_group(timeout=5.0)
        return self._proc.returncode

    # ---- inspection ------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The server's process id (also its process group id)."""
        assert self._proc is not None, "not started"
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """None while the server runs, else its exit code."""
        return None if self._proc is None else self._proc.poll()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def pids(self) -> list[int]:
        """The server process and all its live descendants (children, grandchildren, ...) and
        any other member of its process group, server first; [] once all are gone. Zombies
        (exited, not yet reaped) are left out."""
        return [pid for pid, stat in self._family().items() if not stat[3]]

    def _family(self) -> dict[int, tuple[int, int, int, bool]]:
        """``pids()`` with their stat, zombies included."""
        if self._proc is None:
            return {}
        stats = _all_stats()
        children: dict[int, list[int]] = {}
        for pid, (ppid, *_) in stats.items():
            children.setdefault(ppid, []).append(pid)
        found: list[int] = []
        todo = [self.pid] if self.pid in stats else []
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        seen = set(found)
        found += sorted(p for p, st in stats.items() if st[1] == self.pid and p not in seen)
        return {pid: stats[pid] for pid in found}

    def cpu_seconds(self) -> float:
        """CPU time (user + system, in seconds) used so far by the processes of ``pids()``,
        including children they have reaped (and zombies not yet reaped). Take differences over a
        window for a load."""
        return sum(stat[2] for stat in self._family().values()) / _TICKS_PER_SECOND

    def log_text(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # ---- internals -------------------------------------------------------------------------

    def _signal_group(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _reap_group(self, timeout: float) -> None:
        """After the server has exited: give the rest of its group ``timeout`` s, then SIGKILL."""
        if self._reaped:
            return
        self._reaped = True
        deadline = time.monotonic() + timeout
        while self._group_members() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._group_members():
            self._signal_group(signal.SIGKILL)

    def _group_members(self) -> list[int]:
        return [p for p, st in _all_stats().items() if st[1] == self.pid and not st[3]]


def start_server(
    env: dict[str, str] | None = None,
    args: Sequence[str] | None = None,
    port: int | None = None,
    *,
    command: Sequence[str] | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    startup_timeout: float = 30.0,
    cwd: str | os.PathLike[str] | None = None,
) -> ServerProcess:
    """Start the real server and return it once healthy (also a context manager that stops it).

    env: ``BPP_*`` overrides (and any other variables) for the server process.
    args: extra command-line arguments after ``--host 127.0.0.1 --port P``.
    port: the port to use (default: a free one; retried once if it was taken meanwhile).
    command: the program to run instead of ``[sys.executable, "-m", "app"]``, e.g. the
        ``backprop-playground`` console script.
    log_dir: where ``server-PORT.log`` goes (default: a new temporary directory, kept).
    cwd: the folder it runs in (default: the repository root).
    """
    attempts = 1 if port is not None else 2
    for attempt in range(attempts):
        server = ServerProcess(
            env,
            args,
            port,
            command=command,
            log_dir=log_dir,
            startup_timeout=startup_timeout,
            cwd=cwd,
        )
        try:
            return server.start()
        except ServerStartError:
            taken = "address already in use" in server.log_text().lower()
            if not taken or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
