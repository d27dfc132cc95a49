"""Order check before every send: our own order records for the cart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from storage.models import Order
from workflows import names
from workflows.types import OrderLookup, OrderPlaced


class OrderActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name=names.FIND_ORDER)
    async def find_order(self, lookup: OrderLookup) -> OrderPlaced | None:
        """The cart's completed order, if the shop reported one (even if no signal came)."""
        async with self._sessions() as session:
            order = await session.scalar(
                select(Order)
                .where(Order.shop == lookup.shop, Order.cart_id == lookup.cart_id)
                .order_by(Order.id)
                .limit(1)
            )
        if order is None:
            return None
        return OrderPlaced(
            order_id=order.order_id,
            total=order.total,
            currency=order.currency,
            placed_at=order.placed_at,
        )
