"""Schemathesis hooks for ``tests/test_schemathesis.py`` (loaded with ``SCHEMATHESIS_HOOKS``):
most generated requests on one session go to sessions that exist (ids in
``BPP_FUZZ_SESSION_IDS``), so that the fuzzing reaches the handlers, not only the 404."""

from __future__ import annotations

import os
import random

import schemathesis

IDS = [i for i in os.environ.get("BPP_FUZZ_SESSION_IDS", "").split(",") if i]


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not IDS or not path_parameters or "session_id" not in path_parameters:
        return path_parameters
    method = getattr(getattr(context, "operation", None), "method", "").upper()
    if method != "DELETE" and random.random() < 0.9:
        path_parameters["session_id"] = random.choice(IDS)
    return path_parameters
