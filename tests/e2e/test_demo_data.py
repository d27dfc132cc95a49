"""What `make run` gives the demo shop (README, "The demo"): its codes come from a pool
kept at 50 free codes, and it has an order history to learn "bought together" from,
stored once however often `make run` starts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.demo_data import HISTORY, POOL_SIZE, demo_offers_and_history
from storage import coupons, shops
from storage.models import OrderLine
from tests.factories import add_shop
from tests.support.data_keys import dev_cipher
from tests.support.tables import rows


async def test_the_demo_shop_gets_a_pool_topped_up_and_one_order_history(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_shop(session_factory, shop="demo", key=None)

    first = await demo_offers_and_history(database_url, "demo", cipher=dev_cipher())
    lines = len(await rows(session_factory, OrderLine))
    again = await demo_offers_and_history(database_url, "demo", cipher=dev_cipher())

    orders = sum(count for count, _ in HISTORY)
    assert first == again == f"{POOL_SIZE} free codes in its pool, {orders} past orders"
    assert lines == sum(count * len(items) for count, items in HISTORY)
    assert len(await rows(session_factory, OrderLine)) == lines  # stored once
    async with session_factory() as session:
        summary = await shops.shop_summary(session, "demo")
        free, claimed = await coupons.pool_counts(session, shop="demo")
    assert summary is not None and summary.coupon_source == "pool"
    assert (free, claimed) == (POOL_SIZE, 0)
