"""A throw-away PostgreSQL cluster for the tests: a temp folder, 127.0.0.1, a free port.

PostgreSQL refuses to run as root, so under root the cluster belongs to the unprivileged
`postgres` account Debian's package creates (commands run through `runuser`). `make setup`
installs the package (the Makefile's `postgres` target).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

MISSING = (
    "PostgreSQL's server binaries are not installed (no /usr/lib/postgresql/*/bin/initdb): "
    "`make setup` installs them (Debian package postgresql)"
)


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """`start()`, `url(database)`, `new_database()`, `restart()`, `stop()`."""

    def __init__(
        self, bin_dir: Path, durable: bool = False, settings: tuple[str, ...] = ()
    ) -> None:
        """`durable`: PostgreSQL's own defaults (fsync, synchronous commit), as a team's
        server runs; else both off, for speed (the tests' data is thrown away). `settings`:
        more server settings ("name=value")."""
        self.bin, self.durable, self.settings = bin_dir, durable, settings
        self.root = Path(tempfile.mkdtemp(prefix="tunesmith-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)  # noqa: S603

    def start(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user,
                  "--no-sync", "-E", "UTF8")  # fmt: skip
        self._pg_ctl("start")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options += "".join(f" -c {setting}" for setting in self.settings)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", action, *extra)  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def restart(self) -> None:
        """Stop the server (its connections are cut) and start it again on the same port."""
        self._pg_ctl("restart", "-m", "fast")

    def stop_server(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def start_server(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        self.stop_server()
        shutil.rmtree(self.root, ignore_errors=True)
