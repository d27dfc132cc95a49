"""Engine and session factory for the configured database (SQLite or PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection


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
    engine = create_async_engine(
        url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}, **pool
    )
    _ping_when_idle(engine)
    return engine


# A database that does not answer a new connection (its host gone, not refusing) holds the
# request this long, not psycopg's 130 s; libpq's smallest connect_timeout is 2 s. Once one
# connection has failed, `watch_outages` refuses the next ones at once for a while.
CONNECT_TIMEOUT_SECONDS = 2


# A pooled connection idle this long is pinged before it is used, and replaced if the
# database does not answer (it was restarted, or dropped the connection). One back in the
# pool for less worked a moment ago: pinging it too (SQLAlchemy's pool_pre_ping) costs a
# round trip per checkout, a tenth of the API's CPU per cart event. Should the database go
# away within that moment, the statement fails, the caller answers 503, and SQLAlchemy
# drops every connection the pool held before the failure.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        checked_in = record.info.get("checked_in")  # None: connected just now
        if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            # like pool_pre_ping: the pool connects anew, and drops the connections it holds
            raise InvalidatePoolError(f"pooled connection is gone: {err}") from err


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


class OutageMemory(Protocol):
    """What `watch_outages` tells and asks (intake/outages.py's Outage)."""

    def admit(self) -> None:
        """Return if a connection may be tried now; raise if the caller must fail fast."""

    def failed(self) -> None: ...

    def answered(self) -> None: ...


class FailingFast(OperationalError):
    """No connection tried: the database failed a moment ago. An OperationalError like the
    driver's own, so whoever answers 503 for a database that is down answers it for this."""

    def __init__(self, reason: str) -> None:
        super().__init__("connect", None, ConnectionRefusedError(reason))


def watch_outages(engine: AsyncEngine, outage: OutageMemory) -> Callable[[], None]:
    """Tell `outage` when the database fails and answers, and refuse new connections while
    it fails fast (PostgreSQL; a SQLite file is not a server that goes away). Returns the
    function that stops it.

    A refused or dropped connection fails; a new connection answers. After a failure the
    pool has dropped its connections, so every request asks for a new one: refused at
    once (FailingFast) until the window is over and one of them probes.
    """
    sync_engine = engine.sync_engine
    if sync_engine.dialect.name == "sqlite":
        return lambda: None

    def before_connect(*_args: Any) -> None:
        try:
            outage.admit()
        except Exception as refused:  # the memory's own DependencyDown
            raise FailingFast(str(refused)) from refused

    def connected(*_args: Any) -> None:
        outage.answered()

    def on_error(context: ExceptionContext) -> None:
        connecting = context.connection is None  # the error came from opening a connection
        if context.is_disconnect or (
            connecting
            and isinstance(context.original_exception, sync_engine.dialect.loaded_dbapi.Error)
        ):
            outage.failed()

    listeners: list[tuple[str, Callable[..., Any]]] = [
        ("do_connect", before_connect),
        ("connect", connected),
        ("handle_error", on_error),
    ]
    for name, listener in listeners:
        event.listen(sync_engine, name, listener)

    def stop() -> None:
        for name, listener in listeners:
            event.remove(sync_engine, name, listener)

    return stop
