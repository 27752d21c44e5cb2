"""The API's version, in every answer and at ``GET /api/version``.

``API_VERSION`` is ``MAJOR.MINOR``: the minor number grows when something is added (a field, an
endpoint, a message), the major number when something a client relies on changes or goes. A
client built for API ``M.n`` works with any server of API ``M.m`` with ``m ≥ n``
(``backprop_playground.client`` checks this and refuses other servers with a clear message).
"""

from __future__ import annotations

from importlib import metadata

API_VERSION = "1.1"  # 1.1: probe.updated; history, gradient_flow, confusion, replay_range
HEADER = "X-Playground-API"  # on every HTTP answer (added by app.web.middleware.SecurityHeaders)


def server_version() -> str:
    """The installed distribution's version (``0+unknown`` when run from a bare folder)."""
    try:
        return metadata.version("backprop-playground")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def version_document() -> dict[str, str]:
    return {"api": API_VERSION, "server": server_version()}
