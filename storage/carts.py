"""The shop's carts as last sent, and what earlier events say about each one.

Every write is one statement that is safe to repeat (an upsert), so a replayed request or
two requests racing never fail on a unique key and never change a row twice. The
statements run on PostgreSQL and SQLite alike (`INSERT ... ON CONFLICT`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, exists, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.inserts import insert
from storage.models import Cart, JourneyOutcome, Order


async def store_snapshot(
    session: AsyncSession,
    *,
    shop: str,
    cart_id: str,
    customer_id: str,
    updated_at: datetime,
    total: Decimal,
    currency: str,
    snapshot: Mapping[str, Any],
    emptied: bool,
) -> bool:
    """Keep the snapshot (as JSON) unless the cart holds a newer one; False when stale.

    The same `updated_at` again (a shop retrying after our 503) rewrites the same row and
    counts as fresh, so the caller signals it once more. The caller commits.
    """
    values = {
        "customer_id": customer_id,
        "updated_at": updated_at,
        "total": total,
        "currency": currency,
        "snapshot": dict(snapshot),
        "emptied_at": updated_at if emptied else None,
    }
    statement = insert(session, Cart).values(shop=shop, cart_id=cart_id, **values)
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


async def mark_emptied(session: AsyncSession, *, shop: str, cart_id: str, at: datetime) -> None:
    """Note that the shop emptied the cart (no-op for a cart we never saw). The caller commits."""
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
