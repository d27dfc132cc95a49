"""The suppression list: addresses a shop must not message on a channel any more.

Unsubscribes (link, one-click, STOP), complaints and hard bounces land here; the send
activity checks it before every message.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.addresses import normalize_address
from storage.inserts import insert
from storage.models import Suppression


async def suppress(
    session: AsyncSession, *, shop: str, channel: str, address: str, reason: str, source: str
) -> bool:
    """Put the address on the list (the first reason is kept); True if it was not there yet.

    The caller commits.
    """
    inserted = await session.scalar(
        insert(session, Suppression)
        .values(
            shop=shop,
            channel=channel,
            address=normalize_address(channel, address),
            reason=reason,
            source=source,
        )
        .on_conflict_do_nothing(index_elements=["shop", "channel", "address"])
        .returning(Suppression.id)
    )
    return inserted is not None


async def suppression_reason(
    session: AsyncSession, *, shop: str, channel: str, address: str
) -> str | None:
    """Why the address is suppressed on this channel (e.g. "unsubscribed"), or None."""
    reason: str | None = await session.scalar(
        select(Suppression.reason).where(
            Suppression.shop == shop,
            Suppression.channel == channel,
            Suppression.address == normalize_address(channel, address),
        )
    )
    return reason
