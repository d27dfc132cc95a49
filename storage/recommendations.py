"""Recommendations: the order lines they learn from, and the lists the nightly refresh keeps.

baskets                 the distinct products of each order of a shop in a window
shops_to_refresh        shops with orders in the window, or lists to clear
product_details         what to show of products: name and price from the latest order
                        line, image and URL from the latest cart snapshot that had them
replace_recommendations a shop's lists replaced (delete and insert; the caller commits,
                        so readers see the old lists or the new, never half of each)
stored_lists            what a send reads for a cart, in one statement (one snapshot)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, String, cast, delete, func, insert, literal, null, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from recommendations.co_occurrence import Basket, Learned, Pair, Popular
from storage.inserts import dialect_of
from storage.models import (
    LIFT,
    Cart,
    OrderLine,
    PopularProduct,
    ProductPair,
    RecommendedProduct,
)

CART_BATCH = 500  # snapshots read at a time while looking for images


@dataclass(frozen=True)
class ProductDetails:
    """What a message shows of a recommended product."""

    sku: str
    name: str
    price: Decimal
    currency: str
    image_url: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class StoredLists:
    """A shop's lists as one statement read them: pairs of the asked skus, then popular."""

    pairs: list[Pair]
    popular: list[Popular]
    products: dict[str, ProductDetails]  # every sku the two lists name


async def baskets(
    session: AsyncSession, *, shop: str, since: datetime, until: datetime
) -> list[Basket]:
    """The distinct products of each of the shop's orders placed in [since, until]."""
    rows = await session.execute(
        select(OrderLine.order_id, OrderLine.sku, func.max(OrderLine.placed_at))
        .where(OrderLine.shop == shop, OrderLine.placed_at.between(since, until))
        .group_by(OrderLine.order_id, OrderLine.sku)
        .order_by(OrderLine.order_id, OrderLine.sku)
    )
    skus: dict[str, set[str]] = {}
    placed: dict[str, datetime] = {}
    for order_id, sku, placed_at in rows:
        skus.setdefault(order_id, set()).add(sku)
        placed[order_id] = max(placed.get(order_id, placed_at), placed_at)
    return [Basket(order, placed[order], frozenset(items)) for order, items in skus.items()]


async def shops_to_refresh(session: AsyncSession, *, since: datetime) -> list[str]:
    """Shops with orders since then, and shops holding lists (whose orders may have aged
    out: their lists are cleared), by id."""
    with_orders = select(OrderLine.shop).where(OrderLine.placed_at >= since)
    with_lists = select(RecommendedProduct.shop)
    found = await session.scalars(union(with_orders, with_lists).order_by("shop"))
    return list(found)


async def product_details(
    session: AsyncSession, *, shop: str, skus: Collection[str], since: datetime
) -> dict[str, ProductDetails]:
    """Name and price of each product from its most recent order line since then (latest
    placed, then order id and line, so ties are settled the same way every night), image
    and URL from the most recent of the shop's cart snapshots since then that had them."""
    wanted = set(skus)
    if not wanted:
        return {}
    latest = (
        select(
            OrderLine.sku,
            OrderLine.name,
            OrderLine.unit_price,
            OrderLine.currency,
            func.row_number()
            .over(
                partition_by=OrderLine.sku,
                order_by=(
                    OrderLine.placed_at.desc(),
                    OrderLine.order_id.desc(),
                    OrderLine.line.desc(),
                ),
            )
            .label("newest"),
        )
        .where(OrderLine.shop == shop, OrderLine.placed_at >= since)
        .subquery()
    )
    rows = await session.execute(
        select(latest.c.sku, latest.c.name, latest.c.unit_price, latest.c.currency).where(
            latest.c.newest == 1
        )
    )
    lines = {row.sku: row for row in rows if row.sku in wanted}
    pictures = await _pictures(session, shop=shop, skus=lines.keys(), since=since)
    return {
        sku: ProductDetails(
            sku=sku,
            name=row.name,
            price=row.unit_price,
            currency=row.currency,
            image_url=pictures.get(sku, (None, None))[0],
            url=pictures.get(sku, (None, None))[1],
        )
        for sku, row in sorted(lines.items())
    }


