"""Taking a cart snapshot or an order in, whichever door it came through.

The generic API and the platform webhooks (Shopify, WooCommerce) hand their events here, so
every door stores first, then signals, and answers the same way.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from api import records
from api.temporal import TemporalGateway, is_running, signal_if_open, unavailable
from contract.carts import CartAccepted, CartSnapshot, CartStatus
from contract.orders import OrderAccepted, OrderIn, OrderStatus
from intake.mapping import cart_payload
from settings import Settings
from workflows.client import cart_workflow_id, start_cart_journey

# signalled by name, so the API never imports workflow code
from workflows.names import ORDER_PLACED, UPDATE_CART
from workflows.payloads import Cart, OrderPlaced


async def take_cart(
    *,
    cart_id: str,
    snapshot: CartSnapshot,
    settings: Settings,
    session: AsyncSession,
    temporal: TemporalGateway,
) -> CartAccepted:
    """Store the snapshot and start or update the cart's journey (the caller checked input)."""
    shop = snapshot.shop
    workflow_id = cart_workflow_id(shop, cart_id)

    def answer(status: CartStatus) -> CartAccepted:
        return CartAccepted(workflow_id=workflow_id, status=status)

    await records.store_consent(session, snapshot)  # in the snapshot's transaction
    cooldown = timedelta(hours=settings.rejoin_cooldown_hours)
    history = await records.cart_history(session, shop=shop, cart_id=cart_id, cooldown=cooldown)
    if history.bought:
        await session.commit()
        return answer(CartStatus.PURCHASED)
    fresh = await records.store_snapshot(session, cart_id=cart_id, snapshot=snapshot)
    await session.commit()  # before signalling: what the workflow hears is already stored
    if not fresh:
        return answer(CartStatus.STALE)
    # A replay (same updated_at) signals again: the shop may be retrying after our 503,
    # and the workflow ignores a snapshot that is not newer than the one it holds.
    cart = cart_payload(snapshot)
    client = await temporal.client()
    handle = client.get_workflow_handle(workflow_id)
    if cart.is_empty:  # an emptied cart ends a running journey and never starts one
        await signal_if_open(handle, UPDATE_CART, cart)
        return answer(CartStatus.EMPTIED)
    if history.ended_recently and not await is_running(handle):
        return answer(CartStatus.COOLDOWN)
    await _signal_with_start(client, settings, cart_id=cart_id, cart=cart)
    return answer(CartStatus.ACCEPTED)


async def _signal_with_start(
    client: Client, settings: Settings, *, cart_id: str, cart: Cart
) -> None:
    try:
        await start_cart_journey(client, task_queue=settings.task_queue, cart_id=cart_id, cart=cart)
    except RPCError as err:
        raise unavailable(err, f"start or signal {cart_workflow_id(cart.shop, cart_id)}") from err


async def take_order(
    order: OrderIn, *, session: AsyncSession, temporal: TemporalGateway
) -> OrderAccepted:
    """Record a completed order (once per order id) and end its cart's journey."""
    stored, created = await records.record_order(session, order)
    await session.commit()
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
        status=OrderStatus.ACCEPTED if created else OrderStatus.DUPLICATE,
    )
