"""The nightly refresh on the seeded order set (tests/support/order_lines.py, where the
right answer is worked out by hand), and what a send then gets for a cart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommendations.choosing import pick
from recommendations.refresh import refresh_shop, shops_to_refresh
from recommendations.source import recommendations_for
from storage.carts import store_snapshot
from tests.factories import make_item, make_snapshot
from tests.support.order_lines import SHOP, add_orders, seeded_orders, stored_recommendations

AS_OF = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def add_cart(
    sessions: async_sessionmaker[AsyncSession], cart_id: str, days_ago: int, **item: str
) -> None:
    """A cart snapshot holding one item, as the shop sent it `days_ago` before AS_OF."""
    snapshot = make_snapshot(items=[make_item(**item)], updated_at=AS_OF - timedelta(days_ago))
    async with sessions() as session:
        await store_snapshot(
            session,
            shop=SHOP,
            cart_id=cart_id,
            customer_id="c-1",
            updated_at=snapshot.updated_at,
            total=snapshot.total,
            currency=snapshot.currency,
            snapshot=snapshot.model_dump(mode="json"),
            emptied=False,
        )
        await session.commit()


async def seeded(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_orders(sessions, seeded_orders(AS_OF))
    # socks' picture: the newer cart's, not the older one's
    await add_cart(sessions, "older", 20, sku="socks", image_url="https://shop.example/old.jpg")
    await add_cart(
        sessions,
        "newer",
        3,
        sku="socks",
        image_url="https://shop.example/socks.jpg",
        url="https://shop.example/p/socks",
    )
    await refresh_shop(sessions, shop=SHOP, as_of=AS_OF)


async def test_the_seeded_orders_give_the_ranking_worked_out_by_hand(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seeded(session_factory)

    stored = await stored_recommendations(session_factory)
    # (sku, rank, recommended, lift, orders together): lifts as in the seeded set's docstring
    assert stored["pairs"] == [
        ("shoes", 1, "tights", Decimal("1.5625"), 30),  # 200*30 / (120*32)
        ("shoes", 2, "socks", Decimal("1.1364"), 60),  # 200*60 / (120*88)
        ("socks", 1, "shoes", Decimal("1.1364"), 60),
        ("tights", 1, "shoes", Decimal("1.5625"), 30),
    ]
    # the last 30 days: bottle 10 + 50, tights 30 + 2, shoes 30, cap 2
    assert stored["popular"] == [
        (1, "bottle", 60),
        (2, "tights", 32),
        (3, "shoes", 30),
        (4, "cap", 2),
    ]
    products = {row[0]: row[1:] for row in stored["products"]}
    assert set(products) == {"bottle", "cap", "shoes", "socks", "tights"}  # no gloves: too old
    # name and price from the most recent order line; picture from the newest cart
    assert products["shoes"] == ("Trail shoes 2", Decimal("120.0000"), "TRY", None, None)
    assert products["socks"] == (
        "Socks",
        Decimal("9.9000"),
        "TRY",
        "https://shop.example/socks.jpg",
        "https://shop.example/p/socks",
    )


async def test_the_same_orders_refreshed_again_leave_identical_tables(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seeded(session_factory)
    first = await stored_recommendations(session_factory)
    await refresh_shop(session_factory, shop=SHOP, as_of=AS_OF)
    assert await stored_recommendations(session_factory) == first

    # the same orders stored in the opposite order, for another shop: the same lists
    await add_orders(session_factory, reversed(seeded_orders(AS_OF)), shop="other_shop")
    await refresh_shop(session_factory, shop="other_shop", as_of=AS_OF)
    other = await stored_recommendations(session_factory, shop="other_shop")
    assert other["pairs"] == first["pairs"]
    assert other["popular"] == first["popular"]


async def test_a_cart_gets_products_bought_with_its_items_then_popular_ones(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seeded(session_factory)

    async def skus(cart: list[str], limit: int = 4) -> list[str]:
        found = await recommendations_for(session_factory, shop=SHOP, cart_skus=cart, limit=limit)
        return [product.sku for product in found]

    # shoes' pairs by lift, then popular without shoes (tights is already in)
    assert await skus(["shoes"]) == ["tights", "socks", "bottle", "cap"]
    assert await skus(["shoes"], limit=2) == ["tights", "socks"]
    # shoes is bought with both: its best lift (1.5625, with tights) places it
    assert await skus(["socks", "tights"]) == ["shoes", "bottle", "cap"]
    # nothing is bought with the bottle above chance: the popular ones, the bottle left out
    assert await skus(["bottle"]) == ["tights", "shoes", "cap"]
    # a cart of products nobody ordered yet: popular in the shop
    assert await skus(["brand-new"]) == ["bottle", "tights", "shoes", "cap"]
    assert (
        await recommendations_for(session_factory, shop="no_orders", cart_skus=["x"], limit=4) == []
    )


async def test_what_a_send_shows_and_drops(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seeded(session_factory)
    async with session_factory() as session:  # a session works as well as a factory
        candidates = await recommendations_for(session, shop=SHOP, cart_skus=["shoes"], limit=4)
    socks = candidates[1]
    assert (socks.sku, socks.name, socks.price, socks.image_url, socks.url) == (
        "socks",
        "Socks",
        Decimal("9.9000"),
        "https://shop.example/socks.jpg",
        "https://shop.example/p/socks",
    )
    # the catalog says socks are out of stock: the next one takes their place
    assert [p.sku for p in pick(candidates, {"socks"}, 2)] == ["tights", "bottle"]
    # a cart in another currency is not shown a TRY price
    in_euro = await recommendations_for(
        session_factory, shop=SHOP, cart_skus=["shoes"], limit=1, currency="EUR"
    )
    assert [(p.sku, p.price) for p in in_euro] == [("tights", None)]


async def test_a_shop_whose_orders_aged_out_has_its_lists_cleared(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seeded(session_factory)
    assert await shops_to_refresh(session_factory, as_of=AS_OF) == [SHOP]

    much_later = AS_OF + timedelta(days=400)
    # no orders in its window any more, but lists: still refreshed, to clear them
    assert await shops_to_refresh(session_factory, as_of=much_later) == [SHOP]
    refreshed = await refresh_shop(session_factory, shop=SHOP, as_of=much_later)
    assert refreshed.orders == 0
    assert await stored_recommendations(session_factory) == {
        "pairs": [],
        "popular": [],
        "products": [],
    }
    assert await shops_to_refresh(session_factory, as_of=much_later) == []


async def test_two_refreshes_of_a_shop_at_once_both_succeed(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seeded(session_factory)
    expected = await stored_recommendations(session_factory)
    await asyncio.gather(*(refresh_shop(session_factory, shop=SHOP, as_of=AS_OF) for _ in range(3)))
    assert await stored_recommendations(session_factory) == expected
