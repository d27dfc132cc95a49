"""Published journey releases and the shops each journey serves.

Releases are only ever inserted (the database refuses UPDATE and DELETE on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import JourneyRelease, JourneyShop


@dataclass(frozen=True)
class StoredRelease:
    id: str
    journey: str
    version: int
    content: dict[str, Any]
    published_by: str
    published_at: datetime


def _stored(row: JourneyRelease) -> StoredRelease:
    return StoredRelease(
        row.id, row.journey, row.version, row.content, row.published_by, row.published_at
    )


async def insert_release(
    session: AsyncSession,
    *,
    release_id: str,
    journey: str,
    version: int,
    content: dict[str, Any],
    published_by: str,
) -> bool:
    """Store a release; False if one is held already under this id or this journey version
    (the caller tells the two apart with `release_of_version`). The caller commits."""
    result = await session.execute(
        insert(session, JourneyRelease)
        .values(
            id=release_id,
            journey=journey,
            version=version,
            content=content,
            published_by=published_by,
        )
        .on_conflict_do_nothing()
        .returning(JourneyRelease.id)
    )
    return result.scalar_one_or_none() is not None


async def release_by_id(session: AsyncSession, release_id: str) -> StoredRelease | None:
    row = await session.get(JourneyRelease, release_id)
    return _stored(row) if row is not None else None


async def release_of_version(
    session: AsyncSession, journey: str, version: int
) -> StoredRelease | None:
    row = await session.scalar(
        select(JourneyRelease).where(
            JourneyRelease.journey == journey, JourneyRelease.version == version
        )
    )
    return _stored(row) if row is not None else None


async def releases_of(session: AsyncSession, journey: str | None = None) -> list[StoredRelease]:
    """Every release (of one journey), by journey and version."""
    query = select(JourneyRelease).order_by(JourneyRelease.journey, JourneyRelease.version)
    if journey is not None:
        query = query.where(JourneyRelease.journey == journey)
    return [_stored(row) for row in await session.scalars(query)]


async def set_journey_shops(session: AsyncSession, journey: str, shops: list[str]) -> None:
    """Make `journey` serve exactly `shops` (as its journey.yaml lists them). The caller
    checks that no other journey serves one of them, and commits."""
    await session.execute(delete(JourneyShop).where(JourneyShop.journey == journey))
    for shop in shops:
        await session.execute(insert(session, JourneyShop).values(shop=shop, journey=journey))


async def journey_shops(session: AsyncSession) -> dict[str, str]:
    """shop -> the journey that serves it, for every shop with a journey of its own."""
    rows = await session.execute(select(JourneyShop.shop, JourneyShop.journey))
    return dict(rows.all())
