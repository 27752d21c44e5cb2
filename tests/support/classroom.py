"""Helpers for classroom tests and benchmarks on a real server: teachers' accounts made the way
an administrator makes them, and the default lesson of issue 9.

``create_teacher(data_dir, "ada", password)`` runs ``python -m app create-teacher ada`` with
``BPP_DATA_DIR=data_dir`` and the password in ``BPP_TEACHER_PASSWORD`` (the CLI's automation
path), on the store a server started with the same ``BPP_DATA_DIR`` uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.server import ROOT

# The default lesson: XOR, 2-[2]-1, sigmoid, SSE, η = 0.5, batch 1, seed 7.
DEFAULT_LESSON = {
    "network": {
        "hidden_layers": [2],
        "activations": ["sigmoid", "sigmoid"],
        "loss": "sse",
        "init": {"seed": 7},
    },
    "dataset": {"name": "xor", "n": 40},
    "training": {"learning_rate": 0.5, "batch_size": 1, "seed": 7},
}


def create_teacher(
    data_dir: str | os.PathLike[str], name: str, password: str, extra: dict[str, str] | None = None
) -> None:
    """Make a teacher's account with the real CLI; AssertionError with its output if it fails.
    ``extra``: more settings (e.g. ``BPP_DATABASE_URL`` for a store on PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
    env.update(BPP_DATA_DIR=str(Path(data_dir)), BPP_TEACHER_PASSWORD=password, **(extra or {}))
    done = subprocess.run(
        [sys.executable, "-m", "app", "create-teacher", name],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(f"create-teacher {name}: {done.stdout}{done.stderr}")


XOR_TABLE = {  # the teacher page's XOR preset: the 4-row truth table, inline; 2-[2]-1 sigmoid
    "network": {"hidden_layers": [2], "activations": ["sigmoid", "sigmoid"], "loss": "sse"},
    "dataset": {
        "name": "inline",
        "n": 4,
        "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "targets": [[0], [1], [1], [0]],
    },
    "training": {"learning_rate": 0.5, "batch_size": 1, "seed": 7},
}
