"""Conditions on what cartnudge knows of the customer: the coupons it gave them in the
last 30 days and the carts it recovered in the last 90, looked up by an activity when the
branch is reached; and what the shop sends of them (orders_count, tags)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from storage.models import JourneyOutcome
from tests.factories import make_cart, make_customer
from tests.support.coupons import add_coupon
from tests.workflows.harness import HarnessFactory, JourneyHarness, publish_version
from workflows.payloads import Cart

STEPS = """\
journey: abandoned_cart
version: 5
trigger: {inactivity: 1h}
conversion_window: 1d
steps:
  - send: {template: reminder, id: r1}
  - wait: 2d
  - branch: "customer.coupons_sent_30d == 0 and customer.recovered_carts_90d < 2"
    then:
      - send: {template: last_chance, id: first_time}
    else:
      - branch: "customer.orders_count >= 3 or 'vip' in customer.tags"
        then:
          - send: {template: still_thinking, id: loyal}
        else:
          - exit: had an offer lately
"""


@pytest.fixture
async def harness(
    harness_factory: HarnessFactory, journeys_copy: Path
) -> AsyncIterator[JourneyHarness]:
    publish_version(journeys_copy, 5, STEPS)
    async with harness_factory(journeys_copy) as running:
        yield running


def cart_of(customer_id: str, **customer: object) -> Cart:
    return make_cart(customer=make_customer(id=customer_id, **customer))


async def gave_coupon(harness: JourneyHarness, customer_id: str, *, days_ago: float) -> None:
    # The test server's clock jumps ahead of this machine's: count from the workflows' now.
    created = await harness.env.get_current_time() - timedelta(days=days_ago)
    await add_coupon(
        harness.sessions,
        code=f"CN-{customer_id}",
        workflow_id="cart-demo_shop-earlier",
        run_id=f"run-{customer_id}",
        customer_id=customer_id,
        created_at=created,
        sent=True,
    )


async def recovered_before(harness: JourneyHarness, customer_id: str, carts: int) -> None:
    ended = await harness.env.get_current_time() - timedelta(days=10)
    async with harness.sessions() as session:
        for n in range(carts):
            session.add(
                JourneyOutcome(
                    workflow_id=f"cart-demo_shop-old-{customer_id}-{n}",
                    run_id=f"run-{n}",
                    shop="demo_shop",
                    cart_id=f"old-{n}",
                    customer_id=customer_id,
                    journey="abandoned_cart",
                    version=1,
                    outcome="recovered",
                    order_id=f"o-{n}",
                    revenue=Decimal("100"),
                    currency="TRY",
                    messages_sent=1,
                    ended_at=ended,
                )
            )
        await session.commit()


async def last_message(harness: JourneyHarness, cart: Cart) -> list[str]:
    handle = await harness.start(cart, cart_id=f"cart-{cart.customer.id}")
    final = await harness.finish(handle)
    return [message.message_id for message in final.messages]


async def test_a_customer_without_a_recent_coupon_gets_the_last_chance(
    harness: JourneyHarness,
) -> None:
    await gave_coupon(harness, "c-old", days_ago=45)  # outside the 30 days
    handle = await harness.start(cart_of("c-old"), cart_id="cart-old")

    final = await harness.finish(handle, record_as="customer_facts_first_time")

    assert [m.message_id for m in final.messages] == ["r1", "first_time"]


async def test_a_coupon_in_the_last_30_days_takes_the_other_branch(
    harness: JourneyHarness,
) -> None:
    await gave_coupon(harness, "c-recent", days_ago=3)

    assert await last_message(harness, cart_of("c-recent")) == ["r1"]  # exited
    assert await last_message(harness, cart_of("c-vip", tags=["vip"])) == ["r1", "first_time"]


async def test_what_the_shop_knows_of_the_customer_reaches_the_condition(
    harness: JourneyHarness,
) -> None:
    # Rows just before each cart: the test server's clock leaps between journeys.
    await recovered_before(harness, "c-loyal", carts=2)
    assert await last_message(harness, cart_of("c-loyal", orders_count=5)) == ["r1", "loyal"]
    await recovered_before(harness, "c-tagged", carts=2)
    assert await last_message(harness, cart_of("c-tagged", tags=["vip"])) == ["r1", "loyal"]
    await recovered_before(harness, "c-once", carts=1)
    assert await last_message(harness, cart_of("c-once", orders_count=9)) == ["r1", "first_time"]
