"""Webhook deliveries handled once per delivery id, for platforms that send one (Shopify).

The id is noted only after the event was taken: a delivery that failed half-way (a 503,
a crash) is handled in full when the platform sends it again, and every intake use case
makes such a repeat harmless.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import provider_events

Answer = TypeVar("Answer")


async def once_per_delivery(
    take: Callable[[], Awaitable[Answer]],
    *,
    source: str,
    delivery_id: str | None,
    sessions: async_sessionmaker[AsyncSession],
) -> Answer | None:
    """Run `take` (a use case) unless the delivery was handled before: None for a repeat.

    Without a delivery id every delivery is taken; the use case's own idempotence suffices.
    """
    if delivery_id is not None:
        async with sessions() as session:
            if await provider_events.seen(session, source, delivery_id):
                return None
    answer = await take()
    if delivery_id is not None:
        async with sessions.begin() as session:
            await provider_events.first_time(session, source, delivery_id)
    return answer
