"""Consent per customer and channel, as the shop last sent it.

Every cart snapshot (and the consent endpoint) carries the customer's consent; the newest
by the shop's clock wins, whichever cart it came with. The send activity reads it at send
time, so consent withdrawn on another cart stops this cart's messages too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import ConsentRecord
from workflows.payloads import Channel

# The channels a customer consents to; webhooks go to the shop's own systems.
CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


async def record_consent(
    session: AsyncSession,
    *,
    shop: str,
    customer_id: str,
    consent: Mapping[str, bool],
    updated_at: datetime,
) -> None:
    """Store the consent unless a newer statement is already held. The caller commits.

    One statement for every channel: it runs with every cart snapshot.
    """
    statement = insert(session, ConsentRecord).values(
        [
            {
                "shop": shop,
                "customer_id": customer_id,
                "channel": channel.value,
                "granted": consent.get(channel, False),
                "updated_at": updated_at,
            }
            for channel in CHANNELS
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["shop", "customer_id", "channel"],
            set_={
                "granted": statement.excluded.granted,
                "updated_at": statement.excluded.updated_at,
            },
            where=ConsentRecord.updated_at < statement.excluded.updated_at,
        )
    )


async def current_consent(
    session: AsyncSession, *, shop: str, customer_id: str, channel: str
) -> bool | None:
    """The customer's consent on the channel as last stated; None if never stated."""
    granted: bool | None = await session.scalar(
        select(ConsentRecord.granted).where(
            ConsentRecord.shop == shop,
            ConsentRecord.customer_id == customer_id,
            ConsentRecord.channel == channel,
        )
    )
    return granted
