"""A cart snapshot or an emptied cart, from whichever door it came (API, Shopify).

Each use case stores what it was given, commits, and only then talks to Temporal: what
the workflow hears is already stored, and no connection waits on Temporal meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.service import RPCError

from contract.carts import CartAccepted, CartSnapshot, CartStatus
from intake.mapping import cart_payload
from intake.temporal import TemporalGateway
from observability import metrics
from settings import Settings
from storage import carts
from storage.database import autocommit
from workflows.client import (
    cart_workflow_id,
    is_running,
    signal_if_open,
    start_cart_journey,
    unavailable,
)

# signalled by name, so the intake never imports workflow code
from workflows.names import CART_EMPTIED, UPDATE_CART
from workflows.payloads import CartEmptied
from workflows.search_attributes import customer_key


async def take_cart(
    *,
    cart_id: str,
    snapshot: CartSnapshot,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> CartAccepted:
    """Store the snapshot and start or update the cart's journey (the caller checked input).

    Raises TemporalUnavailable once the snapshot is stored: the caller's retry signals it.
    """
    shop = snapshot.shop
    workflow_id = cart_workflow_id(shop, cart_id)

    def answer(status: CartStatus) -> CartAccepted:
        metrics.cart_taken(status.value)
        return CartAccepted(workflow_id=workflow_id, status=status)

    # One statement on PostgreSQL, so in autocommit. (On SQLite three: each is an upsert
    # that stands on its own, and a retry repeats them.) Consent belongs to the customer,
    # not the cart: newest by the shop's clock wins across all of the customer's carts, so
    # even a stale or bought cart's is stored.
    async with autocommit(sessions) as session:
        taken = await carts.take_snapshot(
            session,
            shop=shop,
            cart_id=cart_id,
            customer_id=snapshot.customer.id,
            consent=snapshot.customer.consent.model_dump(),
            updated_at=snapshot.updated_at,
            total=snapshot.total,
            currency=snapshot.currency,
            snapshot=snapshot.model_dump(mode="json"),
            emptied=snapshot.is_empty,
            cooldown=timedelta(hours=settings.rejoin_cooldown_hours),
        )
    if taken.bought:
        return answer(CartStatus.PURCHASED)  # the consent counts all the same
    if not taken.fresh:
        return answer(CartStatus.STALE)
    # A replay (same updated_at) signals again: the shop may be retrying after our 503,
    # and the workflow ignores a snapshot that is not newer than the one it holds.
    cart = cart_payload(snapshot)
    client = await temporal.client()
    handle = client.get_workflow_handle(workflow_id)
    if cart.is_empty:  # an emptied cart ends a running journey and never starts one
        await signal_if_open(handle, UPDATE_CART, cart)
        return answer(CartStatus.EMPTIED)
    if taken.ended_recently and not await is_running(handle):
        return answer(CartStatus.COOLDOWN)
    try:
        await start_cart_journey(
            client,
            task_queue=settings.task_queue,
            cart_id=cart_id,
            cart=cart,
            customer_key=customer_key(
                settings.secret_key.get_secret_value(), shop=cart.shop, customer_id=cart.customer.id
            ),
        )
    except RPCError as err:
        raise unavailable(err, f"start or signal {workflow_id}") from err
    return answer(CartStatus.ACCEPTED)


async def empty_cart(
    *,
    shop: str,
    cart_id: str,
    sessions: async_sessionmaker[AsyncSession],
    temporal: TemporalGateway,
) -> CartAccepted:
    """Note the cart emptied and end its journey, if one runs, without another message.

    Raises TemporalUnavailable once the emptying is stored.
    """
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await carts.mark_emptied(session, shop=shop, cart_id=cart_id, at=now)
    workflow_id = cart_workflow_id(shop, cart_id)
    client = await temporal.client()
    await signal_if_open(
        client.get_workflow_handle(workflow_id), CART_EMPTIED, CartEmptied(emptied_at=now)
    )
    return CartAccepted(workflow_id=workflow_id, status=CartStatus.EMPTIED)
