"""Coupons in whole journeys on the time-skipping server, with Shopify faked at the HTTP
transport: the code goes only to the branch that offers one, a customer who had a code in
the last 30 days gets the last reminder without one, a create whose answer was lost is
retried into the same code, and the order that redeems it shows it in the outcome."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.orders import DiscountCode, OrderIn
from intake.orders import take_order
from intake.temporal import TemporalGateway
from storage.models import Coupon, JourneyOutcome
from tests.factories import add_shop, make_cart, make_customer
from tests.support.coupon_platforms import SHOPIFY_DOMAIN, FakeShopify
from tests.support.smtp import body_text
from tests.support.tables import rows
from tests.workflows.harness import HarnessFactory, JourneyHarness, publish_version

STEPS = """\
journey: abandoned_cart
version: 5
trigger: {inactivity: 1h}
conversion_window: 1d
steps:
  - send: {template: reminder, id: r1}
  - wait: 2d
  - branch: "customer.coupons_sent_30d == 0"
    then:
      - send: {template: last_chance_offer, id: offer, coupon: {percent: 10, valid: 48h}}
    else:
      - send: {template: last_chance, id: plain}
"""
CODE = re.compile(r"\bCN-[A-Z0-9]{8}\b")


@pytest.fixture
def shopify() -> FakeShopify:
    return FakeShopify(fail_after_create=1)  # the first code's answer is lost on the way


@pytest.fixture
async def harness(
    harness_factory: HarnessFactory,
    journeys_copy: Path,
    shopify: FakeShopify,
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[JourneyHarness]:
    # Before v5 goes live (the worker activates it): activation asks whether the shops it
    # serves can make its codes.
    await add_shop(
        session_factory,
        shop="demo_shop",
        key=None,
        coupon_source="shopify",
        shopify_domain=SHOPIFY_DOMAIN,
        shopify_admin_token="shpat_test",
    )
    publish_version(journeys_copy, 5, STEPS)
    async with harness_factory(journeys_copy, http=shopify.client()) as running:
        yield running


async def test_only_the_offer_branch_gets_a_code_the_same_one_after_a_lost_answer(
    harness: JourneyHarness, shopify: FakeShopify
) -> None:
    # The test server's clock leaps between journeys: both carts run inside one stretch.
    first = await harness.start(make_cart(customer=make_customer(id="c-7")), cart_id="cart-1")
    await harness.advance(hours=49, minutes=5)  # r1 at 1h, the last reminder at 49h
    reminder, offer = await harness.mailbox.wait_for_messages(2)

    assert [m.message_id for m in (await harness.state(first)).messages] == ["r1", "offer"]
    assert not CODE.search(body_text(reminder, "plain"))
    [code] = set(CODE.findall(body_text(offer, "plain")))
    assert list(shopify.codes) == [code]  # made once, though the first answer was lost
    creates = [r for r in shopify.requests if b"discountCodeBasicCreate" in r.content]
    assert len(creates) == 2  # the retry asked again and found its own code
    [coupon] = await rows(harness.sessions, Coupon)
    assert (coupon.code, coupon.customer_id, coupon.state) == (code, "c-7", "issued")

    # the same person's next cart, as a guest (a new id, the same email): a code within 30
    # days, so the plain last reminder
    guest = make_customer(id="checkout:t-2")
    second = await harness.start(make_cart(customer=guest), cart_id="cart-2")
    await harness.advance(hours=49, minutes=5)
    await harness.mailbox.wait_for_messages(4)

    assert [m.message_id for m in (await harness.state(second)).messages] == ["r1", "plain"]
    assert not CODE.search(body_text(harness.emails[-1], "plain"))
    assert list(shopify.codes) == [code]


async def test_the_order_that_redeems_the_code_shows_it_in_the_outcome(
    harness: JourneyHarness, shopify: FakeShopify
) -> None:
    handle = await harness.start(make_cart(customer=make_customer(id="c-9")), cart_id="cart-9")
    await harness.advance(hours=49, minutes=5)  # r1 at 1h, the offer at 49h
    [_, offer] = await harness.mailbox.wait_for_messages(2)
    [code] = set(CODE.findall(body_text(offer, "plain")))

    await take_order(
        OrderIn(
            shop="demo_shop",
            order_id="o-9",
            cart_id="cart-9",
            total=Decimal("1169.91"),
            currency="TRY",
            discount_codes=[DiscountCode(code=code.lower(), amount=Decimal("129.99"))],
        ),
        sessions=harness.sessions,
        temporal=TemporalGateway(harness.settings, harness.env.client),
    )
    final = await harness.finish(handle)

    assert (final.outcome, final.order_id) == ("recovered", "o-9")
    async with harness.sessions() as session:
        outcome = await session.scalar(select(JourneyOutcome))
    assert outcome is not None
    assert (outcome.coupon_code, outcome.discount) == (code, Decimal("129.99"))
