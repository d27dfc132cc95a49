"""Completed orders, however they reached us: the API, a platform webhook, or the shop's
order lookup asked before a send. One order per (shop, order id); a cart with one is bought.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import Order


async def insert_order(
    session: AsyncSession,
    *,
    shop: str,
    order_id: str,
    cart_id: str,
    total: Decimal,
    currency: str,
    placed_at: datetime | None,
) -> Order | None:
    """Store the order unless (shop, order id) is already held: the new row, else None.

    One statement, so a replay or two deliveries racing never fail. The caller commits.
    """
    created: Order | None = await session.scalar(
        insert(session, Order)
        .values(
            shop=shop,
            order_id=order_id,
            cart_id=cart_id,
            total=total,
            currency=currency,
            placed_at=placed_at,
        )
        .on_conflict_do_nothing(index_elements=[Order.shop, Order.order_id])
        .returning(Order)
    )
    return created


async def order_for_cart(session: AsyncSession, *, shop: str, cart_id: str) -> Order | None:
    """The first order the shop reported for the cart, if any."""
    order: Order | None = await session.scalar(
        select(Order)
        .where(Order.shop == shop, Order.cart_id == cart_id)
        .order_by(Order.id)
        .limit(1)
    )
    return order
