"""What the database holds, for assertions, and the outbox rows tests put there."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Base, Message
from workflows.client import cart_workflow_id


async def rows(sessions: async_sessionmaker[AsyncSession], model: type[Base]) -> list[Any]:
    """Every row of the model's table."""
    async with sessions() as session:
        return list((await session.scalars(select(model))).all())


def as_tuples(rows: list[Any], *fields: str) -> set[tuple[Any, ...]]:
    """The given fields of each row, as a set: what the table holds, in any order."""
    return {tuple(getattr(row, name) for name in fields) for row in rows}


async def add_message(
    sessions: async_sessionmaker[AsyncSession],
    *,
    run_id: str,
    message_id: str = "r1",
    shop: str = "demo_shop",
    cart_id: str = "abc",
    channel: str = "email",
    recipient: str = "ayse@example.com",
    provider: str = "sendgrid",
    provider_message_id: str | None = None,
    key: str | None = None,
) -> Message:
    """An outbox row for a message the workflow run sent; its key defaults to run + id."""
    workflow_id = cart_workflow_id(shop, cart_id)
    row = Message(
        key=key or f"{workflow_id}/{run_id}/{message_id}",
        workflow_id=workflow_id,
        run_id=run_id,
        shop=shop,
        cart_id=cart_id,
        journey="abandoned_cart",
        version=1,
        step=f"steps[{message_id}]",
        message_id=message_id,
        channel=channel,
        template="reminder",
        recipient=recipient,
        locale="tr-TR",
        subject="Sepetiniz" if channel == "email" else None,
        status="sent",
        provider=provider,
        provider_message_id=provider_message_id,
        sent_at=datetime.now(UTC),
    )
    async with sessions() as session:
        session.add(row)
        await session.commit()
    return row
