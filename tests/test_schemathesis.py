"""Issues 10 and 22: schemathesis against the real server (``pytest -m schemathesis`` runs it
alone).

Over 5,000 generated requests — valid and invalid bodies, parameters and content types for
every operation of the OpenAPI document (all of them: the playground's and the classroom's),
with a teacher's bearer token and students' seat cookies, most ids in a path aimed at things
that exist (``tests/support/schemathesis_hooks.py``) — must give no 5xx, no status code the
operation does not declare (``status_code_conformance``), no body that breaks its documented
schema (``response_schema_conformance``) and no undeclared media type
(``content_type_conformance``). Not checked: ``positive_data_acceptance``, since the server's
limits (``BPP_*`` settings, e.g. at most 32 units a layer) are deliberately narrower than the
schema, so a 422 for data the schema allows is right.

The run is reproducible (``--seed``, ``--generation-deterministic``; the hooks choose ids from
the generated values) and bounded: ``MAX_EXAMPLES`` per operation, ``BUDGET_SECONDS`` in all.
"""

from __future__ import annotations

import collections
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.classroom import DEFAULT_LESSON, create_teacher
from tests.support.server import ROOT, start_server

pytestmark = pytest.mark.schemathesis

ENV = {
    "BPP_TRAINERS": "1",
    # many sessions get created: none may be refused for the count or memory they take
    "BPP_MAX_SESSIONS": "5000",
    "BPP_MAX_SESSIONS_PER_CLIENT": "5000",
    "BPP_MAX_MEMORY_MB": "100000",
    "BPP_MAX_MEMORY_MB_PER_CLIENT": "100000",
    # nor a lesson (imports, duplicates and starters make many: issue 18's library)
    "BPP_MAX_LESSONS_PER_TEACHER": "100000",
    # and each request stays short, so that the run fits in its budget
    "BPP_MAX_SAMPLES": "500",
    "BPP_MAX_TRAIN_WORK": "5000000",
    "BPP_MAX_SYNC_TRAIN_WORK": "1000000",
    "BPP_MAX_GRADIENT_CHECK_WORK": "100000",
}
MIN_CASES = 5000
MIN_OPERATIONS = 47  # every operation of the document (more as routes are added)
MAX_EXAMPLES = 50  # per operation, in the fuzzing phase (most cases come from the coverage phase)
SEED = 22
# the whole schemathesis run: 103 s for 5,783 cases on 2 cores shared by others; a ceiling
BUDGET_SECONDS = 420
PASSWORD = "a long passphrase for the fuzzing"
SETUP_TIMEOUT = 60  # seconds for one request while the world is made (a busy machine)


def schemathesis_cli() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


