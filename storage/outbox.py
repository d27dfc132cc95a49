"""The message outbox: the row for a journey step is written before the provider is called.

A retried send finds its row and acts on what it says, so no step is ever delivered twice:

    (none) ─claim─> pending ─begin_delivery─> sending ─delivered──────────────> sent
                     │ ^ ^                       │ │ │                           ^ ^
                     │ │ └───── retry_later ─────┘ │ └─finish─> failed | uncertain │ │
                     │ │  (did not take it; a repeat │            (for good)         │ │
                     │ │   is harmless; the journal  └─cut_off─> uncertain ─────────┘ │
                     │ │   says never handed over)          (cut_off_at)  settle_by_event
                     │ └──── reopen_after_silence (once) ───────┘   (from sending too) ┘
                     └─finish─> skipped | failed  (bought, no consent, capped, render error)

    A row still `sending` when a retry arrives means an attempt died mid-delivery: the
    provider may have the message. Where a repeat is harmless (the provider or receiver
    deduplicates by the key) the row is reopened and sent again. Where the provider reports
    events carrying our key, the row is `cut_off` and waits: any event for it settles it
    `sent` (`settle_by_event`, the webhook routes); silence past a bound reopens it for one
    resend. Elsewhere it becomes `uncertain` for good and is never resent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, func, or_, select, update
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
    UNCERTAIN = "uncertain"  # an attempt died mid-delivery (`cut_off_at`: events awaited)

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
    cut_off_at: datetime | None = None  # an attempt found it cut off mid-send, then
    resent_at: datetime | None = None  # reopened for its one resend after silence
    journal: str | None = None  # the worker journal that knows if the hand-over was written
    sending_at: datetime | None = None  # when it turned `sending`, by that worker's clock

    @property
    def awaiting_events(self) -> bool:
        """Uncertain, waiting for the provider's events (or for silence to reopen it)."""
        return (
            self.state is OutboxState.UNCERTAIN
            and self.cut_off_at is not None
            and self.resent_at is None
        )


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
        journal: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Move pending -> sending; False if another attempt got there first. `journal`:
        the id of the worker journal that will know whether the hand-over was written, `at`
        the time by that worker's clock."""
        return await self._transition(
            key,
            frm=OutboxState.PENDING,
            to=OutboxState.SENDING,
            channel=channel,
            provider=provider,
            recipient=recipient,
            locale=locale,
            subject=subject,
            hand_over_journal=journal,
            sending_at=at,
        )

    async def note(self, key: str, reason: str) -> None:
        """Say why a pending row waits (deferred by quiet hours or a cap)."""
        await self._transition(key, frm=OutboxState.PENDING, to=OutboxState.PENDING, reason=reason)

    async def delivered(self, key: str, *, provider_message_id: str, at: datetime) -> None:
        """The provider took it. From `uncertain` too: a slow attempt's answer came after
        another attempt had found the row cut off."""
        async with self._sessions() as session:
            await session.execute(
                update(Message)
                .where(
                    Message.key == key,
                    Message.status.in_([OutboxState.SENDING, OutboxState.UNCERTAIN]),
                )
                .values(
                    status=OutboxState.SENT, provider_message_id=provider_message_id, sent_at=at
                )
            )
            await session.commit()

    async def retry_later(self, key: str, reason: str) -> None:
        """The provider did not take it, or a repeat is harmless: the next attempt may send."""
        await self._transition(key, frm=OutboxState.SENDING, to=OutboxState.PENDING, reason=reason)

    async def cut_off(self, key: str, *, at: datetime, reason: str) -> bool:
        """Move sending -> uncertain, waiting for the provider's events from `at`; False if
        the row was no longer `sending` (an event settled it meanwhile)."""
        return await self._transition(
            key, frm=OutboxState.SENDING, to=OutboxState.UNCERTAIN, cut_off_at=at, reason=reason
        )

    async def reopen_after_silence(self, key: str, *, at: datetime, reason: str) -> bool:
        """Move a row waiting for events back to pending for its one resend; False if it
        was settled meanwhile (an event came) or was reopened already."""
        async with self._sessions() as session:
            result = await session.execute(
                update(Message)
                .where(
                    Message.key == key,
                    Message.status == OutboxState.UNCERTAIN,
                    Message.cut_off_at.is_not(None),
                    Message.resent_at.is_(None),
                )
                .values(status=OutboxState.PENDING, resent_at=at, reason=reason)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

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
                    select(
                        Message.status,
                        Message.reason,
                        Message.channel,
                        Message.cut_off_at,
                        Message.resent_at,
                        Message.hand_over_journal,
                        Message.sending_at,
                    ).where(Message.key == key)
                )
            ).one()
        return Settled(
            OutboxState(row.status),
            row.reason,
            Channel(row.channel),
            cut_off_at=row.cut_off_at,
            resent_at=row.resent_at,
            journal=row.hand_over_journal,
            sending_at=row.sending_at,
        )

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


# --- the provider's events settle what a cut-off left open -----------------------------

SETTLED_BY_EVENT = "settled by the provider's event"


async def settle_by_event(
    session: AsyncSession, *, key: str, provider_message_id: str | None, at: datetime
) -> bool:
    """An event for the message came from its provider: it has the message. A row still
    `sending`, `uncertain`, or reopened for its resend and not sent yet, becomes `sent`
    (the event's message id kept when it has one). False when there was nothing to settle.
    The caller commits."""
    result = await session.execute(
        update(Message)
        .where(
            Message.key == key,
            or_(
                Message.status.in_([OutboxState.SENDING, OutboxState.UNCERTAIN]),
                and_(Message.status == OutboxState.PENDING, Message.resent_at.is_not(None)),
            ),
        )
        .values(
            status=OutboxState.SENT,
            settled_by_event=True,
            reason=SETTLED_BY_EVENT,
            sent_at=func.coalesce(Message.sent_at, at),
            provider_message_id=func.coalesce(
                provider_message_id[:300] if provider_message_id else None,
                Message.provider_message_id,
            ),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- reading the whole outbox (the chaos run's tally) --------------------------------------


@dataclass(frozen=True)
class CutOffCounts:
    """What became of the sends cut off mid-delivery."""

    cut_off: int  # rows an attempt found cut off mid-send, waiting for the provider's events
    settled_by_event: int  # rows an event settled as sent (while sending or uncertain)
    settled_after_cut_off: int  # of those, rows that had been found cut off first
    resent_after_silence: int  # rows reopened for one resend: their provider stayed silent


async def count_cut_offs(session: AsyncSession) -> CutOffCounts:
    row = (
        await session.execute(
            select(
                func.count().filter(Message.cut_off_at.is_not(None)).label("cut_off"),
                func.count().filter(Message.settled_by_event.is_(True)).label("by_event"),
                func.count()
                .filter(Message.settled_by_event.is_(True), Message.cut_off_at.is_not(None))
                .label("after_cut_off"),
                func.count().filter(Message.resent_at.is_not(None)).label("resent"),
            )
        )
    ).one()
    return CutOffCounts(
        cut_off=row.cut_off,
        settled_by_event=row.by_event,
        settled_after_cut_off=row.after_cut_off,
        resent_after_silence=row.resent,
    )


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
