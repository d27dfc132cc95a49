"""Finding a message we sent (an outbox row) from what a provider or a customer tells us.

The send path writes the rows (storage.outbox); here they are looked up, by our outbox
key, by the provider's message id, or by the number an SMS reply came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.addresses import normalize_address
from storage.models import Message
from workflows.payloads import Channel

# A STOP tells the journeys of at most this many carts that texted the number (the most
# recent ones): more is a number shared by a call centre, not a customer's phone.
MAX_CARTS_PER_NUMBER = 100


@dataclass(frozen=True)
class SentMessage:
    """One message we sent: where its engagement is recorded and which run hears of it."""

    shop: str
    cart_id: str
    workflow_id: str
    run_id: str
    message_id: str
    channel: str | None = None  # None when the source does not say (tracking links)
    address: str | None = None  # the recipient, for the suppression list

    @classmethod
    def of(cls, row: Message) -> SentMessage:
        return cls(
            shop=row.shop,
            cart_id=row.cart_id,
            workflow_id=row.workflow_id,
            run_id=row.run_id,
            message_id=row.message_id,
            channel=row.channel,
            address=row.recipient,
        )


async def find_message(
    session: AsyncSession, *, key: str | None, provider_message_id: str | None
) -> SentMessage | None:
    """The message by our outbox key, else by the provider's message id; None when unknown."""
    if key:
        row = await session.scalar(select(Message).where(Message.key == key))
        if row is not None:
            return SentMessage.of(row)
    if provider_message_id:
        row = await session.scalar(
            select(Message)
            .where(Message.provider_message_id == provider_message_id)
            .order_by(Message.id.desc())
            .limit(1)
        )
        if row is not None:
            return SentMessage.of(row)
    return None


async def shops_that_texted(session: AsyncSession, number: str) -> list[str]:
    """Every shop that sent the number an SMS: a STOP suppresses it for each of them."""
    rows = await session.scalars(
        select(Message.shop)
        .where(
            Message.channel == Channel.SMS.value,
            Message.recipient == normalize_address(Channel.SMS, number),
        )
        .distinct()
        .order_by(Message.shop)
    )
    return list(rows)


async def latest_sms_per_cart(session: AsyncSession, number: str) -> list[SentMessage]:
    """The last SMS each cart's workflow sent to the number, across all shops, newest first
    (at most MAX_CARTS_PER_NUMBER carts)."""
    latest_ids = (
        select(func.max(Message.id))
        .where(
            Message.channel == Channel.SMS.value,
            Message.recipient == normalize_address(Channel.SMS, number),
        )
        .group_by(Message.workflow_id)
        .order_by(func.max(Message.id).desc())
        .limit(MAX_CARTS_PER_NUMBER)
    )
    rows = await session.scalars(
        select(Message).where(Message.id.in_(latest_ids)).order_by(Message.id.desc())
    )
    return [SentMessage.of(row) for row in rows]
