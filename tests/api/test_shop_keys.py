"""An API key belongs to one shop: it reaches that shop's carts, orders and customers only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from storage.models import Cart, ConsentRecord, Order
from storage.shops import create_api_key, revoke_api_key
from tests.factories import add_shop
from tests.support.api import CART, cart_body, order_body
from tests.support.histories import workflow_exists
from tests.support.tables import rows

# Every request looks its key up, so a revoked key is refused at once (the remembering of
# keys is tested with a clock of its own in test_known_keys.py).
pytestmark = pytest.mark.settings(api_key_cache_seconds=0)


OTHER_SHOP = "other_shop"
OTHER_KEY = "other-shop-key"

FOREIGN = [
    ("PUT", f"/v1/carts/{CART}", cart_body(shop=OTHER_SHOP)),
    ("DELETE", f"/v1/carts/{CART}?shop={OTHER_SHOP}", None),
    ("GET", f"/v1/carts/{CART}/journey?shop={OTHER_SHOP}", None),
    ("POST", "/v1/orders", order_body(shop=OTHER_SHOP)),
    (
        "PUT",
        f"/v1/customers/c-1/consent?shop={OTHER_SHOP}",
        {"consent": {"email": True}, "updated_at": "2026-11-22T10:00:00Z"},
    ),
]


@pytest.mark.parametrize(("method", "url", "body"), FOREIGN)
async def test_a_key_can_not_reach_another_shop(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    method: str,
    url: str,
    body: Any,
) -> None:
    await add_shop(session_factory, shop=OTHER_SHOP, key=OTHER_KEY)

    response = await api.request(method, url, json=body)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("shop: this API key belongs to shop 'demo_shop'")
    for model in (Cart, Order, ConsentRecord):
        assert await rows(session_factory, model) == []
    assert not await workflow_exists(temporal_env.client, f"cart-{OTHER_SHOP}-{CART}")


async def test_each_shop_reaches_its_own_cart_of_the_same_id(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop=OTHER_SHOP, key=OTHER_KEY)

    mine = await api.put(f"/v1/carts/{CART}", json=cart_body())
    theirs = await api.put(
        f"/v1/carts/{CART}",
        json=cart_body(shop=OTHER_SHOP),
        headers={"Authorization": f"Bearer {OTHER_KEY}"},
    )

    assert mine.json()["workflow_id"] == f"cart-demo_shop-{CART}"
    assert theirs.json()["workflow_id"] == f"cart-{OTHER_SHOP}-{CART}"
    assert sorted(cart.shop for cart in await rows(session_factory, Cart)) == [
        "demo_shop",
        OTHER_SHOP,
    ]


async def test_a_created_key_works_and_a_revoked_one_no_longer_does(
    anonymous: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session:
        key = await create_api_key(session, shop="demo_shop", label="backend")
        await session.commit()

    accepted = await anonymous.put(
        f"/v1/carts/{CART}", json=cart_body(), headers={"Authorization": f"Bearer {key}"}
    )
    async with session_factory() as session:
        assert await revoke_api_key(session, shop="demo_shop", prefix=key[:10]) == 1
        await session.commit()
    refused = await anonymous.put(
        f"/v1/carts/{CART}",
        json=cart_body(minutes=1),
        headers={"Authorization": f"Bearer {key}"},
    )

    assert accepted.status_code == 202
    assert refused.status_code == 401
