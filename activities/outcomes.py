"""Outcome records: how each cart's journey ended, for funnels and recovered revenue."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from storage.inserts import insert
from storage.models import JourneyOutcome
from workflows import names
from workflows.payloads import OutcomeRecord


class OutcomeActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name=names.RECORD_OUTCOME)
    async def record_outcome(self, record: OutcomeRecord) -> None:
        """Store the run's outcome once; a retried activity changes nothing."""
        async with self._sessions() as session:
            await session.execute(
                insert(session, JourneyOutcome)
                .values(**record.model_dump())
                .on_conflict_do_nothing(
                    index_elements=[JourneyOutcome.workflow_id, JourneyOutcome.run_id]
                )
            )
            await session.commit()