def _ok(answer: httpx.Response, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else {}


def classroom_world(api: httpx.Client) -> dict[str, str]:
    """Things for the fuzzing to aim at, made through the API: ada's lesson and three
    classrooms (the second requires approval and has a waiting seat; only the third may be
    closed), two students in the first, a classroom of bob's (ada gets 403 there), anonymous
    sessions and jobs (``api``: a client of the server). Returns the hooks' environment."""
    tokens = {}
    for name in ("ada", "bob"):
        tokens[name] = _ok(api.post("/api/auth/token", json={"name": name, "password": PASSWORD}))[
            "access_token"
        ]
    logout = _ok(api.post("/api/auth/token", json={"name": "ada", "password": PASSWORD}))

    def teacher(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    ids: dict[str, list[str]] = collections.defaultdict(list)
    rooms: dict[str, dict] = {}
    locks = {"ada": [], "bob": ["dataset"]}  # ada's students may change their setup
    for name, count in (("ada", 3), ("bob", 1)):
        lesson = _ok(
            api.post(
                "/api/lessons",
                json={"title": f"{name}'s XOR", "setup": DEFAULT_LESSON, "locks": locks[name]},
                headers=teacher(name),
            ),
            201,
        )
        ids["lesson_id"].append(lesson["id"])
        shared = api.post(f"/api/lessons/{lesson['id']}/share", headers=teacher(name))
        ids["token"].append(_ok(shared, 201)["token"])  # the library's share links (issue 18)
        for k in range(count):
            room = _ok(
                api.post(
                    "/api/classrooms",
                    json={"lesson_id": lesson["id"], "name": f"{name} {k}"},
                    headers=teacher(name),
                ),
                201,
            )
            ids["classroom_id"].append(room["id"])
            rooms[f"{name}{k}"] = room
    waiting = rooms["ada1"]
    _ok(
        api.patch(
            f"/api/classrooms/{waiting['id']}",
            json={"approval_required": True},
            headers=teacher("ada"),
        )
    )
    cookies = []
    for room, student, keep in (
        (rooms["ada0"], "Grace", True),
        (rooms["ada0"], "Alan", False),
        (waiting, "Edsger", True),
    ):
        with httpx.Client(base_url=api.base_url, timeout=SETUP_TIMEOUT) as browser:
            joined = _ok(browser.post("/api/join", json={"code": room["code"], "name": student}))
            if student != "Grace":  # her seat stays, for the student's own operations
                ids["seat_id"].append(joined["seat"]["id"])
            if joined["seat"].get("session_id"):
                ids["session_id"].append(joined["seat"]["session_id"])
            if keep:
                cookies += [f"{k}={v}" for k, v in browser.cookies.items()]
    ids["slug"] += ["1-forward-pass", "2-backward-pass"]  # starter activities
    jobs = {}
    for k in range(5):
        created = _ok(api.post("/api/sessions", json={"dataset": {"name": "xor"}}), 201)
        ids["session_id"].append(created["id"])
        if k < 2:
            train = f"/api/sessions/{created['id']}/train"
            job = _ok(api.post(train, json={"epochs": 5, "job": True}), 202)
            ids["job_id"].append(job["id"])
            jobs[job["id"]] = created["id"]
    # only the third classroom of ada's (and bob's) may be closed: the others stay open
    close = {"classroom_id": [rooms["ada2"]["id"], rooms["bob0"]["id"]]}
    return {
        "BPP_FUZZ_JOBS": json.dumps(jobs),
        "BPP_FUZZ_IDS": json.dumps({"*": ids, "POST /api/classrooms/{classroom_id}/close": close}),
        "BPP_FUZZ_AUTHORIZATION": tokens["ada"],
        "BPP_FUZZ_LOGOUT": logout["access_token"],
        "BPP_FUZZ_COOKIE": "; ".join(cookies),
    }


def run_schemathesis(url: str, hooks_env: dict[str, str], out: Path) -> dict:
    """Run the CLI over ``url``'s document; the JSON report, the answers (one ``METHOD path
    status seconds`` line each), the output and the seconds it took."""
    report, log = out / "report.json", out / "statuses.txt"
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(
        [
            schemathesis_cli(),
            "run",
            url + "/openapi.json",
            "--checks=not_a_server_error,status_code_conformance,"
            "response_schema_conformance,content_type_conformance",
            f"--max-examples={MAX_EXAMPLES}",
            f"--seed={SEED}",
            "--generation-deterministic",
            "--phases=examples,coverage,fuzzing",
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
            **hooks_env,
            "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
            "BPP_FUZZ_LOG": str(log),
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=BUDGET_SECONDS,
    )
    if not report.exists():
        raise AssertionError(run.stdout[-4000:] + run.stderr[-4000:])
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    statuses = log.read_text().splitlines() if log.exists() else []
    return {
        "report": json.loads(report.read_text()),
        "statuses": statuses,
        "output": run.stdout[-8000:] + run.stderr[-2000:],
        "returncode": run.returncode,
        "seconds": time.monotonic() - started,
        "cpu_seconds": used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "phases": re.findall(r"(Examples|Coverage|Fuzzing) \(in ([0-9.]+s)\)", run.stdout),
    }


@pytest.mark.timeout(BUDGET_SECONDS + 120)  # and the teachers' accounts, the server, the world
def test_every_operation_answers_only_declared_status_codes_and_schemas(tmp_path):
    for name in ("ada", "bob"):
        create_teacher(tmp_path / "data", name, PASSWORD)
    env = {**ENV, "BPP_DATA_DIR": str(tmp_path / "data")}
    with start_server(env=env, log_dir=tmp_path) as server:
        operations = sum(
            len(methods)
            for methods in httpx.get(server.url + "/openapi.json", timeout=SETUP_TIMEOUT)
            .json()["paths"]
            .values()
        )
        with httpx.Client(base_url=server.url, timeout=SETUP_TIMEOUT) as api:
            world = classroom_world(api)
        result = run_schemathesis(server.url, world, tmp_path)
        log = server.log_text()
    output, report = result["output"], result["report"]
    cases = report["test_cases"]
    answers = [line.split(" ") for line in result["statuses"]]  # method, path, status, seconds
    tried = {f"{method} {path}" for method, path, _, _ in answers}
    slowest = collections.Counter()
    for method, path, _, seconds in answers:
        slowest[f"{method} {path}"] += float(seconds)
    print(
        f"schemathesis: {cases['generated']} cases on {len(tried)} of {operations} operations "
        f"in {result['seconds']:.0f} s (schemathesis's CPU {result['cpu_seconds']:.0f} s; "
        f"phases {result['phases']}); statuses "
        f"{collections.Counter(status for _, _, status, _ in answers)}; slowest "
        f"{[(op, round(t, 1)) for op, t in slowest.most_common(6)]}"
    )
    assert operations >= MIN_OPERATIONS
    assert len(tried) == operations, (sorted(tried), output)
    assert cases["generated"] >= MIN_CASES, output
    assert "Traceback" not in log, log[-6000:]
    failures = json.dumps(report["failures"], indent=1)[:8000]
    assert report["failures"] == [] and cases["with_failures"] == 0, failures + output
    assert report["errors"] == [] and cases["errored"] == 0, output
    assert result["returncode"] == 0, output
