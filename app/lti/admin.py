"""``backprop-playground lti ...``: an admin registers LMS platforms and rotates the tool's
keys, on the store of the ``BPP_*`` settings (a running server picks the change up within
``lti_platform_cache_seconds``).

- ``lti add-platform --issuer I --client-id C --deployment D [--deployment D2] --auth-url A
  --token-url T --jwks-url J [--frame-origin O]``
- ``lti add-deployment PLATFORM_ID DEPLOYMENT_ID``
- ``lti list`` — the platforms, as JSON (the tool's URLs to give the LMS: ``/lti/config``)
- ``lti link-teacher PLATFORM_ID SUB TEACHER [--merge]`` — the LMS's person ``sub`` is that
  teacher; what the teacher they were before owns moves along (``app/classroom/merge.py``:
  without ``--merge`` only when ``sub`` was that teacher's only way in)
- ``lti rotate-key`` — a new signing key; the previous one stays published for tokens in flight
"""

from __future__ import annotations

import argparse
import json
import sys

from app.classroom.rooms import Rooms
from app.lti.keys import ToolKeys
from app.lti.links import Links
from app.lti.platforms import Platforms
from app.settings import Settings
from app.store import Store
from app.store.admin import on_store


def add_parser(commands: argparse._SubParsersAction) -> None:
    lti = commands.add_parser(
        "lti",
        help="LTI 1.3: register LMS platforms, rotate the tool's keys",
        description="Register LMS platforms (Canvas, Moodle...) and rotate the tool's keys.",
    )
    sub = lti.add_subparsers(dest="lti_command", metavar="ACTION", required=True)
    add = sub.add_parser("add-platform", help="register a platform (values from the LMS)")
    add.add_argument("--issuer", required=True, help="the platform's issuer (iss)")
    add.add_argument("--client-id", required=True, help="the client id the LMS gave the tool")
    add.add_argument(
        "--deployment", action="append", default=[], help="a deployment id (repeatable)"
    )
    add.add_argument("--auth-url", required=True, help="the platform's OIDC auth URL")
    add.add_argument("--token-url", required=True, help="the platform's OAuth 2 token URL")
    add.add_argument("--jwks-url", required=True, help="the platform's public keyset URL")
    add.add_argument(
        "--frame-origin",
        action="append",
        default=[],
        help="another origin whose pages frame the tool (repeatable)",
    )
    dep = sub.add_parser("add-deployment", help="add a deployment id to a platform")
    dep.add_argument("platform_id")
    dep.add_argument("deployment_id")
    sub.add_parser("list", help="the registered platforms, as JSON")
    link = sub.add_parser(
        "link-teacher",
        help="make a platform's person (their LMS user id, sub) an existing teacher",
    )
    link.add_argument("platform_id")
    link.add_argument("sub", help="the person's user id in the LMS (the id_token's sub)")
    link.add_argument("teacher", help="the teacher's name here")
    link.add_argument(
        "--merge",
        action="store_true",
        help="move the person's former teacher's lessons and classrooms here even when that "
        "teacher has another way in (a password, a sign-on, another LMS user)",
    )
    sub.add_parser("rotate-key", help="a new signing key for the tool")


def lti_cli(settings: Settings, args: argparse.Namespace) -> int:
    def run(store: Store) -> int:
        platforms = Platforms(store)
        action = args.lti_command
        if action == "add-platform":
            platform = platforms.register(
                args.issuer,
                args.client_id,
                args.deployment,
                args.auth_url,
                args.token_url,
                args.jwks_url,
                args.frame_origin,
            )
            print(json.dumps(platform.json(), indent=2))
        elif action == "add-deployment":
            deployed = platforms.add_deployment(args.platform_id, args.deployment_id)
            if deployed is None:
                print(f"lti: no platform {args.platform_id!r}", file=sys.stderr)
                return 1
            print(json.dumps(deployed.json(), indent=2))
        elif action == "link-teacher":
            if platforms.get(args.platform_id) is None:
                print(f"lti: no platform {args.platform_id!r}", file=sys.stderr)
                return 1
            linked = Links(store, Rooms(store, settings)).link_teacher(
                args.platform_id, args.sub, args.teacher, args.merge
            )
            if linked is None:
                print(f"lti: no teacher named {args.teacher!r}", file=sys.stderr)
                return 1
            print(linked.describe(f"LMS user {args.sub!r}"))
        elif action == "list":
            print(json.dumps([p.json() for p in platforms.all()], indent=2))
        elif action == "rotate-key":
            print(f"New signing key {ToolKeys(store).rotate()}; the previous one stays published.")
        return 0

    return on_store(settings, "lti", run)
