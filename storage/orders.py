"""Completed orders, however they reached us: the API, a platform webhook, or the shop's
order lookup asked before a send. One order per (shop, order id); a cart with one is bought.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import Order


class NewOrder(TypedDict):
    """An order as a door reports it, before it is stored."""

    shop: str
    order_id: str
    cart_id: str
    total: Decimal
    currency: str
    placed_at: datetime | None


async def insert_order(session: AsyncSession, **order: Unpack[NewOrder]) -> Order | None:
    """Store the order unless (shop, order id) is already held: the new row, else None.

    One statement, so a replay or two deliveries racing never fail. The caller commits.
    """
    created: Order | None = await session.scalar(
        insert(session, Order)
        .values(**order)
        .on_conflict_do_nothing(index_elements=[Order.shop, Order.order_id])
        .returning(Order)
    )
    return created


@dataclass(frozen=True)
class RecordedOrder:
    order: Order  # the stored row: this call's, or the one recorded before
    created: bool  # False for a repeat of an order already held


async def record_order(session: AsyncSession, **order: Unpack[NewOrder]) -> RecordedOrder:
    """Store the order once per (shop, order id); the stored row either way. The caller
    commits. A repeat changes nothing, whatever it says (the first report wins)."""
    created = await insert_order(session, **order)
    if created is not None:
        return RecordedOrder(created, created=True)
    stored = await session.scalar(
        select(Order).where(Order.shop == order["shop"], Order.order_id == order["order_id"])
    )
    assert stored is not None  # the conflict was with this row
    return RecordedOrder(stored, created=False)


async def order_for_cart(session: AsyncSession, *, shop: str, cart_id: str) -> Order | None:
    """The first order the shop reported for the cart, if any."""
    order: Order | None = await session.scalar(
        select(Order)
        .where(Order.shop == shop, Order.cart_id == cart_id)
        .order_by(Order.id)
        .limit(1)
    )
    return order
