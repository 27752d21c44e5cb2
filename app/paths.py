"""Where the page's files are: ``templates/`` and ``static/``.

In a checkout (and an editable install) they sit at the repository root, beside ``app/``; a
built wheel carries them inside the package as ``app/templates`` and ``app/static``
(pyproject.toml maps them there). The packaged folder wins when it exists.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` (``"templates"`` or ``"static"``): packaged, else the checkout's."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else CHECKOUT / name


TEMPLATES_DIR = resource_dir("templates")
STATIC_DIR = resource_dir("static")
