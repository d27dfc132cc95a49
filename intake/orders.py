"""A completed order, from whichever door it came (API, Shopify, WooCommerce).

The order, its lines and the discount codes it used are stored in one transaction, once:
a repeat of the order (a replay, a platform's redelivery) changes none of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.orders import OrderAccepted, OrderIn, OrderStatus
from intake.temporal import TemporalGateway
from storage.coupon_redemptions import NewRedemption, add_redemptions
from storage.order_lines import NewLine, add_order_lines
from storage.orders import record_order
from workflows.client import cart_workflow_id, signal_if_open
from workflows.names import ORDER_PLACED
from workflows.payloads import OrderPlaced


async def take_order(
    order: OrderIn, *, sessions: async_sessionmaker[AsyncSession], temporal: TemporalGateway
) -> OrderAccepted:
    """Record a completed order (once per order id) and end its cart's journey.

    Raises TemporalUnavailable once the order is stored: the caller's retry signals it.
    """
    async with sessions.begin() as session:
        recorded = await record_order(
            session,
            shop=order.shop,
            order_id=order.order_id,
            cart_id=order.cart_id,
            total=order.total,
            currency=order.currency,
            placed_at=order.placed_at,
        )
        stored = recorded.order
        if recorded.created:
            await _add_contents(session, order, placed_at=stored.placed_at or stored.received_at)
    # Signalled on a replay too: the shop may be retrying because our signal failed.
    workflow_id = cart_workflow_id(stored.shop, stored.cart_id)
    client = await temporal.client()
    await signal_if_open(
        client.get_workflow_handle(workflow_id),
        ORDER_PLACED,
        OrderPlaced(
            order_id=stored.order_id,
            total=stored.total,
            currency=stored.currency,
            placed_at=stored.placed_at,
        ),
    )
    return OrderAccepted(
        workflow_id=workflow_id,
        status=OrderStatus.ACCEPTED if recorded.created else OrderStatus.DUPLICATE,
    )


async def _add_contents(session: AsyncSession, order: OrderIn, *, placed_at: datetime) -> None:
    """The order's lines and codes, with the order that was just stored."""
    await add_order_lines(
        session,
        shop=order.shop,
        order_id=order.order_id,
        currency=order.currency,
        placed_at=placed_at,
        lines=[
            NewLine(item.sku, item.name, item.quantity, item.unit_price) for item in order.items
        ],
    )
    await add_redemptions(
        session,
        shop=order.shop,
        order_id=order.order_id,
        currency=order.currency,
        redeemed_at=placed_at,
        codes=[NewRedemption(code.code, code.amount) for code in order.discount_codes],
    )
