"""A shop whose stored secrets this deployment can not decrypt: a clear 503, never a 500."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data_at_rest.cipher import DataCipher
from tests.factories import add_shop
from tests.support.api import cart_body
from tests.support.data_keys import fresh_key


async def test_an_api_key_of_a_shop_whose_secrets_do_not_decrypt_gets_503_with_retry_after(
    anonymous: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_shop(
        session_factory,
        shop="lost_shop",
        key="cn_lost-shop-key",
        cipher=DataCipher([fresh_key("gone")]),
        order_lookup_token="token",
    )

    response = await anonymous.put(
        "/v1/carts/abc",
        json=cart_body(shop="lost_shop"),
        headers={"Authorization": "Bearer cn_lost-shop-key"},
    )

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert "retry the request" in response.json()["detail"]
    assert "token" not in response.text
    assert any(
        "shops 'lost_shop': order_lookup_token can not be decrypted" in r.getMessage()
        for r in caplog.records
    )


async def test_a_shop_written_before_encryption_still_works(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="old_shop", key="cn_old-shop-key")
    async with session_factory() as session:
        await session.execute(
            text("UPDATE shops SET order_lookup_token = 'plain' WHERE shop = 'old_shop'")
        )
        await session.commit()

    response = await anonymous.put(
        "/v1/carts/abc",
        json=cart_body(shop="old_shop"),
        headers={"Authorization": "Bearer cn_old-shop-key"},
    )

    assert response.status_code == 202, response.text
