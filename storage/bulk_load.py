"""Bulk loading for benchmarks: rows into a model's table by PostgreSQL COPY, then VACUUM
and ANALYZE, so the planner sees the loaded tables as a long-running database would.

PostgreSQL only: COPY is psycopg's (`cursor.copy`), reached through the session's
connection, and the rows are sent in COPY's text format in the order of `columns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import AsyncConnection, sql
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.models import Base


async def _psycopg(session: AsyncSession) -> AsyncConnection[Any]:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, AsyncConnection):
        raise NotImplementedError(f"COPY needs PostgreSQL through psycopg, not {type(driver)}")
    return driver


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def _copy_statement(model: type[Base], columns: Sequence[str]) -> sql.Composed:
    table = _table(model)
    unknown = [name for name in columns if name not in table.columns]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


async def copy_rows(
    session: AsyncSession,
    model: type[Base],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """COPY `rows` (values in the order of `columns`) into the model's table, in the
    session's transaction; how many went in. The caller commits."""
    statement = _copy_statement(model, columns)
    count = 0
    async with (await _psycopg(session)).cursor() as cursor:
        async with cursor.copy(statement) as copy:
            for row in rows:
                await copy.write_row(row)
                count += 1
    return count


async def vacuum_analyze(engine: AsyncEngine, models: Sequence[type[Base]]) -> None:
    """VACUUM ANALYZE the models' tables: fresh statistics for the planner, and the
    visibility map an index-only scan needs (outside a transaction, as VACUUM must be)."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        raw = await autocommit.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, AsyncConnection)
        for model in models:
            await driver.execute(
                sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(_table(model).name))
            )
