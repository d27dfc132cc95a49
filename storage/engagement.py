"""Engagement events: the first open, click, delivery, bounce... of each kind per message.

One row per (workflow run, message, kind); a repeat is skipped by the unique key, so a
mail client loading the pixel twice or a provider redelivering records nothing new.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.messages import SentMessage
from storage.models import EngagementEvent
from workflows.payloads import EngagementKind


async def record(
    session: AsyncSession,
    message: SentMessage,
    kind: EngagementKind,
    *,
    url: str | None = None,
    machine: bool = False,
) -> bool:
    """Record the engagement; False when this kind was already recorded for the message.

    `machine`: an open the provider says a machine made (Apple Mail Privacy Protection).

    The caller commits.
    """
    values = insert(session, EngagementEvent).values(
        shop=message.shop,
        cart_id=message.cart_id,
        workflow_id=message.workflow_id,
        run_id=message.run_id,
        message_id=message.message_id,
        kind=kind.value,
        url=url,
        machine=machine,
    )
    unique = [
        EngagementEvent.workflow_id,
        EngagementEvent.run_id,
        EngagementEvent.message_id,
        EngagementEvent.kind,
    ]
    if machine:
        statement = values.on_conflict_do_nothing(index_elements=unique)
    else:
        # A person's open after a machine's: the open is the person's, and it is news.
        statement = values.on_conflict_do_update(
            index_elements=unique,
            set_={"machine": False},
            where=EngagementEvent.machine.is_(True),
        )
    return (await session.execute(statement.returning(EngagementEvent.id))).first() is not None


async def forget(session: AsyncSession, message: SentMessage, kind: EngagementKind) -> None:
    """Undo `record`, so that the next report of the engagement counts as the first."""
    await session.execute(
        delete(EngagementEvent).where(
            EngagementEvent.workflow_id == message.workflow_id,
            EngagementEvent.run_id == message.run_id,
            EngagementEvent.message_id == message.message_id,
            EngagementEvent.kind == kind.value,
        )
    )
