"""Order lines: what each order the shop sent contained, kept for recommendations (which
products are bought together). Written with the order, in its transaction, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import OrderLine


@dataclass(frozen=True)
class NewLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


async def add_order_lines(
    session: AsyncSession,
    *,
    shop: str,
    order_id: str,
    currency: str,
    placed_at: datetime,
    lines: Sequence[NewLine],
) -> None:
    """Store the order's lines, numbered in the order's order; lines held already stay as
    they are (a replay adds nothing). The caller commits."""
    if not lines:
        return
    await session.execute(
        insert(session, OrderLine)
        .values(
            [
                {
                    "shop": shop,
                    "order_id": order_id,
                    "line": number,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "currency": currency,
                    "placed_at": placed_at,
                }
                for number, line in enumerate(lines)
            ]
        )
        .on_conflict_do_nothing(index_elements=[OrderLine.shop, OrderLine.order_id, OrderLine.line])
    )


async def lines_of(session: AsyncSession, *, shop: str, order_id: str) -> list[OrderLine]:
    """The order's lines, in its order."""
    return list(
        await session.scalars(
            select(OrderLine)
            .where(OrderLine.shop == shop, OrderLine.order_id == order_id)
            .order_by(OrderLine.line)
        )
    )
