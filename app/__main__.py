"""``python -m app``: the same as the ``backprop-playground`` command."""

from app.cli import main

main()