async def _pictures(
    session: AsyncSession, *, shop: str, skus: Collection[str], since: datetime
) -> dict[str, tuple[str | None, str | None]]:
    """(image_url, url) of each sku from the newest snapshot item that had one of them.

    Snapshots are JSON (what the shop sent, contract.carts.CartSnapshot), read newest first
    in batches until every sku is found or the window is read.
    """
    missing = set(skus)
    found: dict[str, tuple[str | None, str | None]] = {}
    if not missing:
        return found
    result = await session.stream(
        select(Cart.snapshot)
        .where(Cart.shop == shop, Cart.updated_at >= since)
        .order_by(Cart.updated_at.desc(), Cart.cart_id)
        .execution_options(yield_per=CART_BATCH)
    )
    async for snapshot in result.scalars():
        for item in _items(snapshot):
            sku = item.get("sku")
            image_url, url = item.get("image_url"), item.get("url")
            if sku in missing and (image_url or url):
                found[sku] = (image_url, url)
                missing.discard(sku)
        if not missing:
            break
    await result.close()
    return found


def _items(snapshot: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    items = (snapshot or {}).get("items")
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


async def replace_recommendations(
    session: AsyncSession,
    *,
    shop: str,
    learned: Learned,
    products: Mapping[str, ProductDetails],
) -> None:
    """The shop's lists become `learned`; a product without details (no order line to name
    it) is left out of them. The caller commits: one transaction, so a reader sees the old
    lists or the new ones."""
    if dialect_of(session) == "postgresql":
        # Two refreshes of a shop at once (the night's and one by hand) take turns, instead
        # of the second failing on the first's new rows; SQLite writes one at a time anyway.
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"recommendations:{shop}")))
        )
    for model in (ProductPair, PopularProduct, RecommendedProduct):
        await session.execute(delete(model).where(model.shop == shop))
    pairs = [pair for pair in learned.pairs if pair.recommended_sku in products]
    popular = [item for item in learned.popular if item.sku in products]
    if products:
        await session.execute(
            insert(RecommendedProduct),
            [
                {
                    "shop": shop,
                    "sku": p.sku,
                    "name": p.name,
                    "price": p.price,
                    "currency": p.currency,
                    "image_url": p.image_url,
                    "url": p.url,
                }
                for p in products.values()
            ],
        )
    if pairs:
        await session.execute(
            insert(ProductPair),
            [
                {
                    "shop": shop,
                    "sku": pair.sku,
                    "rank": pair.rank,
                    "recommended_sku": pair.recommended_sku,
                    "lift": pair.lift,
                    "orders_together": pair.orders_together,
                }
                for pair in pairs
            ],
        )
    if popular:
        await session.execute(
            insert(PopularProduct),
            [
                {"shop": shop, "rank": item.rank, "sku": item.sku, "orders": item.orders}
                for item in popular
            ],
        )


async def stored_lists(session: AsyncSession, *, shop: str, skus: Collection[str]) -> StoredLists:
    """The pairs of the given products and the shop's popular products, with what to show
    of each, in one statement: a refresh committing meanwhile is seen whole or not at all."""
    shown = (
        RecommendedProduct.name,
        RecommendedProduct.price,
        RecommendedProduct.currency,
        RecommendedProduct.image_url,
        RecommendedProduct.url,
    )
    pairs = (
        select(
            literal(0, Integer).label("kind"),
            ProductPair.sku.label("for_sku"),
            ProductPair.rank,
            ProductPair.recommended_sku.label("sku"),
            ProductPair.lift,
            ProductPair.orders_together.label("orders"),
            *shown,
        )
        .join(
            RecommendedProduct,
            (RecommendedProduct.shop == ProductPair.shop)
            & (RecommendedProduct.sku == ProductPair.recommended_sku),
        )
        .where(ProductPair.shop == shop, ProductPair.sku.in_(sorted(set(skus))))
    )
    popular = (
        select(
            literal(1, Integer).label("kind"),
            cast(null(), String).label("for_sku"),
            PopularProduct.rank,
            PopularProduct.sku,
            cast(null(), LIFT).label("lift"),
            PopularProduct.orders,
            *shown,
        )
        .join(
            RecommendedProduct,
            (RecommendedProduct.shop == PopularProduct.shop)
            & (RecommendedProduct.sku == PopularProduct.sku),
        )
        .where(PopularProduct.shop == shop)
    )
    rows = await session.execute(pairs.union_all(popular).order_by("kind", "for_sku", "rank"))
    lists = StoredLists(pairs=[], popular=[], products={})
    for row in rows:
        lists.products[row.sku] = ProductDetails(
            sku=row.sku,
            name=row.name,
            price=row.price,
            currency=row.currency,
            image_url=row.image_url,
            url=row.url,
        )
        if row.kind == 0:
            lists.pairs.append(
                Pair(
                    sku=row.for_sku,
                    rank=row.rank,
                    recommended_sku=row.sku,
                    lift=row.lift,
                    orders_together=row.orders,
                )
            )
        else:
            lists.popular.append(Popular(rank=row.rank, sku=row.sku, orders=row.orders))
    return lists
