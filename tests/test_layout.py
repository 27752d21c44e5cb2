"""A folder per process (issue 20): nothing in ``app/web`` imports ``app/trainer`` and vice
versa — they meet only in ``app/seam`` (where ``open_seam`` picks the implementations) and
share the top-level modules (settings, schemas, errors, commands, encoding, limits, jobs)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (also under ``if TYPE_CHECKING`` and inside functions),
    ``from app import x`` counted as ``app.x``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def crossings(side: str, other: str) -> list[str]:
    prefix = f"app.{other}"
    return sorted(
        f"{path.relative_to(APP.parent)} imports {module}"
        for path in (APP / side).rglob("*.py")
        for module in imported_modules(path)
        if module == prefix or module.startswith(prefix + ".")
    )


@pytest.mark.parametrize(("side", "other"), [("web", "trainer"), ("trainer", "web")])
def test_the_web_process_and_the_trainer_import_nothing_of_each_other(side, other):
    assert (APP / side).is_dir() and (APP / other).is_dir()
    assert crossings(side, other) == []


def test_the_import_check_sees_every_form_of_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "import app.trainer.worker\n"
        "from app import trainer\n"
        "if TYPE_CHECKING:\n    from app.trainer.frames import frame\n"
        "def f():\n    from app.trainer import resident\n"
    )
    assert {"app.trainer.worker", "app.trainer", "app.trainer.frames", "app.trainer.resident"} <= (
        imported_modules(module)
    )
