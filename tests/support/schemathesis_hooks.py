"""Schemathesis hooks for ``tests/test_schemathesis.py`` (loaded with ``SCHEMATHESIS_HOOKS``).

- Most generated ids in a path go to things that exist (``BPP_FUZZ_IDS``: a JSON object from a
  path parameter's name to known ids — sessions, jobs, lessons, classrooms, seats, one
  classroom another teacher's — for all operations (``"*"``) or one (``"POST /path"``: the
  classrooms it may close, say); a known job goes with its session, ``BPP_FUZZ_JOBS``), so that
  the fuzzing reaches the handlers, not only the 404.
  The choice is a function of the generated value, so a seed reproduces the run.
- Every request carries the teacher's bearer token and the students' seat cookies
  (``BPP_FUZZ_AUTHORIZATION``, ``BPP_FUZZ_COOKIE``); ``POST /api/auth/logout`` gets a token of
  its own (``BPP_FUZZ_LOGOUT``), so that logging out does not end the teacher's login.
- Each answer's operation, status and seconds go to ``BPP_FUZZ_LOG`` (one line each), for the
  figures.
"""

from __future__ import annotations

import json
import os
import threading
import zlib

import schemathesis
from hypothesis.internal import lambda_sources

# CPython 3.11.7 (this machine's) can raise "SystemError: AST constructor recursion depth
# mismatch" from ast.parse deep in a recursion (seen once in make test). Hypothesis parses a
# lambda's source only to *describe* a strategy (its repr), and that error then aborts the
# generation of a recursive JSON body as a "Runtime Error". A description is not worth a run.
_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda: <source not parsed>"


lambda_sources.lambda_description = _lambda_description

# {"*": {parameter: ids}, "METHOD /path": {parameter: ids for that operation only}}
IDS: dict[str, dict[str, list[str]]] = json.loads(os.environ.get("BPP_FUZZ_IDS", "{}"))
JOBS: dict[str, str] = json.loads(os.environ.get("BPP_FUZZ_JOBS", "{}"))  # job → its session
AUTHORIZATION = os.environ.get("BPP_FUZZ_AUTHORIZATION", "")
COOKIE = os.environ.get("BPP_FUZZ_COOKIE", "")
LOGOUT = os.environ.get("BPP_FUZZ_LOGOUT", "")
LOG = os.environ.get("BPP_FUZZ_LOG", "")
# never deleted through a known id (the lesson library's DELETE too: issue 18)
KEEP_ALIVE = ("/api/sessions/{session_id}", "/api/lessons/{lesson_id}")
KNOWN_SHARE = 0.9  # of generated ids replaced by known ones (not on DELETE of a session)
_lock = threading.Lock()


def _operation(context) -> tuple[str, str]:
    operation = getattr(context, "operation", None)
    return getattr(operation, "method", "").upper(), getattr(operation, "path", "")


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    method, path = _operation(context)
    ids = {**IDS.get("*", {}), **IDS.get(f"{method} {path}", {})}
    for name, value in list(path_parameters.items()):
        known = ids.get(name)
        if not known or (method == "DELETE" and path in KEEP_ALIVE):
            continue  # deleting the known sessions would leave the rest of the run with 404s
        roll = zlib.crc32(f"{name}={value!r}".encode())
        if roll % 1000 < KNOWN_SHARE * 1000:
            path_parameters[name] = known[roll % len(known)]
    if path_parameters.get("job_id") in JOBS:
        path_parameters["session_id"] = JOBS[path_parameters["job_id"]]
    return path_parameters


@schemathesis.hook
def before_call(context, case, **kwargs):
    headers = dict(case.headers or {})
    method, path = _operation(context)
    token = LOGOUT if (method, path) == ("POST", "/api/auth/logout") else AUTHORIZATION
    if token:
        headers.setdefault("Authorization", f"Bearer {token}")
    if COOKIE:
        headers.setdefault("Cookie", COOKIE)
    case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    if not LOG:
        return
    method, path = _operation(context)
    with _lock, open(LOG, "a", encoding="utf-8") as out:
        elapsed = getattr(response, "elapsed", 0.0)
        out.write(f"{method} {path} {response.status_code} {elapsed:.4f}\n")
