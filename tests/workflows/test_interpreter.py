"""Every step kind at run time, on a journey written for the purpose (abandoned_cart v2):

quiet 1h -> r1 -> wait up to 6h for r1 to be *opened*
    opened:     branch on cart.total >= 1000
                    big:   send `big`
                    small: send `small`, exit
    not opened: send n1
-> wait 10h -> r3 -> conversion window 2d
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import JourneyOutcome
from tests.factories import make_cart, make_item
from tests.workflows.harness import HarnessFactory, JourneyHarness, about, publish_version
from workflows.payloads import CartEmptied, Engagement, EngagementKind, OrderPlaced, Outcome

STEPS = """\
journey: abandoned_cart
version: 2
trigger: {inactivity: 1h}
conversion_window: 2d
steps:
  - send: {template: reminder, id: r1}
  - wait_for: {opened: r1, within: 6h}
    then:
      - branch: "cart.total >= 1000"
        then:
          - send: {template: still_thinking, id: big}
        else:
          - send: {template: still_thinking, id: small}
          - exit: small carts get one follow-up
    else:
      - send: {template: nudge, id: n1}
  - wait: 10h
  - send: {template: last_chance, id: r3}
"""

BIG = make_cart()  # 1299.90
SMALL = make_cart(items=[make_item(unit_price=Decimal("99.90"))])
OPENED = Engagement(message_id="r1", kind=EngagementKind.OPENED)


@pytest.fixture
async def harness(
    harness_factory: HarnessFactory, journeys_copy: Path
) -> AsyncIterator[JourneyHarness]:
    publish_version(journeys_copy, 2, STEPS)
    async with harness_factory(journeys_copy) as running:
        await running.go_live(2)  # not the shipped v3 (an experiment), the highest one
        yield running


async def search_attributes(handle: object) -> dict[str, object]:
    described = await handle.describe()  # type: ignore[attr-defined]
    return {key.name: value for key, value in described.typed_search_attributes}


async def outcome_row(harness: JourneyHarness) -> JourneyOutcome:
    async with harness.sessions() as session:
        [row] = (await session.scalars(select(JourneyOutcome))).all()
    return row


async def test_an_open_and_a_big_cart_take_the_big_branch_then_the_journey_goes_on(
    harness: JourneyHarness,
) -> None:
    handle = await harness.start(BIG)
    await harness.advance(hours=2)
    await handle.signal("engagement", OPENED)  # opened, never clicked
    await harness.mailbox.wait_for_messages(2)

    state = await harness.state_at_step(handle, "steps[2]: wait 10h before last_chance r3")
    assert state.current_step == "steps[2]: wait 10h before last_chance r3"
    await harness.advance(hours=10, minutes=5)
    await harness.mailbox.wait_for_messages(3)

    times = await harness.send_times(handle)
    assert set(times) == {"r1", "big", "r3"}
    assert about(timedelta(hours=2), times["big"])
    assert about(timedelta(hours=12), times["r3"])
    final = await harness.finish(handle, record_as="opened_big_branch_expired")
    assert final.outcome == Outcome.EXPIRED
    # expired when the 2d conversion window after the last step ran out, not before or after
    assert about(timedelta(hours=12) + timedelta(days=2), await harness.lifetime(handle))
    assert (await search_attributes(handle))["JourneyStatus"] == "expired"


async def test_a_small_cart_takes_the_other_branch_and_exits(harness: JourneyHarness) -> None:
    handle = await harness.start(SMALL)
    await harness.advance(hours=2)
    await handle.signal("engagement", OPENED)

    final = await harness.finish(handle, record_as="small_branch_exit")

    assert final.outcome == Outcome.EXITED
    assert [m.message_id for m in final.messages] == ["r1", "small"]
    assert about(timedelta(hours=2), await harness.lifetime(handle))
    assert (await search_attributes(handle))["JourneyStatus"] == "exited"
    assert (await outcome_row(harness)).outcome == "exited"


async def test_a_purchase_during_a_plain_wait_ends_the_journey_at_once(
    harness: JourneyHarness,
) -> None:
    handle = await harness.start(BIG)
    await harness.advance(hours=7, minutes=5)  # not opened: n1 went out at 7h
    await harness.mailbox.wait_for_messages(2)
    await harness.advance(hours=3)  # three hours into the 10h wait
    await handle.signal(
        "order_placed", OrderPlaced(order_id="o-9", total=Decimal("1299.90"), currency="TRY")
    )

    final = await harness.finish(handle)

    assert final.outcome == Outcome.RECOVERED
    assert [m.message_id for m in final.messages] == ["r1", "n1"]
    assert about(timedelta(hours=10, minutes=5), await harness.lifetime(handle))


async def test_an_emptied_cart_ends_the_journey_and_is_recorded(harness: JourneyHarness) -> None:
    handle = await harness.through_first_email(BIG)
    await handle.signal("cart_emptied", CartEmptied())

    final = await harness.finish(handle)

    assert final.outcome == Outcome.EMPTIED
    assert len(harness.emails) == 1
    row = await outcome_row(harness)
    assert (row.outcome, row.messages_sent, row.journey, row.version) == (
        "emptied",
        1,
        "abandoned_cart",
        2,
    )


async def test_the_cart_total_search_attribute_follows_updates_mid_journey(
    harness: JourneyHarness,
) -> None:
    handle = await harness.start(BIG)
    await harness.advance(hours=1, minutes=5)
    assert (await search_attributes(handle))["CartTotal"] == pytest.approx(1299.90)

    bigger = make_cart(minutes=70, items=[make_item(quantity=2)])
    await handle.signal("update_cart", bigger)
    await harness.advance(minutes=1)

    assert (await search_attributes(handle))["CartTotal"] == pytest.approx(2599.80)
