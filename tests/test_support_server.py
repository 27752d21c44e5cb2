"""The test helper that runs the real server (tests/support/server.py): process family, CPU
time, a crash, a clean stop."""

from __future__ import annotations

import signal
import sys

import pytest

from tests.support.server import ServerStartError, start_server

# ``python -m app`` that first starts a child process (standing in for a trainer process)
WITH_A_CHILD = [
    sys.executable,
    "-c",
    "import runpy, subprocess, sys; subprocess.Popen(['sleep', '120']); "
    "sys.argv[0] = 'app'; runpy.run_module('app', run_name='__main__')",
]


def test_pids_cpu_seconds_and_kill9_cover_the_whole_process_group(tmp_path):
    server = start_server(log_dir=tmp_path, command=WITH_A_CHILD)
    with server:
        assert server.healthy() and server.alive()
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.ws_url == f"ws://127.0.0.1:{server.port}"
        pids = server.pids()
        assert pids[0] == server.pid and len(pids) == 2
        with open(f"/proc/{pids[1]}/cmdline", "rb") as f:
            assert f.read().split(b"\0")[0] == b"sleep"
        assert server.cpu_seconds() > 0
        assert server.kill9() == -signal.SIGKILL
        assert server.pids() == [] and not server.alive()
    assert "Uvicorn running" in server.log_text()


def test_a_server_that_cannot_start_fails_with_its_log(tmp_path):
    with pytest.raises(ServerStartError, match="max_sessions"):
        start_server(env={"BPP_MAX_SESSIONS": "0"}, log_dir=tmp_path)


def test_stop_with_sigint_exits_cleanly(tmp_path):
    server = start_server(log_dir=tmp_path, command=[sys.executable, "-m", "app"])
    assert server.stop(sig=signal.SIGINT) == 0
    assert "Application shutdown complete" in server.log_text()
