"""The consent registry's (İYS) answers, cached per shop, channel and address for a while."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import RegistryAnswer


async def cached_answer(
    session: AsyncSession, *, shop: str, channel: str, address: str, since: datetime
) -> bool | None:
    """The registry's answer for the (normalized) address if asked after `since`, else None."""
    row = (
        await session.execute(
            select(RegistryAnswer.allowed, RegistryAnswer.checked_at).where(
                RegistryAnswer.shop == shop,
                RegistryAnswer.channel == channel,
                RegistryAnswer.address == address,
            )
        )
    ).one_or_none()
    # compared here, not in SQL: SQLite compares stored times as text
    if row is None or row.checked_at <= since:
        return None
    return bool(row.allowed)


async def store_answer(
    session: AsyncSession, *, shop: str, channel: str, address: str, allowed: bool, at: datetime
) -> None:
    """Keep the registry's newest answer for the address. The caller commits."""
    statement = insert(session, RegistryAnswer).values(
        shop=shop, channel=channel, address=address, allowed=allowed, checked_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["shop", "channel", "address"],
            set_={"allowed": allowed, "checked_at": at},
        )
    )
