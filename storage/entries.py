"""Journey entries and experiment assignments: the carts reports count, and their arms.

Both are written by local activities that may run again (a retry, a worker crash), so
every write skips what is stored already and reads back what is held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import ExperimentAssignment, JourneyEntryRow
from workflows.payloads import JourneyEntry


@dataclass(frozen=True)
class Assigned:
    arm: str
    after_decision: bool  # entered after the experiment was decided: not part of it


async def record_entry(
    session: AsyncSession,
    entry: JourneyEntry,
    *,
    journey: str,
    version: int,
    held_out: bool,
    window: timedelta,
    arms: Mapping[str, Assigned],
) -> bool:
    """Store the entry and its arms unless held already; the held-out flag as stored.

    The caller commits.
    """
    await session.execute(
        insert(session, JourneyEntryRow)
        .values(
            **entry.model_dump(),
            journey=journey,
            version=version,
            held_out=held_out,
            window_ends_at=entry.abandoned_at + window,
        )
        .on_conflict_do_nothing(
            index_elements=[JourneyEntryRow.workflow_id, JourneyEntryRow.run_id]
        )
    )
    if arms:
        await session.execute(
            insert(session, ExperimentAssignment)
            .values(
                [
                    {
                        "workflow_id": entry.workflow_id,
                        "run_id": entry.run_id,
                        "journey": journey,
                        "release_id": entry.release_id,
                        "experiment": experiment,
                        "arm": assigned.arm,
                        "after_decision": assigned.after_decision,
                        "assigned_at": entry.abandoned_at,
                    }
                    for experiment, assigned in arms.items()
                ]
            )
            .on_conflict_do_nothing(
                index_elements=[
                    ExperimentAssignment.workflow_id,
                    ExperimentAssignment.run_id,
                    ExperimentAssignment.experiment,
                ]
            )
        )
    stored = await session.scalar(
        select(JourneyEntryRow.held_out).where(
            JourneyEntryRow.workflow_id == entry.workflow_id,
            JourneyEntryRow.run_id == entry.run_id,
        )
    )
    assert stored is not None
    return stored


async def reach_split(
    session: AsyncSession,
    *,
    workflow_id: str,
    run_id: str,
    experiment: str,
    arm_taken: str,
    at: datetime,
) -> str:
    """Note that the cart reached the split and took `arm_taken`, the first time only; the
    arm held (a retry after a decision keeps the first answer). The caller commits."""
    where = (
        ExperimentAssignment.workflow_id == workflow_id,
        ExperimentAssignment.run_id == run_id,
        ExperimentAssignment.experiment == experiment,
    )
    await session.execute(
        update(ExperimentAssignment)
        .where(*where, ExperimentAssignment.reached_at.is_(None))
        .values(reached_at=at, arm_taken=arm_taken)
    )
    held = await session.scalar(select(ExperimentAssignment.arm_taken).where(*where))
    return held or arm_taken  # no assignment row: a cart that entered before experiments
