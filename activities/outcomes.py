"""Outcome records: how each cart's journey ended, for funnels and recovered revenue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from storage.models import JourneyOutcome
from workflows import names
from workflows.types import OutcomeRecord


class OutcomeActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name=names.RECORD_OUTCOME)
    async def record_outcome(self, record: OutcomeRecord) -> None:
        """Store the run's outcome once; a retried activity changes nothing."""
        async with self._sessions() as session:
            exists = await session.scalar(
                select(JourneyOutcome.id).where(
                    JourneyOutcome.workflow_id == record.workflow_id,
                    JourneyOutcome.run_id == record.run_id,
                )
            )
            if exists is not None:
                return
            session.add(JourneyOutcome(**record.model_dump()))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()  # a concurrent attempt recorded it
