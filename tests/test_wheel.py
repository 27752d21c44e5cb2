"""A normal install works: the built wheel carries everything the app serves.

Builds the wheel from a copy of the project (no build isolation: offline, a second or two),
installs it into a fresh venv (its dependencies come from this environment's site-packages
through a .pth line, so nothing is downloaded and the checkout is not importable there), starts
``backprop-playground`` from an empty temporary folder and fetches the page, a static file,
the protocol page and the catalog. About 10-20 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT, start_server

pytestmark = pytest.mark.wheel

SOURCES = ["pyproject.toml", "README.md", "app", "engine", "backprop_playground", "templates",
           "static"]  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the working tree."""
    pytest.importorskip("setuptools", minversion="77")
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(dist)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = dist.glob("backprop_playground-*.whl")
    return built


def test_the_wheel_carries_the_page_the_client_and_the_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    served = [p.relative_to(ROOT).as_posix() for p in (ROOT / "static").rglob("*") if p.is_file()]
    templates = [p.name for p in (ROOT / "templates").glob("*.html")]
    assert served and templates
    assert {f"app/{p}" for p in served} <= names
    assert {f"app/templates/{t}" for t in templates} <= names
    assert {"backprop_playground/client.py", "backprop_playground/py.typed"} <= names
    assert "app/store/migrations/script.py.mako" in names
    assert any(n.startswith("app/store/migrations/versions/") for n in names)
    assert not any(n.startswith(("tests/", "docs/")) for n in names)
    # every package of the checkout (pyproject.toml lists them one by one)
    for init in [*ROOT.glob("app/**/__init__.py"), *ROOT.glob("engine/**/__init__.py")]:
        assert init.relative_to(ROOT).as_posix() in names, f"{init.parent} is not packaged"


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; its dependencies are this environment's."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # this environment's packages (numpy, fastapi, ...) but not its editable checkout: the
    # directories of a .pth line are added as they are, their own .pth files are not run
    Path(site, "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def test_the_installed_server_serves_the_page_from_another_folder(venv, tmp_path):
    run = tmp_path / "elsewhere"
    run.mkdir()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import app, backprop_playground as c; "
         "print(app.__file__); print(c.__file__)"],
        cwd=run, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert all(Path(p).is_relative_to(venv) for p in where), where
    env = {"BPP_TRAINERS": "1", "BPP_DATA_DIR": str(run / "data")}
    command = [str(venv / "bin" / "backprop-playground")]
    with start_server(env=env, command=command, cwd=run, log_dir=tmp_path / "log") as server:
        page = httpx.get(server.url + "/")
        assert page.status_code == 200, server.log_text()
        assert "Backprop Playground" in page.text
        css = page.text.split('rel="stylesheet" href="')[-1].split('"')[0]
        assert css.startswith("/static/") and "?v=missing" not in page.text
        static = httpx.get(server.url + css)
        assert static.status_code == 200 and static.content
        assert httpx.get(server.url + "/static/vendor/VERSIONS.txt").status_code == 200
        assert httpx.get(server.url + "/protocol").status_code == 200
        catalog = httpx.get(server.url + "/api/catalog")
        assert catalog.status_code == 200 and catalog.json()["activations"]
        created = httpx.post(server.url + "/api/sessions", json={})
        assert created.status_code == 201
        assert "Traceback" not in server.log_text()
