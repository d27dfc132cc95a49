"""Frequency-cap slots and the suppression list, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.caps import FrequencyCaps
from storage.suppressions import suppress, suppression_reason

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


async def take(caps: FrequencyCaps, key: str, at: datetime, address: str = "a@x.com") -> Any:
    return await caps.take_slot(
        shop="s", channel="email", address=address, key=key, at=at, window=DAY
    )


async def test_one_message_per_window_per_address(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    caps = FrequencyCaps(session_factory)

    assert await take(caps, "k1", AT) is None
    assert await take(caps, "k2", AT + timedelta(hours=1)) == AT + DAY
    assert await take(caps, "k1", AT) is None  # a retry keeps its own slot
    assert await take(caps, "k3", AT, address="A@X.COM") == AT + DAY  # same address
    assert await take(caps, "k4", AT, address="b@x.com") is None  # someone else
    assert await take(caps, "k2", AT + DAY) is None  # the window has passed


async def test_a_slot_given_back_is_free_again(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    caps = FrequencyCaps(session_factory)
    await take(caps, "k1", AT)

    await caps.give_back(shop="s", channel="email", address="a@x.com", key="k1")

    assert await take(caps, "k2", AT + timedelta(minutes=5)) is None


async def test_the_first_suppression_reason_is_kept(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        first = await suppress(
            session, shop="s", channel="sms", address="+905321234567", reason="bounced",
            source="twilio",
        )  # fmt: skip
        again = await suppress(
            session, shop="s", channel="sms", address="+905321234567", reason="unsubscribed",
            source="twilio-stop",
        )  # fmt: skip
        await session.commit()
        reason = await suppression_reason(session, shop="s", channel="sms", address="+905321234567")
        other_shop = await suppression_reason(
            session, shop="t", channel="sms", address="+905321234567"
        )

    assert (first, again) == (True, False)
    assert (reason, other_shop) == ("bounced", None)
