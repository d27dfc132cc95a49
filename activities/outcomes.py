"""Outcome records: how each cart's journey ended, for funnels and recovered revenue."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from storage import outcomes
from workflows import names
from workflows.payloads import OutcomeRecord


class OutcomeActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name=names.RECORD_OUTCOME)
    async def record_outcome(self, record: OutcomeRecord) -> None:
        """Store the run's outcome once; a retried (local) activity changes nothing."""
        async with self._sessions() as session:
            await outcomes.record_outcome(session, record)
            await session.commit()
