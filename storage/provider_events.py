"""Provider webhook events already handled, so a redelivered event changes nothing.

Providers deliver at least once: SendGrid and Postmark retry until they get a 2xx, and
may send an event again even after one.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import ProviderEvent

_MAX_ID = 300  # ProviderEvent.event_id


def _stored_id(event_id: str) -> str:
    # A composed id that does not fit the column is kept as its digest: still one per event.
    if len(event_id) <= _MAX_ID:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()


async def first_time(session: AsyncSession, provider: str, event_id: str) -> bool:
    """Note the event as handled; False when it already was. The caller commits."""
    result = await session.execute(
        insert(session, ProviderEvent)
        .values(provider=provider, event_id=_stored_id(event_id))
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProviderEvent.id)
    )
    return result.first() is not None


async def seen(session: AsyncSession, provider: str, event_id: str) -> bool:
    """Whether the event was noted as handled."""
    found = await session.scalar(
        select(ProviderEvent.id).where(
            ProviderEvent.provider == provider, ProviderEvent.event_id == _stored_id(event_id)
        )
    )
    return found is not None


async def forget(session: AsyncSession, provider: str, event_id: str) -> None:
    """Undo `first_time`, so the provider's next delivery of the event is handled again."""
    await session.execute(
        delete(ProviderEvent).where(
            ProviderEvent.provider == provider, ProviderEvent.event_id == _stored_id(event_id)
        )
    )
