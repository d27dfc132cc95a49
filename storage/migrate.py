"""Bring a database to the newest schema: `python -m storage.migrate` or `upgrade_database(url)`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from storage.database import create_engine, printable_url

_Command = Callable[[Config], None]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger(__name__)


def alembic_config(database_url: str) -> Config:
    """An Alembic config that needs no alembic.ini and no working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


async def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Run `alembic upgrade <revision>` on the database, in one transaction."""
    await _run(database_url, lambda config: command.upgrade(config, revision))


async def downgrade_database(database_url: str, revision: str) -> None:
    """Run `alembic downgrade <revision>` (tests and rollbacks)."""
    await _run(database_url, lambda config: command.downgrade(config, revision))


async def _run(database_url: str, alembic_command: _Command) -> None:
    config = alembic_config(database_url)
    engine = create_engine(database_url)

    def in_connection(connection: Connection) -> None:
        config.attributes["connection"] = connection
        alembic_command(config)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(in_connection)
    finally:
        await engine.dispose()


def main() -> None:
    from settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    database_url = Settings().database_url
    log.info("migrating %s", printable_url(database_url))
    asyncio.run(upgrade_database(database_url))
    log.info("database is at the newest schema")


if __name__ == "__main__":
    main()
