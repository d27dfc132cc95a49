"""Engine and session factory for the configured database (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(database_url: str, *, pool_size: int | None = None) -> AsyncEngine:
    """An async engine; for a SQLite file, its folder is created and WAL mode switched on.

    `pool_size` (PostgreSQL): the connections kept open, SQLAlchemy's 5 by default. Beyond
    them up to 10 more are opened while needed and closed on return, each a new PostgreSQL
    backend: a pool smaller than the requests in flight opens and closes one per request.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    pool = {} if pool_size is None else {"pool_size": pool_size}
    return create_async_engine(url, pool_pre_ping=True, **pool)


def printable_url(database_url: str) -> str:
    """The URL with its password hidden, for logs and banners."""
    return make_url(database_url).render_as_string(hide_password=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def autocommit(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose every statement commits on its own, for a use case whose writes are
    each complete by themselves: no BEGIN and no COMMIT, two round trips fewer."""
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


async def ping(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Ask the database for an answer now; raises what the driver raises when it can not.

    The connection goes back to the pool at once, not after the caller's other checks.
    """
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
