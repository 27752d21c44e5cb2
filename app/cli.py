"""``backprop-playground [--host H] [--port P] [--reload]``: start the server, print its URL.

Roles (all take the same ``BPP_*`` settings):

- ``backprop-playground`` — everything in one: the web process and its trainer processes.
- ``backprop-playground web`` — a web process only; its trainers are found on the bus
  (``BPP_BUS_URL``, required).
- ``backprop-playground trainer`` — ``BPP_TRAINERS`` trainer processes on the bus (default one per
  core), restarted if one dies.
- ``backprop-playground create-teacher NAME`` — make a teacher's account for the classroom
  (password prompted, or from ``BPP_TEACHER_PASSWORD``).
- ``backprop-playground lti add-platform|add-deployment|list|link-teacher|rotate-key`` — LTI
  1.3: register LMS platforms, link LMS users to teachers, rotate the tool's keys
  (``app/lti/admin.py``).
- ``backprop-playground sso link-teacher ISSUER SUB TEACHER [--merge]`` — a sign-on identity is
  an existing teacher (``app/sso/admin.py``).
- ``backprop-playground migrate`` — bring the session store's schema up to date and exit (the
  store is ``BPP_DATABASE_URL``, by default the SQLite file in ``BPP_DATA_DIR``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

import uvicorn

from app.settings import get_settings
from app.web.serving import uvicorn_options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="backprop-playground",
        description="Serve the Backprop Playground (settings: BPP_* environment variables).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any)")
    parser.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for role, text in (
        ("web", "a web process only (needs BPP_BUS_URL): trainers are found on the bus"),
        ("trainer", "trainer processes on the bus (needs BPP_BUS_URL); no web server"),
    ):
        sub = commands.add_parser(role, help=text, description=text)
        if role == "web":
            sub.add_argument("--host", default=argparse.SUPPRESS, help="address to bind")
            sub.add_argument("--port", type=int, default=argparse.SUPPRESS, help="port")
    commands.add_parser(
        "migrate",
        help="bring the session store's schema up to date and exit",
        description="Bring the session store's schema up to date (BPP_DATABASE_URL, or the "
        "SQLite file in BPP_DATA_DIR) and exit.",
    )
    teacher = commands.add_parser(
        "create-teacher",
        help="make a teacher's account (password prompted, or from BPP_TEACHER_PASSWORD)",
        description="Make a teacher's account in the store. The password is prompted twice, "
        "or read from BPP_TEACHER_PASSWORD.",
    )
    teacher.add_argument("name", help="the name the teacher logs in with")
    teacher.add_argument(
        "--reset-password", action="store_true", help="give an existing teacher a new password"
    )
    from app.lti.admin import add_parser as add_lti_parser

    add_lti_parser(commands)
    from app.sso.admin import add_parser as add_sso_parser

    add_sso_parser(commands)
    return parser.parse_args(argv)


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = get_settings()
    if args.command == "migrate":
        from app.store import migrate_cli

        sys.exit(migrate_cli(settings))
    if args.command == "create-teacher":
        from app.classroom.admin import create_teacher_cli

        sys.exit(create_teacher_cli(settings, args.name, args.reset_password))
    if args.command == "lti":
        from app.lti.admin import lti_cli

        sys.exit(lti_cli(settings, args))
    if args.command == "sso":
        from app.sso.admin import sso_cli

        sys.exit(sso_cli(settings, args))
    if args.command in ("web", "trainer") and not settings.bus_url:
        print(f"{args.command}: set BPP_BUS_URL=redis://… (the bus joining the roles)", flush=True)
        sys.exit(2)
    if args.command == "trainer":
        sys.exit(run_trainers(settings))
    if args.command == "web":
        os.environ["BPP_ROLE"] = "web"  # read by the app's settings (uvicorn builds the app)
        get_settings.cache_clear()
    print(f"Backprop Playground: {url_for(args.host, args.port)}", flush=True)
    if args.host in ("0.0.0.0", "::", ""):
        lan = lan_addresses()
        if lan and not os.environ.get("BPP_PUBLIC_URL"):  # what the dashboard shows students
            os.environ["BPP_PUBLIC_URL"] = url_for(lan[0], args.port).rstrip("/")
            get_settings.cache_clear()
        for address in lan:
            print(
                f"  on your network: {url_for(address, args.port)}  (students: /join)", flush=True
            )
    raise_open_files(settings.max_connections)
    uvicorn.run(
        "app.web.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        log_level="info",
        **uvicorn_options(settings),  # head size, timeouts, connection limit (app/web/serving.py)
    )
    sys.exit(0)


def lan_addresses() -> list[str]:
    """This machine's addresses that others on the LAN can reach (not loopback), best guess
    first: the one the default route leaves from, then the host name's."""
    import socket

    found: list[str] = []
    try:  # no packet is sent: connecting a UDP socket only picks the outgoing address
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    return [a for a in dict.fromkeys(found) if not a.startswith("127.")]


def raise_open_files(connections: int, spare: int = 256) -> None:
    """Raise the soft open-files limit to fit ``connections`` sockets plus ``spare`` (store,
    pipes, static files) when the hard limit allows; say so when it does not."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + spare
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        print(
            f"warning: {soft} open files allowed (ulimit -n); BPP_MAX_CONNECTIONS={connections} "
            f"needs about {wanted}: lower it or raise the limit",
            flush=True,
        )


def run_trainers(settings) -> int:
    """``backprop-playground trainer``: trainer processes on the bus until SIGTERM/SIGINT."""
    from app.seam.processes import TrainerProcesses

    trainers = TrainerProcesses(settings, settings.trainer_count())
    trainers.start()
    print(f"Backprop Playground: {trainers.count} trainer(s) on {settings.bus_url}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: trainers._stop.set())
    try:
        trainers.wait()
    except KeyboardInterrupt:
        pass
    trainers.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    main()
