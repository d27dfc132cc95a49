"""The shop's pool on the real database: a code goes to one send only, even under
concurrency; a retried send keeps its code; an empty pool says what to do."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupons.errors import PermanentCouponError
from coupons.pool import claim_pooled
from storage import coupons
from storage.coupons import CouponClaim, CouponState

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def claim(key: str, *, shop: str = "demo_shop", customer: str = "c-1") -> CouponClaim:
    return CouponClaim(
        key=key,
        shop=shop,
        code="",
        source="pool",
        customer_id=customer,
        workflow_id="wf",
        run_id="run",
        message_id="r3",
        currency="TRY",
        expires_at=NOW + timedelta(hours=48),
        percent=Decimal(10),
    )


async def fill_pool(
    sessions: async_sessionmaker[AsyncSession], codes: list[str], shop: str = "demo_shop"
) -> None:
    async with sessions() as session:
        await coupons.import_pool_codes(session, shop=shop, codes=codes)
        await session.commit()


async def test_concurrent_sends_never_get_the_same_code(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill_pool(session_factory, [f"POOL-{n:03d}" for n in range(12)])

    async def one(n: int) -> str | None:
        try:
            return (await claim_pooled(session_factory, claim(f"send-{n}"), at=NOW)).code
        except PermanentCouponError:
            return None

    codes = await asyncio.gather(*(one(n) for n in range(20)))

    given = [code for code in codes if code is not None]
    assert len(given) == 12
    assert len(set(given)) == 12
    async with session_factory() as session:
        assert await coupons.pool_counts(session, shop="demo_shop") == (0, 12)


async def test_a_retried_send_keeps_its_code_and_takes_no_other(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill_pool(session_factory, ["A-1", "A-2"])

    first = await claim_pooled(session_factory, claim("send-1"), at=NOW)
    again = await claim_pooled(session_factory, claim("send-1"), at=NOW + timedelta(minutes=5))

    assert (first.code, again.code) == ("A-1", "A-1")
    assert again.state is CouponState.ISSUED
    async with session_factory() as session:
        assert await coupons.pool_counts(session, shop="demo_shop") == (1, 1)


async def test_an_empty_pool_says_how_to_fill_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill_pool(session_factory, ["OTHER-1"], shop="other_shop")

    with pytest.raises(PermanentCouponError) as empty:
        await claim_pooled(session_factory, claim("send-1"), at=NOW)

    assert str(empty.value) == (
        "the code pool of shop demo_shop is empty: import more codes with "
        "cartnudge coupons import demo_shop codes.csv"
    )


async def test_import_skips_codes_held_already(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill_pool(session_factory, ["A-1", "A-2"])

    async with session_factory() as session:
        imported = await coupons.import_pool_codes(
            session, shop="demo_shop", codes=["A-2", "A-3", "A-3"]
        )
        await session.commit()

    assert (imported.added, imported.duplicates, imported.free) == (1, 2, 3)


async def test_coupons_sent_since_counts_the_customers_issued_coupons(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill_pool(session_factory, ["A-1", "A-2", "A-3"])
    await claim_pooled(session_factory, claim("old"), at=NOW - timedelta(days=40))
    await claim_pooled(session_factory, claim("recent"), at=NOW - timedelta(days=3))
    await claim_pooled(session_factory, claim("someone", customer="c-2"), at=NOW)
    async with session_factory() as session:  # claimed, never issued: not sent
        await coupons.claim_coupon(
            session,
            CouponClaim(**{**claim("pending").__dict__, "code": "CN-X", "source": "shopify"}),
        )
        await session.commit()

    async with session_factory() as session:
        count = await coupons.coupons_sent_since(
            session, shop="demo_shop", customer_id="c-1", since=NOW - timedelta(days=30)
        )
        other_shop = await coupons.coupons_sent_since(
            session, shop="other_shop", customer_id="c-1", since=NOW - timedelta(days=30)
        )

    assert (count, other_shop) == (1, 0)
