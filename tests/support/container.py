"""Build the project's image with podman and run it, for tests (``tests/test_container.py``).

Made for machines with no Docker daemon and no container registry (see docs/deploy.md)::

    podman = Podman(tmp_dir)                        # podman with a containers.conf of its own
    base = ensure_base_image(podman)                # python:3.11-slim stand-in, kept between runs
    build_image(podman, IMAGE, base, log_path)      # the real Dockerfile, FROM the stand-in
    with run_container(podman, IMAGE) as box:       # started, /healthz answered from the host
        httpx.get(box.url + "/healthz")
        box.exec("id", "-u")                        # a command inside
        box.stop()                                  # SIGTERM, then the exit code

``podman`` runs with ``runc`` and cgroupfs and no default ulimits (what a sandbox allows; harmless
elsewhere). The build reaches package indexes the way this machine's pip does: the host's
effective pip settings (``pip config list``: files and ``PIP_*`` variables) that say where
packages come from are written to a pip.conf mounted at ``/etc/pip.conf`` for the build's RUN
steps only, and the files and folders they name (CA bundle, constraints, local indexes) are
mounted read-only at their own paths. Nothing of them is copied into the image; podman leaves
only empty mount points behind. A container publishes port 8000 on a free loopback port of the
host through slirp4netns (user-mode networking: no bridge, no firewall rules, no host port 8000).
"""

from __future__ import annotations

import ast
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from tests.support.server import HOST, ROOT, free_port

__all__ = [
    "BASE_IMAGE",
    "IMAGE",
    "REQUIRED_TOOLS",
    "Container",
    "ContainerError",
    "Podman",
    "build_image",
    "ensure_base_image",
    "missing_tools",
    "pip_build_config",
    "run_container",
]

BASE_IMAGE = "localhost/bpp-python:3.11-bookworm"
IMAGE = "localhost/backprop-playground:test"
REQUIRED_TOOLS = ("podman", "runc", "slirp4netns", "mmdebstrap")
CONTAINERS_CONF = """\
# Written by tests/support/container.py: what podman needs inside this sandbox.
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""
# The pip settings that say where packages come from and how to reach them; others (--user,
# --target, cache folders, ...) would change the build itself and are not passed in.
PIP_SOURCE_KEYS = frozenset(
    {
        "index-url",
        "extra-index-url",
        "find-links",
        "no-index",
        "trusted-host",
        "cert",
        "client-cert",
        "proxy",
        "timeout",
        "default-timeout",
        "retries",
        "constraint",
    }
)
PIP_KEYS_WITH_PATHS = frozenset(
    {"index-url", "extra-index-url", "find-links", "cert", "client-cert", "constraint"}
)


class ContainerError(RuntimeError):
    """A podman command failed, or the container did not become healthy in time."""


def missing_tools() -> list[str]:
    """The programs of ``REQUIRED_TOOLS`` that are not on PATH."""
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


class Podman:
    """``podman(*args)`` runs podman with this sandbox's containers.conf (written to
    ``conf_dir``) and returns the completed process; raises ``ContainerError`` with its output
    when it fails and ``check`` is true."""

    def __init__(self, conf_dir: str | os.PathLike[str]) -> None:
        conf = Path(conf_dir) / "containers.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(CONTAINERS_CONF)
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def __call__(
        self, *args: str, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["podman", *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise ContainerError(
                f"podman {' '.join(args)} exited {done.returncode}:\n{_tail(done.stderr)}"
            )
        return done

    def image_id(self, name: str) -> str | None:
        done = self("image", "inspect", "--format", "{{.Id}}", name, check=False)
        return done.stdout.strip() if done.returncode == 0 else None


def ensure_base_image(podman: Podman, name: str = BASE_IMAGE, timeout: float = 900) -> str:
    """The python:3.11-slim stand-in ``name``: reused when it exists, else made by
    ``scripts/container-base.sh`` (mmdebstrap from Debian's mirrors, a minute or two)."""
    if podman.image_id(name):
        return name
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "container-base.sh"), name],
        env=podman.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise ContainerError(f"container-base.sh exited {done.returncode}:\n{_tail(done.stderr)}")
    return name


def pip_build_config(config_list: str) -> tuple[str, list[Path]]:
    """From the output of ``pip config list``: the text of a pip.conf with the settings of
    ``PIP_SOURCE_KEYS``, and the existing host paths those settings name, to be mounted at the
    same paths. ``PIP_*`` variables (``:env:`` lines) go to ``[global]`` and win over the same
    key from a file, as they do on the host. A local index named ``file:///X/simple`` brings
    ``/X``, since its pages may link to files beside ``simple/``."""
    sections: dict[str, dict[str, str]] = {}
    from_env: dict[str, str] = {}
    for line in config_list.splitlines():
        name, sep, raw = line.partition("=")
        section, dot, key = name.rpartition(".")
        if not (sep and dot and key in PIP_SOURCE_KEYS):
            continue
        try:
            value = str(ast.literal_eval(raw))
        except (ValueError, SyntaxError):
            value = raw.strip("'\"")
        if section == ":env:":
            from_env[key] = value
        else:
            sections.setdefault(section, {})[key] = value
    sections.setdefault("global", {}).update(from_env)

    mounts: list[Path] = []
    for values in sections.values():
        for key, value in values.items():
            if key in PIP_KEYS_WITH_PATHS:
                for item in value.split():
                    path = _local_path(item)
                    if path is not None and path not in mounts:
                        mounts.append(path)
    text = "".join(
        f"[{section}]\n" + "".join(f"{key} = {value}\n" for key, value in values.items())
        for section, values in sections.items()
        if values
    )
    return text, mounts


