"""Finding the messages we sent, on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import messages
from storage.messages import latest_sms_per_cart
from tests.support.tables import add_message

NUMBER = "+905321234567"


async def texted(session_factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str]]:
    async with session_factory() as session:
        found = await latest_sms_per_cart(session, f" {NUMBER} ")
    return [(m.cart_id, m.run_id, m.message_id) for m in found]


async def test_the_last_sms_of_each_cart_to_the_number_newest_first(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    sms = {"channel": "sms", "recipient": NUMBER, "provider": "twilio"}
    await add_message(session_factory, cart_id="a", run_id="run-1", message_id="r1", **sms)
    await add_message(session_factory, cart_id="b", run_id="run-1", message_id="r1", **sms)
    await add_message(session_factory, cart_id="a", run_id="run-2", message_id="r1", **sms)
    await add_message(session_factory, cart_id="a", run_id="run-2", message_id="r2", **sms)
    await add_message(session_factory, cart_id="c", run_id="run-1", recipient=NUMBER)  # email
    await add_message(session_factory, cart_id="d", run_id="run-1", **{**sms, "recipient": "+1"})

    assert await texted(session_factory) == [("a", "run-2", "r2"), ("b", "run-1", "r1")]


async def test_a_number_texted_for_very_many_carts_tells_the_latest_only(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messages, "MAX_CARTS_PER_NUMBER", 2)
    for cart in "abc":
        await add_message(
            session_factory, cart_id=cart, run_id="run-1", channel="sms", recipient=NUMBER
        )

    assert [cart for cart, _, _ in await texted(session_factory)] == ["c", "b"]
