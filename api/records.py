"""What the API reads and writes in the database for the shop's carts and orders.

Every write is one statement that is safe to repeat (an upsert or insert-if-absent), so a
replayed request or two requests racing never fail on a unique key and never change a row
twice. The statements run on PostgreSQL and SQLite alike (`INSERT ... ON CONFLICT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, case, exists, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contract.carts import CartSnapshot
from contract.orders import OrderIn
from storage.consents import record_consent
from storage.inserts import insert
from storage.models import Cart, JourneyOutcome, Order
from storage.orders import insert_order


async def store_snapshot(session: AsyncSession, *, cart_id: str, snapshot: CartSnapshot) -> bool:
    """Keep the snapshot unless the cart already holds a newer one; False when stale.

    The same `updated_at` again (a shop retrying after our 503) rewrites the same row and
    counts as fresh, so the caller signals it once more.
    """
    values = {
        "customer_id": snapshot.customer.id,
        "updated_at": snapshot.updated_at,
        "total": snapshot.total,
        "currency": snapshot.currency,
        "snapshot": snapshot.model_dump(mode="json"),
        "emptied_at": snapshot.updated_at if snapshot.is_empty else None,
    }
    statement = insert(session, Cart).values(shop=snapshot.shop, cart_id=cart_id, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=[Cart.shop, Cart.cart_id],
        set_={
            **{name: statement.excluded[name] for name in values},
            # a replay rewrites the same values; only a newer snapshot counts as received
            "received_at": case(
                (Cart.updated_at < statement.excluded.updated_at, func.now()),
                else_=Cart.received_at,
            ),
        },
        where=Cart.updated_at <= statement.excluded.updated_at,
    ).returning(Cart.cart_id)
    return (await session.execute(upsert)).first() is not None


async def store_consent(session: AsyncSession, snapshot: CartSnapshot) -> None:
    """Keep the customer's consent the snapshot states, unless a newer statement is held.

    Consent belongs to the customer, not the cart: newest by the shop's clock wins across
    all of the customer's carts, so even a stale or bought cart's statement is offered.
    """
    await record_consent(
        session,
        shop=snapshot.shop,
        customer_id=snapshot.customer.id,
        consent=snapshot.customer.consent.model_dump(),
        updated_at=snapshot.updated_at,
    )


async def mark_emptied(session: AsyncSession, *, shop: str, cart_id: str, at: datetime) -> None:
    """Note that the shop emptied the cart (no-op for a cart we never saw)."""
    await session.execute(
        update(Cart)
        .where(Cart.shop == shop, Cart.cart_id == cart_id, Cart.emptied_at.is_(None))
        .values(emptied_at=at)
    )


@dataclass(frozen=True)
class CartHistory:
    bought: bool  # the shop reported an order for the cart: it never starts a journey again
    # a journey that messaged the cart's customer ended within the cooldown: the cooldown
    # spares them a second series too soon (a cart emptied or refused at entry before any
    # message may start again at once)
    ended_recently: bool


async def cart_history(
    session: AsyncSession, *, shop: str, cart_id: str, cooldown: timedelta
) -> CartHistory:
    """What earlier events say about the cart, in one query (it runs with every snapshot)."""
    bought = exists().where(Order.shop == shop, Order.cart_id == cart_id)
    ended: ColumnElement[bool] = false()
    if cooldown > timedelta(0):
        ended = exists().where(
            JourneyOutcome.shop == shop,
            JourneyOutcome.cart_id == cart_id,
            JourneyOutcome.messages_sent > 0,
            JourneyOutcome.ended_at > datetime.now(UTC) - cooldown,
        )
    row = (await session.execute(select(bought, ended))).one()
    return CartHistory(bought=bool(row[0]), ended_recently=bool(row[1]))


async def record_order(session: AsyncSession, order: OrderIn) -> tuple[Order, bool]:
    """The stored order for (shop, order_id), and whether this call created it."""
    created = await insert_order(
        session,
        shop=order.shop,
        order_id=order.order_id,
        cart_id=order.cart_id,
        total=order.total,
        currency=order.currency,
        placed_at=order.placed_at,
    )
    if created is not None:
        return created, True
    stored = await session.scalar(
        select(Order).where(Order.shop == order.shop, Order.order_id == order.order_id)
    )
    assert stored is not None  # the conflict was with this row
    return stored, False
