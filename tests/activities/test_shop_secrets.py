"""The send activity and a shop whose stored secrets this worker can not decrypt.

Without its order lookup token the send can not know whether the cart was bought, so the
reminder waits: the attempt fails with a typed error (Temporal retries it, without end)
and a log line that tells the operator what to fix; nothing is sent.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from activities.messaging import UNREADABLE_SECRET_RETRY
from data_at_rest.cipher import DataCipher
from storage.models import Message
from storage.outbox import OutboxState
from tests.factories import add_shop
from tests.support.data_keys import fresh_key
from tests.support.messaging import send_activity, send_request
from tests.support.tables import rows

NOBODY_LISTENS = "smtp://127.0.0.1:9"  # a send that got past the shop would fail loudly


async def test_a_send_for_a_shop_whose_secret_does_not_decrypt_waits_and_says_why(
    session_factory: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    await add_shop(
        session_factory,
        shop="demo_shop",
        key=None,
        cipher=DataCipher([fresh_key("gone")]),  # not this worker's key
        order_lookup_url="https://shop.example/orders",
        order_lookup_token="lookup-token",
    )
    caplog.set_level(logging.ERROR)

    with pytest.raises(ApplicationError) as raised:
        await send_activity(session_factory, smtp_url=NOBODY_LISTENS).send(send_request())

    assert raised.value.type == "ShopSecretUnreadable"
    assert not raised.value.non_retryable
    assert raised.value.next_retry_delay == UNREADABLE_SECRET_RETRY
    assert "shops 'demo_shop': order_lookup_token" in str(raised.value)
    assert "lookup-token" not in str(raised.value)
    assert any("CARTNUDGE_DATA_AT_REST_KEYS" in r.getMessage() for r in caplog.records)
    [message] = await rows(session_factory, Message)
    assert message.status == OutboxState.PENDING  # held, not failed: a later attempt sends


async def test_the_same_send_goes_ahead_with_the_worker_given_the_key(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    key = fresh_key("k1")
    await add_shop(
        session_factory, shop="demo_shop", key=None, cipher=DataCipher([key]), catalog_token="c"
    )

    activities = send_activity(session_factory, smtp_url=NOBODY_LISTENS, cipher=DataCipher([key]))
    with pytest.raises(ApplicationError) as raised:  # past the shop: the SMTP server is down
        await activities.send(send_request())

    assert raised.value.type != "ShopSecretUnreadable"
