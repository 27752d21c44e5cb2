"""Issue 10 item 1 against the real server (``python -m app``): request heads are bounded, slow
and idle connections are closed, and idle ones can never lock out the next request."""

from __future__ import annotations

import socket
import sys
import threading
import time

import pytest

from tests.support.server import HOST, start_server

# the server under an open-files limit of its own, as on a host with a small `ulimit -n`
OPEN_FILES = 200
LIMITED = [
    sys.executable,
    "-c",
    "import resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({OPEN_FILES}, {OPEN_FILES})); "
    "sys.argv = ['app', *sys.argv[1:]]; runpy.run_module('app', run_name='__main__')",
]
ENV = {
    "BPP_TRAINERS": "0",
    "BPP_MAX_CONNECTIONS": "100",
    "BPP_HEAD_TIMEOUT_SECONDS": "3",
    "BPP_BODY_TIMEOUT_SECONDS": "1",
}


@pytest.fixture(scope="module")
def server():
    with start_server(env=ENV, command=LIMITED) as server:
        yield server


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def healthz_seconds(port: int) -> float:
    """Seconds for one ``GET /healthz`` on a new connection (asserting 200)."""
    start = time.monotonic()
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return time.monotonic() - start


def read_all(s: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def closed_by_server(s: socket.socket, wait: float) -> bool:
    s.settimeout(wait)
    try:
        while s.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_huge_unfinished_request_heads_are_refused_without_memory_growth(server):
    before = rss_bytes(server.pid)
    chunk = b"a" * (1 << 20)
    heads = [socket.create_connection((HOST, server.port), timeout=2) for _ in range(10)]
    try:
        for s in heads:  # ten heads of 5 MB at once, none ever finished
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Padding: ")
                for _ in range(5):
                    s.sendall(chunk)
            except OSError:  # refused and closed part-way: what we want
                pass
        grown = rss_bytes(server.pid) - before
        answers = [read_all(s) for s in heads]
    finally:
        for s in heads:
            s.close()
    assert grown < 20 << 20, f"RSS grew by {grown >> 20} MiB"
    assert all(a.startswith(b"HTTP/1.1 400") or a == b"" for a in answers), answers[0][:100]
    assert any(a.startswith(b"HTTP/1.1 400") for a in answers)
    assert healthz_seconds(server.port) < 1.0


def test_idle_and_slow_connections_past_the_limit_do_not_lock_out_healthz(server):
    idle = []
    for _ in range(3 * 100):  # three times max_connections, more than the open-files limit
        s = socket.socket()
        s.settimeout(5)
        s.connect((HOST, server.port))
        idle.append(s)
    slow = [socket.create_connection((HOST, server.port), timeout=5) for _ in range(20)]
    stop = threading.Event()

    def dribble() -> None:  # slowloris: one byte of a head every 0.3 s
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: 1\r\n" * 100
        for byte in head:
            if stop.wait(0.3):
                return
            for s in slow:
                try:
                    s.send(bytes([byte]))
                except OSError:
                    pass

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        times = [healthz_seconds(server.port) for _ in range(10)]
        assert max(times) < 1.0, times
        # none waits forever: after the head timeout every idle and slow one is closed
        deadline = time.monotonic() + 3 + 2
        for s in idle + slow:
            assert closed_by_server(s, max(0.1, deadline - time.monotonic()))
    finally:
        stop.set()
        thread.join()
        for s in idle + slow:
            s.close()
    assert healthz_seconds(server.port) < 1.0
    assert "Traceback" not in server.log_text()


def test_a_body_that_never_arrives_gets_408_and_the_connection_is_closed(server):
    with socket.create_connection((HOST, server.port), timeout=5) as s:
        s.sendall(
            b"POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        start = time.monotonic()
        answer = read_all(s)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"body_timeout_seconds" in answer
    assert time.monotonic() - start < 3
