"""The shop's pool on the real database: a code goes to one send only, even under
concurrency; a retried send keeps its code; an empty pool says what to do."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupons.errors import PermanentCouponError, TransientCouponError
from coupons.pool import claim_pooled
from coupons.recipients import contact_digest
from storage import coupons
from storage.coupons import CouponClaim, CouponState
from tests.support.tables import add_message

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
        while True:  # as the send is retried while the pool is busy
            try:
                return (await claim_pooled(session_factory, claim(f"send-{n}"), at=NOW)).code
            except TransientCouponError:
                await asyncio.sleep(0.01)
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


async def test_coupons_sent_since_counts_the_codes_that_reached_the_customer(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill_pool(session_factory, ["A-1", "A-2", "A-3", "A-4", "A-5"])
    guest = contact_digest("secret", "Ayse@Example.com")
    sends = {
        "old": (claim("old"), NOW - timedelta(days=40)),
        "recent": (claim("recent"), NOW - timedelta(days=3)),
        "someone": (claim("someone", customer="c-2"), NOW),
        # a guest checkout: another id, the same email
        "guest": (replace(claim("guest", customer="checkout:t-9"), contact_digest=guest), NOW),
        "failed send": (claim("failed send"), NOW),  # its message never went out
    }
    for key, (made, at) in sends.items():
        await claim_pooled(session_factory, made, at=at)
        if key != "failed send":
            await add_message(session_factory, run_id=key, key=key)
    async with session_factory() as session:  # claimed, never issued: not sent
        await coupons.claim_coupon(
            session,
            CouponClaim(**{**claim("pending").__dict__, "code": "CN-X", "source": "shopify"}),
        )
        await session.commit()

    async def sent(customer_id: str, digest: str | None, shop: str = "demo_shop") -> int:
        async with session_factory() as session:
            return await coupons.coupons_sent_since(
                session,
                shop=shop,
                customer_id=customer_id,
                contact_digest=digest,
                since=NOW - timedelta(days=30),
            )

    assert await sent("c-1", None) == 1  # recent; not old, not the failed send's
    assert await sent("c-1", contact_digest("secret", "ayse@example.com ")) == 2  # + the guest
    assert await sent("c-1", None, shop="other_shop") == 0
