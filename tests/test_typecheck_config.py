"""Issue 20: mypy (``make typecheck``, part of ``make test``) is strict on engine/ and ignores
no module's errors. These pin the configuration in pyproject.toml, so that loosening it is a
failing test rather than a silent change."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

STRICT_FLAGS = (
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_calls",
    "disallow_any_generics",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
)


def _mypy() -> dict[str, Any]:
    with PYPROJECT.open("rb") as f:
        config: dict[str, Any] = tomllib.load(f)["tool"]["mypy"]
    return config


def _modules(override: dict[str, Any]) -> list[str]:
    module = override["module"]
    return [module] if isinstance(module, str) else list(module)


def test_mypy_checks_the_engine_app_and_client() -> None:
    assert {"app", "engine", "backprop_playground"} <= set(_mypy()["files"])


def test_engine_is_checked_with_the_strict_flags() -> None:
    engine = [o for o in _mypy()["overrides"] if "engine.*" in _modules(o)]
    assert len(engine) == 1
    missing = [flag for flag in STRICT_FLAGS if engine[0].get(flag) is not True]
    assert missing == []


def test_the_seam_is_checked_with_the_strict_flags() -> None:
    seam = [o for o in _mypy()["overrides"] if "app.seam.*" in _modules(o)]
    assert len(seam) == 1
    missing = [flag for flag in STRICT_FLAGS if seam[0].get(flag) is not True]
    assert missing == []


def test_no_module_has_its_type_errors_ignored() -> None:
    ignored = [
        module
        for override in _mypy()["overrides"]
        if override.get("ignore_errors")
        for module in _modules(override)
    ]
    assert ignored == []
