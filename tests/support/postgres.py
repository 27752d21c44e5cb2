"""A real PostgreSQL for tests, from Debian's ``postgresql`` package.

``start_postgres()`` runs ``initdb`` into a new temporary folder, starts ``postgres`` on a free
loopback port (its unix socket in the same folder), waits until it takes connections and returns
a ``PostgresServer``; ``with start_postgres() as pg: ...`` stops it and removes the folder on the
way out::

    with start_postgres() as pg:
        url = pg.create_database()     # a new, empty database: postgresql+psycopg://...
        pg.drop_database(url)

The binaries come from ``$BPP_PG_BINDIR``, else the newest ``/usr/lib/postgresql/*/bin``, else
``PATH``. PostgreSQL refuses to run as root: under root the folder is given to the ``postgres``
user (which the Debian package creates) and the server runs as that user. Authentication is
``trust`` and durability is off (``fsync=off``): a throwaway server for tests only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.support.server import HOST, Throwaway, free_port

__all__ = ["PostgresServer", "PostgresStartError", "find_postgres_bindir", "start_postgres"]


class PostgresStartError(RuntimeError):
    """initdb failed, or the server did not take connections before the timeout."""


def find_postgres_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None if PostgreSQL is not installed."""
    candidates: list[Path] = []
    if os.environ.get("BPP_PG_BINDIR"):
        candidates.append(Path(os.environ["BPP_PG_BINDIR"]))

    def version(path: Path) -> tuple[int, ...]:
        name = path.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


class PostgresServer(Throwaway):
    """A running throwaway PostgreSQL; see the module docstring. Build with
    ``start_postgres``."""

    def __init__(self, bindir: Path | None = None, port: int | None = None) -> None:
        found = bindir or find_postgres_bindir()
        if found is None:
            raise PostgresStartError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bindir = found
        self.port = port if port is not None else free_port()
        self.base = Path(tempfile.mkdtemp(prefix="bpp-pg-"))
        self.data_dir = self.base / "data"
        self.socket_dir = self.base
        self.log_path = self.base / "postgres.log"
        self.user = "postgres"  # the database superuser
        self._run_as: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresStartError("running as root needs a 'postgres' user") from exc
            os.chown(self.base, self._run_as.pw_uid, self._run_as.pw_gid)
        self._proc: subprocess.Popen[bytes] | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def _popen_kwargs(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        kwargs: dict = {"cwd": self.base, "env": env, "stdin": subprocess.DEVNULL}
        if self._run_as is not None:
            env.update(HOME=str(self.base), USER="postgres", LOGNAME="postgres")
            kwargs.update(user=self._run_as.pw_uid, group=self._run_as.pw_gid, extra_groups=[])
        return kwargs

    def start(self, timeout: float = 30.0) -> PostgresServer:
        """initdb, start the server and wait until it takes connections."""
        initdb = subprocess.run(
            [
                str(self.bindir / "initdb"),
                *("-D", str(self.data_dir), "-U", self.user, "-A", "trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
            ],
            capture_output=True,
            timeout=120,
            **self._popen_kwargs(),
        )
        if initdb.returncode != 0:
            self._remove()
            raise PostgresStartError(
                f"initdb failed ({initdb.returncode}):\n{initdb.stdout.decode()}"
                f"{initdb.stderr.decode()}"
            )
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    *("-D", str(self.data_dir), "-p", str(self.port)),
                    *("-h", HOST, "-k", str(self.socket_dir)),
                    *("-c", "fsync=off", "-c", "synchronous_commit=off"),
                    *("-c", "full_page_writes=off", "-c", "max_connections=50"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() reaches its worker processes
                **self._popen_kwargs(),
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                why = f"exited with {code}" if code is not None else f"not ready in {timeout} s"
                raise PostgresStartError(f"postgres {why}; log:\n{tail}")
            time.sleep(0.05)
        return self

    def ready(self) -> bool:
        """Whether the server takes connections now."""
        import psycopg

        try:
            with psycopg.connect(self.conninfo(), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT), SIGKILL after ``timeout`` s; then remove the folder."""
        if self._proc is not None and self._proc.poll() is None:
            self._signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._proc.wait(timeout=10)
        if self._proc is not None:
            self._signal(signal.SIGKILL)  # any worker left behind by a killed postmaster
        self._remove()

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    # ---- databases -------------------------------------------------------------------------

    def conninfo(self, database: str = "postgres") -> str:
        """A libpq connection string (for psycopg itself)."""
        return f"host={HOST} port={self.port} user={self.user} dbname={database}"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}@{HOST}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (default: a new unique name); its SQLAlchemy URL."""
        import psycopg
        from psycopg import sql

        name = name or f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name_or_url: str) -> None:
        """Drop a database (by name or URL), closing its connections first."""
        import psycopg
        from psycopg import sql

        name = name_or_url.rsplit("/", 1)[-1]
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    # ---- inspection ------------------------------------------------------------------------

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_postgres(bindir: Path | None = None, *, timeout: float = 30.0) -> PostgresServer:
    """Start a throwaway PostgreSQL (also a context manager that stops and removes it); a port
    taken meanwhile is retried once on another."""
    for attempt in range(2):
        server = PostgresServer(bindir)
        try:
            return server.start(timeout=timeout)
        except PostgresStartError as exc:
            if "could not bind" not in str(exc) or attempt == 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
