"""Issue 10: schemathesis against the real server (``pytest -m schemathesis`` runs it alone).

Over 2,000 generated requests — valid and invalid bodies, parameters and content types for
every operation of the OpenAPI document, most of those on one session aimed at sessions that
exist (``tests/support/schemathesis_hooks.py``) — must give no 5xx and no answer that breaks its
documented schema. Only those two checks run: the server's limits (``BPP_*`` settings, e.g. at
most 32 units a layer) are deliberately narrower than the schema, so a 422 for data the schema
allows is right, not a failure (schemathesis's ``positive_data_acceptance`` would report it), and
status codes such as 413/415/429 are the middleware's, not each operation's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT, start_server

pytestmark = pytest.mark.schemathesis

ENV = {
    "BPP_TRAINERS": "1",
    # many sessions get created: none may be refused for the count or memory they take
    "BPP_MAX_SESSIONS": "5000",
    "BPP_MAX_SESSIONS_PER_CLIENT": "5000",
    "BPP_MAX_MEMORY_MB": "100000",
    "BPP_MAX_MEMORY_MB_PER_CLIENT": "100000",
    # and each request stays short, so that the run fits in about a minute
    "BPP_MAX_SAMPLES": "1000",
    "BPP_MAX_TRAIN_WORK": "20000000",
    "BPP_MAX_GRADIENT_CHECK_WORK": "200000",
}
MIN_CASES = 2000


def schemathesis_cli() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


def test_thousands_of_generated_requests_give_no_server_error_and_match_the_schema(tmp_path):
    with start_server(env=ENV, log_dir=tmp_path) as server:
        ids = []
        for _ in range(5):
            created = httpx.post(
                server.url + "/api/sessions", json={"dataset": {"name": "xor", "n": 40}}
            )
            assert created.status_code == 201
            ids.append(created.json()["id"])
        report = tmp_path / "report.json"
        run = subprocess.run(
            [
                schemathesis_cli(),
                "run",
                server.url + "/openapi.json",
                "--checks=not_a_server_error,response_schema_conformance",
                "--max-examples=25",
                "--seed=10",
                "--workers=2",
                "--no-shrink",
                "--suppress-health-check=all",
                "--request-timeout=30",
                "--report=json",
                f"--report-json-path={report}",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
                "BPP_FUZZ_SESSION_IDS": ",".join(ids),
                "PYTHONPATH": str(ROOT),
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        log = server.log_text()
    output = run.stdout[-6000:] + run.stderr[-2000:]
    result = json.loads(report.read_text())
    cases = result["test_cases"]
    assert cases["generated"] >= MIN_CASES, output
    assert result["failures"] == [] and cases["with_failures"] == 0, output
    assert result["errors"] == [] and cases["errored"] == 0, output
    assert run.returncode == 0, output
    assert "Traceback" not in log, log[-4000:]
