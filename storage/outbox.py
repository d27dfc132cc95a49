"""The message outbox: the row for a journey step is written before the provider is called.

A retried send finds its row and acts on what it says, so no step is ever delivered twice:

    (none) ─claim─> pending ─begin_delivery─> sending ─> sent
                      ^                         │  └──> failed
                      └──── transient error ────┘
    A row still `sending` when a retry arrives means an attempt died mid-delivery: the
    provider may have the message. Where a repeat is harmless (the provider or receiver
    deduplicates by the key) the row is reopened and sent again; elsewhere it becomes
    `uncertain` and is never resent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.inserts import insert
from storage.models import Message
from workflows.payloads import MessageStatus

PENDING = "pending"
SENDING = "sending"


class Outbox:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def claim(self, key: str, step: Mapping[str, object]) -> str:
        """Create the step's row (`step`: its Message columns) if new; return its status."""
        async with self._sessions() as session:
            await session.execute(
                insert(session, Message)
                .values(key=key, status=PENDING, **step)
                .on_conflict_do_nothing(index_elements=[Message.key])
            )
            await session.commit()
            status = await self._status(session, key)
        assert status is not None
        return status

    async def begin_delivery(
        self,
        key: str,
        *,
        channel: str,
        provider: str,
        recipient: str,
        locale: str | None,
        subject: str | None,
    ) -> bool:
        """Move pending -> sending; False if another attempt got there first."""
        return await self._transition(
            key,
            frm=PENDING,
            to=SENDING,
            channel=channel,
            provider=provider,
            recipient=recipient,
            locale=locale,
            subject=subject,
        )

    async def note(self, key: str, reason: str) -> None:
        """Say why a pending row waits (deferred by quiet hours or a cap)."""
        await self._transition(key, frm=PENDING, to=PENDING, reason=reason)

    async def delivered(self, key: str, *, provider_message_id: str, at: datetime) -> None:
        await self._transition(
            key,
            frm=SENDING,
            to=MessageStatus.SENT,
            provider_message_id=provider_message_id,
            sent_at=at,
        )

    async def retry_later(self, key: str, reason: str) -> None:
        """The provider did not take it, or a repeat is harmless: the next attempt may send."""
        await self._transition(key, frm=SENDING, to=PENDING, reason=reason)

    async def finish(self, key: str, *, status: str, reason: str | None) -> None:
        """Settle a row that will not be delivered (skipped, failed, uncertain)."""
        async with self._sessions() as session:
            await session.execute(
                update(Message)
                .where(Message.key == key, Message.status.in_([PENDING, SENDING]))
                .values(status=status, reason=reason)
            )
            await session.commit()

    async def settled(self, key: str) -> tuple[str, str | None, str]:
        """The row's status, reason and channel, as another attempt left them."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Message.status, Message.reason, Message.channel).where(
                        Message.key == key
                    )
                )
            ).one()
            return row.status, row.reason, row.channel

    async def _transition(self, key: str, *, frm: str, to: str, **values: object) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(Message)
                .where(Message.key == key, Message.status == frm)
                .values(status=to, **values)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    async def _status(session: AsyncSession, key: str) -> str | None:
        return await session.scalar(select(Message.status).where(Message.key == key))
