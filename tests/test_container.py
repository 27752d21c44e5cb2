"""The image: the real Dockerfile, built with podman and started, answers from the host.

The first run on a machine makes the python:3.11-slim stand-in from Debian packages
(scripts/container-base.sh, a minute or two) and builds every layer; later runs reuse the stand-in
and podman's layer cache. Needs root with podman, runc, slirp4netns and mmdebstrap
(``apt-get install podman runc mmdebstrap``); skipped without them, failed in CI.
``pytest -m "not container"`` leaves these tests out.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.container import (
    BASE_IMAGE,
    IMAGE,
    Podman,
    build_image,
    ensure_base_image,
    missing_tools,
    pip_build_config,
    run_container,
)
from tests.support.services import service_missing

DATA_DIR = "/srv/playground/data"
SERVER_UID = "10001"


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    missing = missing_tools()
    if missing:
        service_missing(", ".join(missing))
    if os.geteuid() != 0:
        pytest.skip("the container test runs as root (mmdebstrap, podman's default storage)")
    return Podman(tmp_path_factory.mktemp("podman"))


@pytest.fixture(scope="module")
def image(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's image, built from the working tree on the (cached) stand-in base."""
    base = ensure_base_image(podman, BASE_IMAGE)
    log = tmp_path_factory.mktemp("build") / "build.log"
    build_image(podman, IMAGE, base, log)
    yield IMAGE


# ---- the build's pip settings (no podman needed) -------------------------------------------


def test_pip_build_config_keeps_package_sources_and_names_their_paths(tmp_path):
    index = tmp_path / "pypi" / "simple"
    index.mkdir(parents=True)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    cert = tmp_path / "ca.crt"
    cert.write_text("x")
    listed = "\n".join(
        [
            f"global.cert='{cert}'",
            f"global.extra-index-url='file://{index} https://mirror.example/simple'",
            "global.find-links='/no/such/folder'",
            "global.user='true'",  # changes the build itself: not passed in
            "install.target='/somewhere'",
            "install.timeout='30'",
            f":env:.find-links='{wheels}'",
            ":env:.default-timeout='180'",
            ":env:.no-cache-dir='1'",
        ]
    )
    text, mounts = pip_build_config(listed)
    assert text == (
        "[global]\n"
        f"cert = {cert}\n"
        f"extra-index-url = file://{index} https://mirror.example/simple\n"
        f"find-links = {wheels}\n"  # the variable wins over the file, as on the host
        "default-timeout = 180\n"
        "[install]\n"
        "timeout = 30\n"
    )
    # a local index brings the folder above simple/ (its pages link to ../files); missing
    # paths and URLs are not mounted
    assert mounts == [cert, index.parent, wheels]


def test_pip_build_config_of_a_machine_without_pip_settings_is_empty():
    assert pip_build_config("") == ("", [])


# ---- the image ------------------------------------------------------------------------------


@pytest.mark.container
@pytest.mark.timeout(1500)
def test_image_runs_as_non_root_with_a_data_volume_and_a_healthcheck(podman, image):
    info = json.loads(podman("image", "inspect", image).stdout)[0]
    config = info["Config"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert config["User"] == "playground"
    assert env["BPP_DATA_DIR"] == DATA_DIR
    assert DATA_DIR in config["Volumes"]
    assert "8000/tcp" in config["ExposedPorts"]
    assert config["Cmd"] == ["backprop-playground", "--host", "0.0.0.0", "--port", "8000"]
    # kept only in docker format (build_image asks for it); podman shows it beside Config
    health = info.get("Healthcheck") or config.get("Healthcheck")
    assert health is not None
    assert "/healthz" in " ".join(health["Test"])
    assert config["Labels"]["org.opencontainers.image.title"] == "Backprop Playground"
    # the build's pip settings were mounted, not copied: at most empty mount points remain
    done = podman("run", "--rm", "--network=none", image, "cat", "/etc/pip.conf", check=False)
    assert done.stdout == ""


@pytest.mark.container
@pytest.mark.timeout(1500)
def test_container_answers_healthz_from_the_host_trains_and_stops_cleanly(podman, image):
    started = time.monotonic()
    with run_container(podman, image) as box:
        print(f"container healthy {time.monotonic() - started:.1f} s after podman run")
        # from the host, over loopback, through the published port
        health = httpx.get(box.url + "/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        # the image's own HEALTHCHECK command passes inside the container
        checked = podman("healthcheck", "run", box.name, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr

        # a session trains: the trainer processes (multiprocessing spawn) work in the image
        created = httpx.post(box.url + "/api/sessions", json={}, timeout=30)
        assert created.status_code == 201, created.text
        session = created.json()["id"]
        trained = httpx.post(
            f"{box.url}/api/sessions/{session}/train", json={"epochs": 5}, timeout=60
        )
        assert trained.status_code == 200, trained.text
        assert trained.json()["epoch"] == 5

        # the server runs as the playground user, owns the data folder, and that is a volume
        assert box.exec("id", "-u").stdout.strip() == SERVER_UID
        assert box.exec("stat", "-c", "%u", DATA_DIR).stdout.strip() == SERVER_UID
        assert box.exec("test", "-w", DATA_DIR, check=False).returncode == 0
        mounts = json.loads(box.inspect("{{json .Mounts}}"))
        assert [m["Type"] for m in mounts if m["Destination"] == DATA_DIR] == ["volume"]

        # SIGTERM stops the server and its trainers well before podman's SIGKILL
        stopping = time.monotonic()
        assert box.stop(timeout=20) == 0, box.logs()
        assert time.monotonic() - stopping < 15
        logs = box.logs()
        assert "Application shutdown complete" in logs, logs
        assert "Traceback" not in logs, logs


@pytest.mark.container
@pytest.mark.timeout(1500)
def test_a_session_outlives_its_container_in_a_named_data_volume(podman, image):
    volume = f"bpp-test-data-{os.getpid()}-{time.monotonic_ns()}"
    podman("volume", "create", volume)
    try:
        mount = ["--volume", f"{volume}:{DATA_DIR}"]
        with run_container(podman, image, args=mount) as first:
            session = httpx.post(first.url + "/api/sessions", json={}, timeout=30).json()["id"]
            trained = httpx.post(
                f"{first.url}/api/sessions/{session}/train", json={"epochs": 7}, timeout=60
            )
            assert trained.status_code == 200, trained.text
            assert first.stop() == 0, first.logs()
        # a new volume starts out owned by the server user (VOLUME after the chown)
        with run_container(podman, image, args=mount) as second:
            restored = httpx.get(f"{second.url}/api/sessions/{session}", timeout=30)
            assert restored.status_code == 200, restored.text
            assert restored.json()["epoch"] == 7
    finally:
        podman("volume", "rm", "--force", volume, check=False)
