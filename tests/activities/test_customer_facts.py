"""What a condition looks up: a customer's coupons and recovered carts in their windows,
and the cart's items the shop's catalog says are sold out now (0 without an answer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.customer_facts import CustomerFactsActivities
from catalog.lookup import CatalogLookup
from coupons.recipients import contact_digest
from storage.models import JourneyOutcome
from tests.factories import add_shop
from tests.support.catalogs import CatalogServer, answering
from tests.support.coupons import add_coupon
from tests.support.data_keys import dev_cipher
from workflows.payloads import CustomerFacts, CustomerLookup

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CATALOG_URL = "https://shop.example/cartnudge/catalog"
EVERYTHING = [
    "customer.coupons_sent_30d",
    "customer.recovered_carts_90d",
    "cart.out_of_stock_count",
]


def lookup(names: list[str], skus: list[str] | None = None) -> CustomerLookup:
    return CustomerLookup(
        shop="demo_shop",
        cart_id="cart-1",
        customer_id="c-1",
        skus=skus or ["SHOES", "SOCKS", "CAP"],
        names=names,
        at=NOW,
    )


async def look_up(
    sessions: async_sessionmaker[AsyncSession], request: CustomerLookup, catalog: CatalogServer
) -> CustomerFacts:
    activities = CustomerFactsActivities(
        sessions, dev_cipher(), "test-secret", CatalogLookup(catalog.client())
    )
    facts: CustomerFacts = await ActivityEnvironment().run(activities.look_up_customer, request)
    return facts


async def recovered(sessions: async_sessionmaker[AsyncSession], *, days_ago: int) -> None:
    async with sessions() as session:
        session.add(
            JourneyOutcome(
                workflow_id=f"cart-demo_shop-{days_ago}",
                run_id="run",
                shop="demo_shop",
                cart_id=str(days_ago),
                customer_id="c-1",
                journey="abandoned_cart",
                version=1,
                outcome="recovered",
                order_id=f"o-{days_ago}",
                revenue=Decimal("100"),
                currency="TRY",
                messages_sent=1,
                ended_at=NOW - timedelta(days=days_ago),
            )
        )
        await session.commit()


async def test_coupons_and_recovered_carts_count_within_their_windows(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None)
    for days_ago in (2, 29, 31):
        await add_coupon(
            session_factory,
            code=f"CN-{days_ago}",
            workflow_id=f"cart-demo_shop-{days_ago}",
            run_id="run",
            customer_id="c-1",
            created_at=NOW - timedelta(days=days_ago),
            sent=True,
        )
    # someone else's, and one that failed (never the customer's)
    await add_coupon(
        session_factory,
        code="CN-X",
        workflow_id="w-x",
        run_id="r",
        customer_id="c-2",
        created_at=NOW,
        sent=True,
    )
    # the customer's own, whose message never went out
    await add_coupon(
        session_factory,
        code="CN-U",
        workflow_id="w-u",
        run_id="r",
        customer_id="c-1",
        created_at=NOW,
    )
    await add_coupon(
        session_factory,
        code="CN-F",
        workflow_id="w-f",
        run_id="r",
        customer_id="c-1",
        state="failed",
        created_at=NOW,
        sent=True,  # even had its message gone out: a failed code was never theirs
    )
    for days_ago in (10, 89, 91):
        await recovered(session_factory, days_ago=days_ago)
    catalog = answering(json={"products": []})

    facts = await look_up(session_factory, lookup(EVERYTHING), catalog)

    assert (facts.coupons_sent_30d, facts.recovered_carts_90d) == (2, 2)

    # as a guest, checkout after checkout: another id each time, the same email
    await add_coupon(
        session_factory,
        code="CN-G",
        workflow_id="w-g",
        run_id="r",
        customer_id="checkout:earlier",
        created_at=NOW,
        sent=True,
        contact_digest=contact_digest("test-secret", "ayse@example.com"),
    )
    as_guest = lookup(["customer.coupons_sent_30d"]).model_copy(
        update={"customer_id": "checkout:now", "contact": "Ayse@Example.com"}
    )
    assert (await look_up(session_factory, as_guest, catalog)).coupons_sent_30d == 1
    assert facts.out_of_stock_count == 0  # no catalog configured: nothing known sold out
    assert catalog.requests == []


async def test_the_catalog_says_how_many_items_are_sold_out(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_shop(
        session_factory,
        shop="demo_shop",
        key=None,
        catalog_source="endpoint",
        catalog_url=CATALOG_URL,
    )
    products = [
        {"sku": "SHOES", "in_stock": True},
        {"sku": "SOCKS", "in_stock": False},
        {"sku": "CAP", "in_stock": False},
    ]
    catalog = answering(json={"products": products})

    facts = await look_up(session_factory, lookup(["cart.out_of_stock_count"]), catalog)

    assert facts == CustomerFacts(out_of_stock_count=2)  # only what was asked
    down = answering(503)
    assert (
        await look_up(session_factory, lookup(["cart.out_of_stock_count"]), down)
    ).out_of_stock_count == 0
    assert isinstance(down.requests[0], httpx.Request)
