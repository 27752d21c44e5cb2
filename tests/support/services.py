"""What a test does when a real service it needs (PostgreSQL, Redis) is not installed."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "service_missing"]


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``, as GitHub Actions and most others set it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def service_missing(what: str) -> NoReturn:
    """Skip the test here; in CI fail it instead, since ``make test`` installs every service
    there and a skipped test would hide that it did not run."""
    reason = f"{what} is not installed (make test installs it with apt-get)"
    if in_ci():
        pytest.fail(f"{reason}; CI must run every test", pytrace=False)
    pytest.skip(reason)
