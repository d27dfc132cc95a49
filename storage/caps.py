"""Frequency caps: at most one message per channel to an address per window, across all
of the customer's carts and journeys.

A message takes the address's slot with one conditional upsert, so two carts sending at
the same moment can not both get it. The slot is held by the outbox key, so a retried
send keeps its own slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.addresses import normalize_address
from storage.inserts import insert
from storage.models import ContactCap


class FrequencyCaps:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def take_slot(
        self, *, shop: str, channel: str, address: str, key: str, at: datetime, window: timedelta
    ) -> datetime | None:
        """Take the slot for the message `key` at `at`; None if taken, else when it frees."""
        if window <= timedelta(0):
            return None
        address = normalize_address(channel, address)
        async with self._sessions() as session:
            statement = insert(session, ContactCap).values(
                shop=shop, channel=channel, address=address, last_key=key, last_sent_at=at
            )
            holder = await session.scalar(
                statement.on_conflict_do_update(
                    index_elements=["shop", "channel", "address"],
                    set_={"last_key": key, "last_sent_at": at},
                    where=or_(ContactCap.last_sent_at <= at - window, ContactCap.last_key == key),
                ).returning(ContactCap.last_key)
            )
            await session.commit()
            if holder == key:  # inserted, or updated because the window had passed
                return None
            last: datetime | None = await session.scalar(
                select(ContactCap.last_sent_at).where(
                    ContactCap.shop == shop,
                    ContactCap.channel == channel,
                    ContactCap.address == address,
                )
            )
        # the slot was freed between the two statements: free now
        return at if last is None else last + window

    async def give_back(self, *, shop: str, channel: str, address: str, key: str) -> None:
        """A message that was never delivered frees the slot it took."""
        async with self._sessions() as session:
            await session.execute(
                delete(ContactCap).where(
                    ContactCap.shop == shop,
                    ContactCap.channel == channel,
                    ContactCap.address == normalize_address(channel, address),
                    ContactCap.last_key == key,
                )
            )
            await session.commit()
