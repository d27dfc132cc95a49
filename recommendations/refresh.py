"""One shop's recommendations recomputed: its orders read, the method run, its lists
replaced in one transaction. The nightly workflow runs it once per shop, as an activity."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommendations.co_occurrence import DEFAULT_METHOD, Method, learn
from storage import recommendations as stored


@dataclass(frozen=True)
class Refreshed:
    orders: int  # orders learned from
    products: int  # products with a list of their own
    pairs: int
    popular: int


async def refresh_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    shop: str,
    as_of: datetime,
    method: Method = DEFAULT_METHOD,
    progress: Callable[[], None] = lambda: None,
) -> Refreshed:
    """Recompute the shop's lists from its orders before `as_of` and store them.

    The same orders and `as_of` store the same rows, so a retried refresh is harmless.
    `progress` is called between the steps (the activity heartbeats).
    """
    since = as_of - method.window
    async with sessions() as session:
        baskets = await stored.baskets(session, shop=shop, since=since, until=as_of)
    progress()
    # Counting pairs is CPU work: in a thread, so the worker's other activities (sends and
    # their heartbeats) are not held up behind a large shop.
    learned = await asyncio.to_thread(learn, baskets, as_of=as_of, method=method)
    progress()
    async with sessions() as session:
        products = await stored.product_details(session, shop=shop, skus=learned.skus, since=since)
        await stored.replace_recommendations(session, shop=shop, learned=learned, products=products)
        await session.commit()
    return Refreshed(
        orders=learned.orders,
        products=len({pair.sku for pair in learned.pairs}),
        pairs=len(learned.pairs),
        popular=len(learned.popular),
    )


async def shops_to_refresh(
    sessions: async_sessionmaker[AsyncSession], *, as_of: datetime, method: Method = DEFAULT_METHOD
) -> list[str]:
    """Shops with orders in the window, and shops whose lists must now be cleared."""
    async with sessions() as session:
        return await stored.shops_to_refresh(session, since=as_of - method.window)
