"""A real PostgreSQL for the test session, migrated with the project's own migrations.

The server is devstack/postgres.py's, the one `make chaos` uses too: the binaries in
`/usr/lib/postgresql/*/bin`, `initdb` into a temporary directory, a free loopback port; here it
is migrated with `upgrade_database` and stopped when the session ends. Without the binaries
the suite falls back to a SQLite file and says so loudly; with CARTNUDGE_REQUIRE_POSTGRES=1
(CI) the fallback is an error.

Fixtures:
    database_url     session  SQLAlchemy URL (`postgresql+psycopg://...`)
    db_engine        function AsyncEngine on it; every table is emptied before the test
    session_factory  function async_sessionmaker on that engine
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from devstack.postgres import PostgresServer, find_postgres_bin_dir
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from storage.models import Base

REQUIRE_POSTGRES = "CARTNUDGE_REQUIRE_POSTGRES"


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


# As migration 0005 creates it.
SQLITE_NO_DELETE_TRIGGER = """
CREATE TRIGGER journey_releases_no_delete BEFORE DELETE ON journey_releases
BEGIN
    SELECT RAISE(ABORT, 'journey releases never change: publish the next version instead');
END
"""


async def _empty_all_tables(engine: AsyncEngine) -> None:
    tables = Base.metadata.sorted_tables
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A connection left idle in a transaction would make TRUNCATE wait forever.
            await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # TRUNCATE does not fire PostgreSQL's row triggers; SQLite's delete does, so its
            # refusal to delete a release (migration 0005) is lifted while emptying.
            await connection.execute(text("DROP TRIGGER IF EXISTS journey_releases_no_delete"))
            for table in reversed(tables):
                await connection.execute(delete(table))
            await connection.execute(text(SQLITE_NO_DELETE_TRIGGER))


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


def checked_out(engine: AsyncEngine) -> int:
    """How many of the engine's pooled connections are in use right now."""
    pool = engine.pool
    assert isinstance(pool, QueuePool), f"{type(pool).__name__} does not count checkouts"
    return pool.checkedout()


def needs_postgres_binaries(what: str) -> None:
    """Skip a test that starts its own PostgreSQL when there are no binaries; fail when
    CARTNUDGE_REQUIRE_POSTGRES=1 (CI), where a skip would prove nothing."""
    if find_postgres_bin_dir() is not None:
        return
    reason = f"{what} needs PostgreSQL binaries in /usr/lib/postgresql/*/bin"
    if os.environ.get(REQUIRE_POSTGRES) == "1":
        pytest.fail(reason)
    pytest.skip(reason)
