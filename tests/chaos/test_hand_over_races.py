"""The worker's journal under races: two attempts on one row, a database write that fails.

Each case is one a reviewer reproduced against the first version of the journal, where it
sent a second email or left a sent one `pending`. A fake two-phase sender (written bodies
counted) stands for SMTP; the outbox is the real one on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import sending.delivery as delivery_module
from channels.errors import TransientChannelError
from sending.delivery import NO_MARK_TRUSTED_AFTER, CutOff, Delivery, Provider
from sending.hand_over_journal import HandOverJournal
from storage.models import Message
from storage.outbox import Outbox, OutboxState
from tests.support.tables import add_message
from workflows.payloads import Channel, MessageStatus

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class Written:
    bodies: list[str] = field(default_factory=list)


class _Prepared:
    def __init__(self, written: Written) -> None:
        self._written = written

    def deliver(self) -> Awaitable[str]:
        self._written.bodies.append("the email")

        async def answer() -> str:
            return "<id@cartnudge> 250 ok"

        return answer()

    async def close(self) -> None:
        return None


@dataclass
class TwoPhaseFake:
    written: Written = field(default_factory=Written)
    repeat_is_harmless: bool = False
    reports_events: bool = False

    async def prepare(self, message: object) -> _Prepared:
        return _Prepared(self.written)

    async def send(self, message: object) -> str:
        raise AssertionError("a two-phase sender is never sent in one phase")


GO: Any = SimpleNamespace(channel=Channel.EMAIL, address="ayse@example.com")
COMPOSED: Any = SimpleNamespace(message=object(), locale="tr", subject="Sepetiniz")


async def _status(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session:
        status = await session.scalar(select(Message.status))
    assert status is not None
    return status


async def _row(sessions: async_sessionmaker[AsyncSession], **values: object) -> Message:
    row = await add_message(sessions, run_id="run-1", provider="smtp")
    async with sessions() as session:
        await session.execute(update(Message).values(**values))
        await session.commit()
    return row


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def test_a_mark_outlives_a_failed_outbox_write_so_the_email_is_never_sent_twice(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    journal = HandOverJournal(tmp_path / "journal")
    row = await _row(session_factory, status="sending", hand_over_journal=journal.id)
    journal.handed(row.key)  # the dead attempt may have written the final "."

    class DatabaseGoneOnce(Outbox):
        gone = True

        async def finish(self, key: str, state: OutboxState, *, reason: str) -> None:
            if self.gone:
                self.gone = False
                raise OSError("the database went away")
            await super().finish(key, state, reason=reason)

    sender = TwoPhaseFake()
    delivery = Delivery(
        DatabaseGoneOnce(session_factory),
        {Channel.EMAIL: Provider("smtp", sender)},
        journal=journal,
    )
    with pytest.raises(OSError):
        await delivery.resume_interrupted(row.key)

    # The next attempt still reads the mark: the server may have it, so it is not resent.
    assert await delivery.resume_interrupted(row.key) is OutboxState.UNCERTAIN
    assert await _status(session_factory) == "uncertain"
    assert sender.written.bodies == []
    assert not journal.was_handed(row.key)  # forgotten once the row said so


async def test_no_mark_is_trusted_until_the_attempt_that_turned_the_row_can_no_longer_write(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    journal = HandOverJournal(tmp_path / "journal")
    clock = _Clock()
    row = await _row(session_factory, status="sending", hand_over_journal=journal.id, sending_at=T0)
    delivery = Delivery(
        Outbox(session_factory),
        {Channel.EMAIL: Provider("smtp", TwoPhaseFake())},
        journal=journal,
        clock=clock,
    )

    clock.now = T0 + NO_MARK_TRUSTED_AFTER - timedelta(seconds=1)
    with pytest.raises(CutOff):  # its attempt may still be about to mark and write it
        await delivery.resume_interrupted(row.key)
    assert await _status(session_factory) == "sending"

    clock.now = T0 + NO_MARK_TRUSTED_AFTER + timedelta(seconds=1)
    assert await delivery.resume_interrupted(row.key) is OutboxState.PENDING


async def test_an_attempt_too_late_to_hand_over_leaves_the_row_to_the_next_one(
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A (slow) turned the row `sending`; B, Temporal's retry on the same worker, looks at it
    meanwhile; then A resumes past its hand-over window. One email, and the row says sent."""
    journal = HandOverJournal(tmp_path / "journal")
    row = await _row(session_factory, status="pending")
    sender = TwoPhaseFake()
    providers = {Channel.EMAIL: Provider("smtp", sender)}
    clock = _Clock()
    monotonic = [0.0]
    monkeypatch.setattr(delivery_module, "time", SimpleNamespace(monotonic=lambda: monotonic[0]))
    b = Delivery(Outbox(session_factory), providers, journal=journal, clock=clock)
    b_saw: list[object] = []

    class SlowToResume(Outbox):
        async def begin_delivery(self, key: str, **values: Any) -> bool:
            began = await super().begin_delivery(key, **values)
            try:
                await b.resume_interrupted(key)  # B arrives while A is between the two
            except CutOff as waiting:
                b_saw.append(waiting)
            monotonic[0] = 6.0  # and A comes back after its window
            return began

    a = Delivery(SlowToResume(session_factory), providers, journal=journal, clock=clock)
    with pytest.raises(TransientChannelError, match="not written"):
        await a.deliver(row.key, GO, COMPOSED)

    assert len(b_saw) == 1 and sender.written.bodies == []
    assert await _status(session_factory) == "sending"  # A left it for the next attempt

    clock.now = T0 + NO_MARK_TRUSTED_AFTER + timedelta(seconds=1)
    assert await b.resume_interrupted(row.key) is OutboxState.PENDING
    result = await b.deliver(row.key, GO, COMPOSED)

    assert result is not None and result.status is MessageStatus.SENT
    assert sender.written.bodies == ["the email"]
    assert await _status(session_factory) == "sent"
