"""``backprop-playground create-teacher NAME``: make a teacher's account (or, with
``--reset-password``, give an existing one a new password). The password is prompted twice, or
read from ``BPP_TEACHER_PASSWORD`` for automation (a script, a container's first start)."""

from __future__ import annotations

import getpass
import os
import sys

from app.classroom.accounts import Accounts
from app.settings import Settings
from app.store import Store
from app.store.admin import on_store

PASSWORD_ENV = "BPP_TEACHER_PASSWORD"


def read_password() -> str | None:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        print(f"create-teacher: no terminal to ask on; set {PASSWORD_ENV}", file=sys.stderr)
        return None
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        print("create-teacher: the passwords differ", file=sys.stderr)
        return None
    return first


def create_teacher_cli(settings: Settings, name: str, reset: bool = False) -> int:
    password = read_password()
    if password is None:
        return 2

    def create(store: Store) -> int:
        accounts = Accounts(store, settings)
        if reset:
            if not accounts.set_password(name, password):
                print(f"create-teacher: no teacher named {name!r}", file=sys.stderr)
                return 1
            print(f"New password set for teacher {name!r}.")
            return 0
        teacher = accounts.create_teacher(name, password)
        print(f"Teacher {teacher.name!r} created; log in at /login.")
        return 0

    return on_store(settings, "create-teacher", create)
