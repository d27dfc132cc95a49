"""`INSERT ... ON CONFLICT` for the two databases cartnudge runs on.

Writes that may be repeated (a replayed request, a retried activity) are one statement
that skips or updates on the unique key, never select-then-insert.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


def dialect_of(session: AsyncSession) -> str:
    """ "postgresql" or "sqlite": which of the two the session talks to."""
    return session.get_bind().dialect.name


def insert(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which has `on_conflict_do_nothing` / `on_conflict_do_update`."""
    dialect = dialect_of(session)
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"cartnudge runs on PostgreSQL or SQLite, not {dialect}")
