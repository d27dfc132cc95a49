"""Journey outcomes: how each cart's journey (one workflow run) ended, for funnels and
recovered revenue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import JourneyOutcome
from workflows.payloads import OutcomeRecord


async def record_outcome(session: AsyncSession, record: OutcomeRecord) -> None:
    """Store the run's outcome unless it is held already (a retry changes nothing).

    The caller commits.
    """
    await session.execute(
        insert(session, JourneyOutcome)
        .values(**record.model_dump())
        .on_conflict_do_nothing(index_elements=[JourneyOutcome.workflow_id, JourneyOutcome.run_id])
    )


async def count_outcomes(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(JourneyOutcome)) or 0)


async def finished_cart_ids(session: AsyncSession) -> list[str]:
    """The carts whose journey recorded an outcome."""
    return list(await session.scalars(select(JourneyOutcome.cart_id)))
