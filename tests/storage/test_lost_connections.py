"""A pooled connection the database dropped (a restart, an idle timeout) is replaced.

The server ends the backend of a pooled connection here, as a restart would end them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

import storage.database
from storage.database import create_engine


@pytest_asyncio.fixture(loop_scope="session")
async def engine(db_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("ends a PostgreSQL backend")
    engine = create_engine(db_engine.url.render_as_string(hide_password=False), pool_size=1)
    yield engine
    await engine.dispose()


async def backend_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        pid: int = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid  # the connection is back in the pool


async def end_backend(db_engine: AsyncEngine, pid: int) -> None:
    """End the backend, and wait until it is gone (the server ends it asynchronously)."""
    async with db_engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})


async def test_a_connection_idle_in_the_pool_is_pinged_and_replaced(
    engine: AsyncEngine, db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_of(engine)
    await end_backend(db_engine, first)
    monkeypatch.setattr(storage.database, "PING_AFTER_IDLE_SECONDS", 0.0)  # idle long enough

    assert await backend_of(engine) != first  # no error: a new connection took its place


async def test_a_connection_used_a_moment_ago_fails_once_then_the_pool_is_renewed(
    engine: AsyncEngine, db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_of(engine)
    await end_backend(db_engine, first)
    monkeypatch.setattr(storage.database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # not pinged

    with pytest.raises(OperationalError):  # the API answers it with 503 + Retry-After
        await backend_of(engine)

    assert await backend_of(engine) != first
