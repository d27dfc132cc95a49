"""A real PostgreSQL for the test session, migrated with the project's own migrations.

The server comes from the PostgreSQL binaries on the machine (`/usr/lib/postgresql/*/bin`):
`initdb` into a temporary directory, `pg_ctl start` on a free loopback port, one database,
`upgrade_database`, and `pg_ctl stop` when the session ends. Running as root, the server
runs as the `postgres` OS user. Without the binaries the suite falls back to a SQLite file
and says so loudly; with CARTNUDGE_REQUIRE_POSTGRES=1 (CI) the fallback is an error.

Fixtures:
    database_url     session  SQLAlchemy URL (`postgresql+psycopg://...`)
    db_engine        function AsyncEngine on it; every table is emptied before the test
    session_factory  function async_sessionmaker on that engine
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from storage.models import Base

REQUIRE_POSTGRES = "CARTNUDGE_REQUIRE_POSTGRES"
DATABASE_NAME = "cartnudge_test"


@dataclass(frozen=True)
class DatabasePlan:
    """What the session will run on, decided before collection so the header can say it."""

    bin_dir: Path | None
    required: bool

    @property
    def fallback(self) -> bool:
        return self.bin_dir is None

    def describe(self) -> str:
        if self.bin_dir is not None:
            return f"database: PostgreSQL from {self.bin_dir} (started for this session)"
        if self.required:
            return f"database: PostgreSQL REQUIRED ({REQUIRE_POSTGRES}=1) but no binaries found"
        return (
            "database: !!! SQLite FALLBACK: no PostgreSQL binaries in /usr/lib/postgresql/*/bin;"
            " results do not prove PostgreSQL behaviour !!!"
        )


plan_key = pytest.StashKey[DatabasePlan]()
timings_key = pytest.StashKey[dict[str, float]]()  # seconds, for the summary


def find_postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory that has initdb and pg_ctl."""
    candidates = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        bin_dir = initdb.parent
        version = re.match(r"\d+", bin_dir.parent.name)
        if version and (bin_dir / "pg_ctl").exists():
            candidates.append((int(version.group()), bin_dir))
    return max(candidates)[1] if candidates else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One throwaway PostgreSQL cluster in a temporary directory."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
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
        options = (
            "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200"
            f" -c unix_socket_directories={self.socket_dir}"
        )
        for attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    "--pgdata", str(self.data_dir),
                    "--log", str(self.log_file),
                    "--options", f"-p {self.port} {options}",
                    "--wait", "--timeout", "30",
                    "start",
                )  # fmt: skip
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self._run(
            str(self.bin_dir / "createdb"),
            "--host", str(self.socket_dir),
            "--port", str(self.port),
            "--username", "postgres",
            DATABASE_NAME,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

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


def pytest_configure(config: pytest.Config) -> None:
    config.stash[plan_key] = DatabasePlan(
        bin_dir=find_postgres_bin_dir(),
        required=os.environ.get(REQUIRE_POSTGRES) == "1",
    )
    config.stash[timings_key] = {}


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[plan_key].describe()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    plan = config.stash[plan_key]
    timings = config.stash[timings_key]
    if timings:
        terminalreporter.write_line(
            "database: " + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in timings.items())
        )
    if plan.fallback and not plan.required:
        terminalreporter.write_sep(
            "!",
            "database tests ran on SQLITE, not PostgreSQL: install PostgreSQL to test for real",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def _database_server(request: pytest.FixtureRequest) -> Iterator[str]:
    plan = request.config.stash[plan_key]
    if plan.bin_dir is None:
        if plan.required:
            pytest.fail(
                f"{REQUIRE_POSTGRES}=1 but no PostgreSQL binaries in /usr/lib/postgresql/*/bin"
                " (install the 'postgresql' package)",
                pytrace=False,
            )
        with tempfile.TemporaryDirectory(prefix="cartnudge-sqlite-") as directory:
            yield f"sqlite+aiosqlite:///{directory}/cartnudge-test.db"
        return
    server = PostgresServer(plan.bin_dir)
    try:
        started = time.monotonic()
        server.start()
        request.config.stash[timings_key]["PostgreSQL start"] = time.monotonic() - started
        yield server.url
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_url(_database_server: str, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database for the whole session, as a SQLAlchemy URL."""
    started = time.monotonic()
    await upgrade_database(_database_server)
    request.config.stash[timings_key]["migration"] = time.monotonic() - started
    return _database_server


async def _empty_all_tables(engine: AsyncEngine) -> None:
    tables = Base.metadata.sorted_tables
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A connection left idle in a transaction would make TRUNCATE wait forever.
            await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await connection.execute(delete(table))


@pytest_asyncio.fixture(loop_scope="session")
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the session's database, with every table emptied before the test."""
    engine = create_engine(database_url)
    await _empty_all_tables(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(db_engine)
