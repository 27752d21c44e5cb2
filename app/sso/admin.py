"""``backprop-playground sso ...``: an admin links a person of the institution's OpenID Connect
provider to an existing teacher, on the store of the ``BPP_*`` settings.

- ``sso link-teacher ISSUER SUB TEACHER [--merge]`` — the provider's person (its issuer and the
  id_token's ``sub``) signs in as that teacher (say, the one their first LMS launch made); what
  the teacher they were before owns moves along (``app/classroom/merge.py``: without
  ``--merge`` only when this sign-on was that teacher's only way in)
"""

from __future__ import annotations

import argparse
import sys

from app.settings import Settings
from app.sso.teachers import SsoTeachers
from app.store import Store
from app.store.admin import on_store


def add_parser(commands: argparse._SubParsersAction) -> None:
    sso = commands.add_parser(
        "sso",
        help="single sign-on: link a provider's person to an existing teacher",
        description="Link a person of the OpenID Connect provider to an existing teacher.",
    )
    sub = sso.add_subparsers(dest="sso_command", metavar="ACTION", required=True)
    link = sub.add_parser(
        "link-teacher",
        help="make a provider's person (issuer and sub) an existing teacher",
    )
    link.add_argument("issuer", help="the provider's issuer (the id_token's iss)")
    link.add_argument("sub", help="the person's id at the provider (the id_token's sub)")
    link.add_argument("teacher", help="the teacher's name here")
    link.add_argument(
        "--merge",
        action="store_true",
        help="move the person's former teacher's lessons and classrooms here even when that "
        "teacher has another way in (a password, another sign-on, an LMS user)",
    )


def sso_cli(settings: Settings, args: argparse.Namespace) -> int:
    def link(store: Store) -> int:
        linked = SsoTeachers(store).link_teacher(args.issuer, args.sub, args.teacher, args.merge)
        if linked is None:
            print(f"sso: no teacher named {args.teacher!r}", file=sys.stderr)
            return 1
        print(linked.describe(f"Sign-on {args.sub!r} of {args.issuer!r}"))
        return 0

    return on_store(settings, "sso", link)
