"""Each test starts on an empty, migrated database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Cart, Order


@pytest.mark.parametrize("run", [1, 2])
async def test_every_test_starts_empty(
    session_factory: async_sessionmaker[AsyncSession], run: int
) -> None:
    # Both runs insert the same keys: the second only passes if the first was wiped.
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Cart)) == 0
        session.add(
            Cart(
                shop="demo",
                cart_id="c-1",
                customer_id="cust-1",
                updated_at=datetime(2026, 11, 22, 10, tzinfo=UTC),
                total=Decimal("1299.90"),
                currency="TRY",
                snapshot={"items": [{"name": "Koşu Ayakkabısı"}]},
            )
        )
        session.add(
            Order(
                shop="demo", order_id="o-1", cart_id="c-1", total=Decimal("1299.90"), currency="TRY"
            )
        )
        await session.commit()

    async with session_factory() as session:
        cart = await session.get(Cart, ("demo", "c-1"))
        assert cart is not None
        assert cart.total == Decimal("1299.9000")
        assert cart.received_at is not None  # the server default works
        order_ids = await session.scalars(select(Order.id))
        assert list(order_ids) == [1]  # identities restart with each test
