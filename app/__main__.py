"""``python -m app``: the same as the ``backprop-playground`` command."""

from app.cli import main

if __name__ == "__main__":  # not when a spawned trainer process imports this module
    main()
