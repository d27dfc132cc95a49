"""Order lines as order intake stores them, and a seeded order set whose recommendations
are known by construction (worked out by hand below).

THE SEEDED SET, 200 orders in the 180-day window of `as_of` (+ 5 older ones):

    orders        products                   placed
    o001-o060     shoes, socks               45 days ago   (o001-o020 also a water bottle;
                                                            o001 has socks twice, qty 3)
    o061-o090     shoes, tights              10 days ago   (o061-o070 also a water bottle)
    o091-o120     shoes                      45 days ago
    o121-o170     water bottle               10 days ago
    o171-o198     socks                      45 days ago
    o199-o200     tights, cap                10 days ago
    a001-a005     shoes, gloves              200 days ago  (outside the window: ignored)

N = 200 orders; in how many orders each product is: shoes 120, socks 88 (60 + 28),
tights 32 (30 + 2), bottle 80 (20 + 10 + 50), cap 2.

lift(A, B) = N * n(A,B) / (n(A) * n(B)):
    shoes & tights   30 together   200*30 / (120*32) = 6000/3840  = 1.5625
    shoes & socks    60 together   200*60 / (120*88) = 12000/10560 = 1.13636... -> 1.1364
    shoes & bottle   30 together   200*30 / (120*80) = 0.625    below 1: not kept
    socks & bottle   20 together   200*20 / (88*80)  = 0.568... below 1: not kept
    tights & bottle  10 together   200*10 / (32*80)  = 0.78125  below 1: not kept
    tights & cap      2 together   lift 6.25, but fewer than 3 orders: not kept

So shoes -> [tights 1.5625, socks 1.1364] (lift beats support: socks are in twice as many
of the orders with shoes, but tights are more particular to them); socks -> [shoes];
tights -> [shoes]; bottle and cap have no pair.

Popular over the last 30 days (82 orders: o061-o090, o121-o170, o199-o200): bottle 60
(10 + 50), tights 32, shoes 30, cap 2.

Shoes cost 100.00 (named "Trail shoes") in the old orders, 120.00 ("Trail shoes 2") in
the recent ones: a product is shown as its most recent order line has it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import OrderLine, PopularProduct, ProductPair, RecommendedProduct

SHOP = "demo_shop"
PRICES = {
    "shoes": Decimal("100.00"),
    "socks": Decimal("9.90"),
    "tights": Decimal("14.50"),
    "bottle": Decimal("19.00"),
    "cap": Decimal("12.00"),
    "gloves": Decimal("25.00"),
}


@dataclass(frozen=True)
class SeedOrder:
    order_id: str
    placed_at: datetime
    skus: Sequence[str]  # one line each, in this order
    quantity: int = 1
    prices: dict[str, Decimal] = field(default_factory=dict)  # overrides PRICES
    names: dict[str, str] = field(default_factory=dict)  # overrides the sku as name


def order_line_rows(order: SeedOrder, *, shop: str = SHOP) -> list[OrderLine]:
    return [
        OrderLine(
            shop=shop,
            order_id=order.order_id,
            line=line,
            sku=sku,
            name=order.names.get(sku, sku.title()),
            quantity=order.quantity,
            unit_price=order.prices.get(sku, PRICES.get(sku, Decimal("10.00"))),
            currency="TRY",
            placed_at=order.placed_at,
        )
        for line, sku in enumerate(order.skus)
    ]


async def add_orders(
    sessions: async_sessionmaker[AsyncSession], orders: Iterable[SeedOrder], *, shop: str = SHOP
) -> None:
    """Store the orders' lines, as order intake would have."""
    async with sessions() as session:
        for order in orders:
            session.add_all(order_line_rows(order, shop=shop))
        await session.commit()


def seeded_orders(as_of: datetime) -> list[SeedOrder]:
    """The order set of the module docstring, placed relative to `as_of`."""
    old, recent, ancient = (as_of - timedelta(days=days) for days in (45, 10, 200))

    def order(n: int, placed: datetime, *skus: str, quantity: int = 1) -> SeedOrder:
        shoes = ("Trail shoes 2", Decimal("120.00")) if placed == recent else ("Trail shoes", None)
        return SeedOrder(
            f"o{n:03}",
            placed,
            skus,
            quantity=quantity,
            names={"shoes": shoes[0]},
            prices={"shoes": shoes[1]} if shoes[1] else {},
        )

    def bottle(up_to: int, n: int) -> tuple[str, ...]:
        return ("bottle",) if n <= up_to else ()

    return [
        order(1, old, "shoes", "socks", "bottle", "socks", quantity=3),
        *(order(n, old, "shoes", "socks", *bottle(20, n)) for n in range(2, 61)),
        *(order(n, recent, "shoes", "tights", *bottle(70, n)) for n in range(61, 91)),
        *(order(n, old, "shoes") for n in range(91, 121)),
        *(order(n, recent, "bottle") for n in range(121, 171)),
        *(order(n, old, "socks") for n in range(171, 199)),
        *(order(n, recent, "tights", "cap") for n in range(199, 201)),
        *(SeedOrder(f"a{n:03}", ancient, ("shoes", "gloves")) for n in range(1, 6)),
    ]


async def stored_recommendations(
    sessions: async_sessionmaker[AsyncSession], shop: str = SHOP
) -> dict[str, list[tuple[Any, ...]]]:
    """The shop's three tables as sorted tuples: what a refresh left behind."""
    async with sessions() as session:
        pairs = await session.execute(
            select(
                ProductPair.sku,
                ProductPair.rank,
                ProductPair.recommended_sku,
                ProductPair.lift,
                ProductPair.orders_together,
            )
            .where(ProductPair.shop == shop)
            .order_by(ProductPair.sku, ProductPair.rank)
        )
        popular = await session.execute(
            select(PopularProduct.rank, PopularProduct.sku, PopularProduct.orders)
            .where(PopularProduct.shop == shop)
            .order_by(PopularProduct.rank)
        )
        products = await session.execute(
            select(
                RecommendedProduct.sku,
                RecommendedProduct.name,
                RecommendedProduct.price,
                RecommendedProduct.currency,
                RecommendedProduct.image_url,
                RecommendedProduct.url,
            )
            .where(RecommendedProduct.shop == shop)
            .order_by(RecommendedProduct.sku)
        )
        return {
            "pairs": [tuple(row) for row in pairs],
            "popular": [tuple(row) for row in popular],
            "products": [tuple(row) for row in products],
        }
