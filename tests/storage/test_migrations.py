"""The migrations build exactly the tables of storage/models.py, and can be undone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine
from storage.migrate import alembic_config, downgrade_database, upgrade_database
from storage.models import Base

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
async def fresh_database_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own, so downgrading can not disturb other tests."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
        return
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _inspect(database_url: str) -> tuple[set[str], list[Any]]:
    engine: AsyncEngine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(
                lambda sync: set(inspect(sync).get_table_names()) - {"alembic_version"}
            )
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    return tables, differences


def test_migrations_have_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, "two migrations claim the same parent: merge them"


async def test_session_database_matches_the_models(database_url: str) -> None:
    tables, differences = await _inspect(database_url)
    assert tables == MODEL_TABLES
    assert differences == [], "models and migrations drifted: write a migration"


async def test_downgrade_removes_everything_and_upgrade_rebuilds_it(
    fresh_database_url: str,
) -> None:
    await upgrade_database(fresh_database_url)
    await upgrade_database(fresh_database_url)  # a second run is a no-op

    await downgrade_database(fresh_database_url, "base")
    tables, _ = await _inspect(fresh_database_url)
    assert tables == set()

    await upgrade_database(fresh_database_url)
    tables, differences = await _inspect(fresh_database_url)
    assert tables == MODEL_TABLES
    assert differences == []
