"""Journey activations: which release (or weighted split of releases) new carts get.

Rows are only ever added; the latest row per (journey, shop) is live and the older ones
are the audit trail. A shop of None is the deployment-wide activation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import dialect_of
from storage.models import JourneyActivation


@dataclass(frozen=True)
class StoredActivation:
    id: int
    journey: str
    shop: str | None
    split: list[dict[str, Any]]
    action: str
    replaces_id: int | None
    restores_id: int | None
    activated_by: str
    activated_at: datetime


def _stored(row: JourneyActivation) -> StoredActivation:
    return StoredActivation(
        row.id,
        row.journey,
        row.shop,
        row.split,
        row.action,
        row.replaces_id,
        row.restores_id,
        row.activated_by,
        row.activated_at,
    )


def _of(journey: str, shop: str | None) -> Any:
    column = JourneyActivation.shop
    shop_matches = column.is_(None) if shop is None else column == shop
    return (JourneyActivation.journey == journey) & shop_matches


async def lock_journey(session: AsyncSession, journey: str, shop: str | None) -> None:
    """Hold the activations of (journey, shop) until the transaction ends, so two changes
    at once come one after the other, each on top of the other's row.

    PostgreSQL: a transaction-scoped advisory lock. SQLite (one local writer) needs none.
    """
    if dialect_of(session) == "postgresql":
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"{journey}\x1f{shop or ''}")))
        )


async def live_activation(
    session: AsyncSession, journey: str, shop: str | None
) -> StoredActivation | None:
    """The activation of exactly this (journey, shop); no fallback to the deployment's."""
    row = await session.scalar(
        select(JourneyActivation)
        .where(_of(journey, shop))
        .order_by(JourneyActivation.id.desc())
        .limit(1)
    )
    return _stored(row) if row is not None else None


async def activation_by_id(session: AsyncSession, activation_id: int) -> StoredActivation | None:
    row = await session.get(JourneyActivation, activation_id)
    return _stored(row) if row is not None else None


async def add_activation(
    session: AsyncSession,
    *,
    journey: str,
    shop: str | None,
    split: list[dict[str, Any]],
    action: str,
    replaces_id: int | None,
    restores_id: int | None,
    activated_by: str,
) -> StoredActivation:
    """Add the new live activation of (journey, shop). The caller commits."""
    row = JourneyActivation(
        journey=journey,
        shop=shop,
        split=split,
        action=action,
        replaces_id=replaces_id,
        restores_id=restores_id,
        activated_by=activated_by,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return _stored(row)


async def activation_history(
    session: AsyncSession, journey: str | None = None
) -> list[StoredActivation]:
    """Every activation (of one journey), oldest first."""
    query = select(JourneyActivation).order_by(JourneyActivation.id)
    if journey is not None:
        query = query.where(JourneyActivation.journey == journey)
    return [_stored(row) for row in await session.scalars(query)]


async def live_activations(session: AsyncSession) -> list[StoredActivation]:
    """The live activation of every (journey, shop) that has one."""
    latest = select(func.max(JourneyActivation.id)).group_by(
        JourneyActivation.journey, JourneyActivation.shop
    )
    rows = await session.scalars(
        select(JourneyActivation)
        .where(JourneyActivation.id.in_(latest))
        .order_by(JourneyActivation.journey, JourneyActivation.id)
    )
    return [_stored(row) for row in rows]
