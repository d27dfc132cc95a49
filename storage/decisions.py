"""Experiment decisions: a winner (or the control, when stopped) per experiment and
release, recorded once with who decided and the numbers at that moment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import ExperimentDecision


@dataclass(frozen=True)
class StoredDecision:
    journey: str
    release_id: str
    experiment: str
    action: str  # reports.model.DecisionAction
    arm: str
    decided_by: str
    reason: str
    numbers: dict[str, Any]
    decided_at: datetime


def _stored(row: ExperimentDecision) -> StoredDecision:
    return StoredDecision(
        row.journey,
        row.release_id,
        row.experiment,
        row.action,
        row.arm,
        row.decided_by,
        row.reason,
        row.numbers,
        row.decided_at,
    )


async def decision_for(
    session: AsyncSession, *, release_id: str, experiment: str
) -> StoredDecision | None:
    row = await session.scalar(
        select(ExperimentDecision).where(
            ExperimentDecision.release_id == release_id,
            ExperimentDecision.experiment == experiment,
        )
    )
    return _stored(row) if row else None


async def decisions_of(session: AsyncSession, release_ids: Sequence[str]) -> list[StoredDecision]:
    rows = await session.scalars(
        select(ExperimentDecision).where(ExperimentDecision.release_id.in_(release_ids))
    )
    return [_stored(row) for row in rows]


async def record_decision(session: AsyncSession, decision: StoredDecision) -> StoredDecision:
    """Store the decision unless the experiment has one; the decision that holds.

    The caller commits.
    """
    await session.execute(
        insert(session, ExperimentDecision)
        .values(
            journey=decision.journey,
            release_id=decision.release_id,
            experiment=decision.experiment,
            action=decision.action,
            arm=decision.arm,
            decided_by=decision.decided_by,
            reason=decision.reason,
            numbers=decision.numbers,
            decided_at=decision.decided_at,
        )
        .on_conflict_do_nothing(
            index_elements=[ExperimentDecision.release_id, ExperimentDecision.experiment]
        )
    )
    held = await decision_for(
        session, release_id=decision.release_id, experiment=decision.experiment
    )
    assert held is not None
    return held