def _local_path(item: str) -> Path | None:
    """The host path a pip setting's item names, if it is an existing absolute path."""
    if item.startswith("file:"):
        path = Path(unquote(urlparse(item).path))
        if path.name == "simple":
            path = path.parent
    elif item.startswith("/"):
        path = Path(item)
    else:
        return None
    return path if path.exists() else None


def _host_pip_config() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return done.stdout if done.returncode == 0 else ""


def build_image(
    podman: Podman,
    tag: str,
    base: str,
    log_path: str | os.PathLike[str],
    timeout: float = 1200,
) -> str:
    """``podman build`` the project's Dockerfile as ``tag`` on ``base`` (build argument
    PYTHON_IMAGE), docker format (which keeps HEALTHCHECK), host network for the downloads, the
    host's pip settings mounted in (module docstring). The whole output goes to ``log_path``.
    The image this tag named before, if it is now unused, is removed (layers still shared with
    the new one stay: they are the cache). Returns the new image's id."""
    log_path = Path(log_path)
    conf_text, paths = pip_build_config(_host_pip_config())
    volumes: list[str] = []
    if conf_text:
        conf = log_path.parent / "pip-build.conf"
        conf.write_text(conf_text)
        volumes += ["--volume", f"{conf}:/etc/pip.conf:ro"]
    for path in paths:
        volumes += ["--volume", f"{path}:{path}:ro"]
    previous = podman.image_id(tag)
    args = [
        "build",
        "--format=docker",
        "--network=host",
        "--build-arg",
        f"PYTHON_IMAGE={base}",
        *volumes,
        "--tag",
        tag,
        str(ROOT),
    ]
    done = podman(*args, timeout=timeout, check=False)
    log_path.write_text(f"$ podman {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    if done.returncode != 0:
        raise ContainerError(
            f"podman build exited {done.returncode} (log: {log_path}):\n{_tail(done.stderr)}"
        )
    image = podman.image_id(tag)
    assert image is not None
    if previous and previous != image:
        podman("rmi", previous, check=False)  # in use by a container: left for later
    return image


class Container:
    """A container of the image started by ``run_container``: ``url`` (the host's side of
    port 8000), ``name``, ``exec``, ``logs``, ``inspect``, ``stop``."""

    def __init__(self, podman: Podman, name: str, port: int) -> None:
        self.podman = podman
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}"

    def exec(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.podman("exec", self.name, *command, check=check)

    def logs(self) -> str:
        done = self.podman("logs", self.name, check=False)
        return done.stdout + done.stderr

    def inspect(self, template: str) -> str:
        return self.podman("inspect", "--format", template, self.name).stdout.strip()

    def running(self) -> bool:
        done = self.podman("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return done.stdout.strip() == "true"

    def stop(self, timeout: int = 20) -> int:
        """SIGTERM (the image's stop signal), SIGKILL after ``timeout`` s; the exit code."""
        self.podman("stop", "--time", str(timeout), self.name, timeout=timeout + 30)
        return int(self.inspect("{{.State.ExitCode}}"))

    def wait_healthy(self, timeout: float) -> dict:
        """Poll ``GET /healthz`` from the host until it answers 200; its JSON body."""
        deadline = time.monotonic() + timeout
        error: Exception | None = None
        while time.monotonic() < deadline:
            if not self.running():
                raise ContainerError(f"{self.name} exited before /healthz:\n{_tail(self.logs())}")
            try:
                response = httpx.get(self.url + "/healthz", timeout=5)
                if response.status_code == 200:
                    return response.json()
                error = ContainerError(f"/healthz answered {response.status_code}")
            except httpx.HTTPError as exc:
                error = exc
            time.sleep(0.25)
        raise ContainerError(
            f"{self.name}: no healthy /healthz in {timeout} s ({error!r}):\n{_tail(self.logs())}"
        )


@contextmanager
def run_container(
    podman: Podman,
    image: str,
    env: dict[str, str] | None = None,
    args: Sequence[str] = (),
    startup_timeout: float = 60,
) -> Iterator[Container]:
    """Start ``image`` detached with its own CMD (``args``: extra ``podman run`` options),
    port 8000 published on a free loopback port, and yield it once ``/healthz`` answers from the
    host. On the way out the container and its anonymous volumes are removed."""
    port = free_port()
    name = f"bpp-test-{secrets.token_hex(4)}"
    env_args = [f"--env={key}={value}" for key, value in (env or {}).items()]
    podman(
        "run",
        "--detach",
        "--name",
        name,
        "--network=slirp4netns",
        "--publish",
        f"{HOST}:{port}:8000",
        *env_args,
        *args,
        image,
        timeout=120,
    )
    container = Container(podman, name, port)
    try:
        container.wait_healthy(startup_timeout)
        yield container
    finally:
        podman("rm", "--force", "--volumes", name, timeout=120, check=False)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])
