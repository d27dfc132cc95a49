"""A throwaway PostgreSQL cluster from the binaries on the machine, for tests and `make chaos`.

`initdb` into a temporary directory (no fsync: nothing here must survive), `pg_ctl start` on a
free loopback port, one database; `stop()` shuts it down at once and deletes the directory.
`halt()` and `resume()` stop and start it on its data (the fault drills' database outage).
Running as root, the server runs as the `postgres` OS user. Starts in about a second.

    bin_dir = find_postgres_bin_dir()     # None: PostgreSQL is not installed
    with PostgresServer(bin_dir) as server:
        server.url                        # postgresql+psycopg://postgres@127.0.0.1:PORT/DB
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from devstack.processes import free_port
from devstack.services import Service

DEFAULT_DATABASE = "cartnudge_test"


def find_postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory that has initdb and pg_ctl."""
    candidates = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        bin_dir = initdb.parent
        version = re.match(r"\d+", bin_dir.parent.name)
        if version and (bin_dir / "pg_ctl").exists():
            candidates.append((int(version.group()), bin_dir))
    return max(candidates)[1] if candidates else None


class PostgresServer(Service):
    """One throwaway PostgreSQL cluster in a temporary directory."""

    def __init__(self, bin_dir: Path, *, database: str = DEFAULT_DATABASE) -> None:
        self.bin_dir = bin_dir
        self.database = database
        self.as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="cartnudge-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_file = self.root / "server.log"
        self.port = 0
        if self.as_postgres:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, PostgreSQL must run as the 'postgres' OS user,"
                    " which does not exist"
                ) from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("mkdir", str(self.socket_dir))

    def _run(self, program: str, *args: str) -> None:
        command = [program, *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )

    @property
    def _options(self) -> str:
        return (
            "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200"
            f" -c unix_socket_directories={self.socket_dir}"
        )

    def start(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "--pgdata", str(self.data_dir),
            "--auth", "trust",
            "--username", "postgres",
            "--encoding", "UTF8",
            "--locale", "C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        for attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            try:
                self._start_on_port()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self._run(
            str(self.bin_dir / "createdb"),
            "--host", str(self.socket_dir),
            "--port", str(self.port),
            "--username", "postgres",
            self.database,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def halt(self) -> None:
        """Stop the server as an outage would (fast: sessions cut), keeping its data."""
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "--pgdata", str(self.data_dir),
            "--mode", "fast",
            "--wait",
            "stop",
        )  # fmt: skip

    def resume(self) -> None:
        """Start a halted server again on its data directory and port."""
        self._start_on_port()

    def _start_on_port(self) -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "--pgdata", str(self.data_dir),
            "--log", str(self.log_file),
            "--options", f"-p {self.port} {self._options}",
            "--wait", "--timeout", "30",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(
                str(self.bin_dir / "pg_ctl"),
                "--pgdata", str(self.data_dir),
                "--mode", "immediate",
                "--wait",
                "stop",
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
