"""The order in which ``make test``'s two pytest workers take the test files: longest first.

``make test`` runs ``pytest -n 2 --dist loadfile --no-loadscope-reorder``: a file is the unit of
work (its module-scoped server starts once), and a worker that is almost done takes the next
file in collection order. pytest-xdist's own order is by number of tests, which put the longest
file of all (schemathesis: one test, 106 s) last, so one worker ran alone for its last minutes.
Longest first (the LPT rule) leaves the short files for the end, where they fill the gap between
the two workers: the last file to start is short, so they finish within seconds of each other.

``MODULE_SECONDS``: each file's seconds (setup, call and teardown of its tests) in
``pytest -n 2 --dist loadfile --junitxml`` on the shared 2-core machine (2026-12-07, under the
load of another full run); files under 5 s keep pytest's order after these. The files that now
share one app (``shared_app``) are scaled by their own before/after ratio, measured one file at a
time on the same machine. Only the order depends on it: a stale or missing figure makes the run
slower, never wrong. Measure again with ``python -m tests.support.durations JUNIT.xml...`` after
adding a long file.
"""

from __future__ import annotations

import collections
import sys
import xml.etree.ElementTree as ET

import pytest

MODULE_SECONDS = {
    "tests/browser/test_accessibility.py": 144,
    "tests/test_schemathesis.py": 106,
    "tests/browser/test_lesson_page.py": 97,
    "tests/test_persistence.py": 84,
    "tests/test_bus.py": 81,
    "tests/browser/test_playground.py": 69,
    "tests/test_limits_at_once.py": 67,
    "tests/browser/test_build_features.py": 61,
    "tests/browser/test_control_matrix.py": 59,
    "tests/browser/test_layout.py": 53,
    "tests/browser/test_persistence_page.py": 50,
    "tests/browser/test_classroom_page.py": 43,
    "tests/test_e2e_server.py": 41,
    "tests/test_container.py": 34,
    "tests/test_trainer_processes.py": 32,
    "tests/test_api_errors.py": 32,
    "tests/browser/test_activity_page.py": 31,
    "tests/browser/test_small_fixes_page.py": 29,
    "tests/test_classroom_api.py": 28,
    "tests/test_lti.py": 25,
    "tests/test_activity_api.py": 18,
    "tests/browser/test_settings_page.py": 17,
    "tests/browser/test_lti_page.py": 16,
    "tests/browser/test_page_listens.py": 16,
    "tests/test_jobs.py": 15,
    "tests/browser/test_sso_node_provider.py": 15,
    "tests/test_fair_jobs.py": 14,
    "tests/test_client.py": 14,
    "tests/browser/test_lti_cross_site.py": 14,
    "tests/browser/test_library_page.py": 13,
    "tests/browser/test_diagram_keyboard.py": 13,
    "tests/test_sso.py": 13,
    "tests/test_stream_ws.py": 12,
    "tests/browser/test_crafted_links.py": 12,
    "tests/test_replay.py": 12,
    "tests/test_stacked.py": 12,
    "tests/test_export_code.py": 11,
    "tests/browser/test_firefox.py": 11,
    "tests/browser/test_sso_page.py": 10,
    "tests/browser/test_docs_offline.py": 10,
    "tests/test_wheel.py": 10,
    "tests/browser/test_inspector_page.py": 9,
    "tests/test_lesson_api.py": 9,
    "tests/test_support_server.py": 9,
    "tests/test_lti_platform_library.py": 9,
    "tests/test_worker.py": 9,
    "tests/test_stream_panels.py": 8,
    "tests/test_slow_clients.py": 8,
    "tests/test_store.py": 8,
    "tests/test_hardening.py": 7,
    "tests/browser/test_derivation_page.py": 7,
    "tests/browser/test_frame_forms.py": 7,
    "tests/test_library.py": 7,
    "tests/test_classroom_lock_values.py": 7,
    "tests/test_notebook.py": 7,
    "tests/test_join_limits.py": 6,
    "tests/browser/test_security_page.py": 5,
    "tests/test_ws_fuzz.py": 5,
    "tests/test_gradient_flow.py": 5,
}


def module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


BROWSER_PACKAGE = "tests/browser/"


def longest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with whole files ordered by ``MODULE_SECONDS``, longest first (a stable sort:
    a file's tests keep their order, and unmeasured files their order after the measured) —
    the browser tests' files first, as one block: their Chromium (tests/browser/conftest.py's
    ``browser``, package-scoped) is launched again each time a worker comes back to the package
    from another file (4-7 s on the loaded machine), so each worker launches it once, not at
    every other file. Both blocks end with their short files, which still even out the two
    workers at the end of the run."""
    return sorted(
        items,
        key=lambda item: (
            not module_of(item).startswith(BROWSER_PACKAGE),
            -MODULE_SECONDS.get(module_of(item), 0),
        ),
    )


def measure(paths: list[str]) -> dict[str, int]:
    """Seconds per test file from pytest's JUnit XML reports (``--junitxml``)."""
    seconds: collections.Counter[str] = collections.Counter()
    for path in paths:
        for case in ET.parse(path).iter("testcase"):
            name = case.get("classname", "").replace(".", "/") + ".py"
            seconds[name] += float(case.get("time", 0))
    return {name: round(s) for name, s in seconds.most_common() if s >= 4.5}


if __name__ == "__main__":  # python -m tests.support.durations nb.xml browser.xml
    for name, s in measure(sys.argv[1:]).items():
        print(f'    "{name}": {s},')
