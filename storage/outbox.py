"""The message outbox: the row for a journey step is written before the provider is called.

A retried send finds its row and acts on what it says, so no step is ever delivered twice:

    (none) ─claim─> pending ─begin_delivery─> sending ─delivered─> sent
                     │  ^                        │
                     │  └─ retry_later (the      └─finish─> failed | uncertain
                     │     provider did not take it)
                     └─finish─> skipped | failed  (bought, no consent, capped, render error)

    A row still `sending` when a retry arrives means an attempt died mid-delivery: the
    provider may have the message. Where a repeat is harmless (the provider or receiver
    deduplicates by the key) the row is reopened and sent again; elsewhere it becomes
    `uncertain` and is never resent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.inserts import insert
from storage.models import Message
from workflows.payloads import Channel


class OutboxState(StrEnum):
    """A message row's `status`."""

    PENDING = "pending"  # claimed; nothing handed to a provider (may wait: quiet hours, cap)
    SENDING = "sending"  # handed to the provider, its answer not recorded yet
    SENT = "sent"
    SKIPPED = "skipped"  # not sent on purpose: bought, no consent, no address, capped
    FAILED = "failed"  # the provider refused it for good, or it could not be rendered
    UNCERTAIN = "uncertain"  # an attempt died mid-delivery; never resent

    @property
    def live(self) -> bool:
        """An attempt may still change it."""
        return self in (OutboxState.PENDING, OutboxState.SENDING)


# What `finish` may settle a row as: the endings that are not a delivery.
UNDELIVERED = frozenset({OutboxState.SKIPPED, OutboxState.FAILED, OutboxState.UNCERTAIN})


@dataclass(frozen=True)
class Settled:
    """A row as an attempt left it."""

    state: OutboxState
    reason: str | None
    channel: Channel


class Outbox:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def claim(self, key: str, step: Mapping[str, object]) -> OutboxState:
        """Create the step's row (`step`: its Message columns) if new; return its state."""
        async with self._sessions() as session:
            await session.execute(
                insert(session, Message)
                .values(key=key, status=OutboxState.PENDING, **step)
                .on_conflict_do_nothing(index_elements=[Message.key])
            )
            await session.commit()
            status = await session.scalar(select(Message.status).where(Message.key == key))
        assert status is not None
        return OutboxState(status)

    async def begin_delivery(
        self,
        key: str,
        *,
        channel: Channel,
        provider: str,
        recipient: str,
        locale: str | None,
        subject: str | None,
    ) -> bool:
        """Move pending -> sending; False if another attempt got there first."""
        return await self._transition(
            key,
            frm=OutboxState.PENDING,
            to=OutboxState.SENDING,
            channel=channel,
            provider=provider,
            recipient=recipient,
            locale=locale,
            subject=subject,
        )

    async def note(self, key: str, reason: str) -> None:
        """Say why a pending row waits (deferred by quiet hours or a cap)."""
        await self._transition(key, frm=OutboxState.PENDING, to=OutboxState.PENDING, reason=reason)

    async def delivered(self, key: str, *, provider_message_id: str, at: datetime) -> None:
        await self._transition(
            key,
            frm=OutboxState.SENDING,
            to=OutboxState.SENT,
            provider_message_id=provider_message_id,
            sent_at=at,
        )

    async def retry_later(self, key: str, reason: str) -> None:
        """The provider did not take it, or a repeat is harmless: the next attempt may send."""
        await self._transition(key, frm=OutboxState.SENDING, to=OutboxState.PENDING, reason=reason)

    async def finish(self, key: str, state: OutboxState, *, reason: str) -> None:
        """Settle a live row that will not be delivered (skipped, failed, uncertain)."""
        if state not in UNDELIVERED:
            raise ValueError(f"a row is not finished as {state}")
        async with self._sessions() as session:
            await session.execute(
                update(Message)
                .where(
                    Message.key == key,
                    Message.status.in_([OutboxState.PENDING, OutboxState.SENDING]),
                )
                .values(status=state, reason=reason)
            )
            await session.commit()

    async def settled(self, key: str) -> Settled:
        """The row's state, reason and channel, as another attempt left them."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Message.status, Message.reason, Message.channel).where(
                        Message.key == key
                    )
                )
            ).one()
        return Settled(OutboxState(row.status), row.reason, Channel(row.channel))

    async def _transition(
        self, key: str, *, frm: OutboxState, to: OutboxState, **values: object
    ) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(Message)
                .where(Message.key == key, Message.status == frm)
                .values(status=to, **values)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]


# --- reading the whole outbox (the chaos run's tally) --------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    message_id: str
    cart_id: str
    state: OutboxState
    reason: str | None


async def count_by_state(session: AsyncSession) -> dict[OutboxState, int]:
    rows = await session.execute(
        select(Message.status, func.count().label("rows")).group_by(Message.status)
    )
    return {OutboxState(row.status): row.rows for row in rows}


async def all_entries(session: AsyncSession) -> list[OutboxEntry]:
    rows = await session.execute(
        select(Message.message_id, Message.cart_id, Message.status, Message.reason)
    )
    return [
        OutboxEntry(row.message_id, row.cart_id, OutboxState(row.status), row.reason)
        for row in rows
    ]
