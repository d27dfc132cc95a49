"""An SMS STOP suppresses the number for every shop that ever texted it."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.engagement import take_sms_stop
from intake.temporal import TemporalGateway
from storage import messages
from storage.suppressions import suppression_reason
from tests.support.tables import add_message
from tests.support.temporal import settings_for_tests

NUMBER = "+905321234567"


async def test_a_stop_suppresses_every_shop_that_texted_even_beyond_the_carts_told(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messages, "MAX_CARTS_PER_NUMBER", 1)  # only the latest cart is told
    for shop, cart in (("old_shop", "a"), ("new_shop", "b")):
        await add_message(
            session_factory,
            shop=shop,
            cart_id=cart,
            run_id="run-1",
            channel="sms",
            recipient=NUMBER,
        )

    untold = await take_sms_stop(
        NUMBER,
        source="twilio-stop",
        sessions=session_factory,
        temporal=TemporalGateway(settings_for_tests()),  # not called: nobody is told here
    )

    assert [message.shop for message in untold.messages] == ["new_shop"]
    async with session_factory() as session:
        for shop in ("old_shop", "new_shop"):
            reason = await suppression_reason(session, shop=shop, channel="sms", address=NUMBER)
            assert reason == "unsubscribed", shop
