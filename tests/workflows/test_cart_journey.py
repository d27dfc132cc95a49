"""The cart journey on the time-skipping server, with the shipped abandoned_cart v1 journey.

v1: abandoned after 1h quiet -> reminder r1 -> wait up to 24h for a click on r1
    (clicked: wait 12h, still_thinking r2 | not clicked: nudge r2b) -> wait 48h -> last_chance r3.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from storage.models import JourneyOutcome, Message
from tests.factories import add_order, make_cart, make_customer, make_item
from tests.support.smtp import body_text
from tests.workflows.harness import JourneyHarness, about
from workflows.payloads import (
    Engagement,
    EngagementKind,
    JourneyStatus,
    MessageStatus,
    OrderPlaced,
    Outcome,
)

ORDER = OrderPlaced(order_id="o-1", total=Decimal("1299.90"), currency="TRY")


def journey_of(email: object) -> str:
    return str(email["X-Cartnudge-Message"])  # type: ignore[index]


async def outcome_rows(harness: JourneyHarness) -> list[JourneyOutcome]:
    async with harness.sessions() as session:
        return list((await session.scalars(select(JourneyOutcome))).all())


async def test_order_before_abandonment_sends_nothing(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())
    await harness.advance(minutes=30)
    await handle.signal("order_placed", ORDER)

    state = await harness.finish(handle)

    assert state.outcome == Outcome.PURCHASED
    assert state.messages == []
    assert harness.emails == []
    [row] = await outcome_rows(harness)
    assert (row.outcome, row.order_id, row.journey) == ("purchased", "o-1", None)


async def test_every_update_restarts_the_inactivity_window(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())
    await harness.advance(minutes=50)
    socks = make_item(sku="SKU-2", name="Yün Çorap", unit_price=Decimal("99.90"), quantity=2)
    await handle.signal("update_cart", make_cart(minutes=50, items=[make_item(), socks]))

    await harness.advance(minutes=50)  # 1h40m after start, only 50m after the update
    assert harness.emails == []
    await harness.advance(minutes=15)
    [email] = await harness.mailbox.wait_for_messages(1)

    assert about(timedelta(minutes=110), (await harness.send_times(handle))["r1"])
    # the message shows the cart as it is now, not as it was at start
    assert "Yün Çorap" in body_text(email, "plain")


async def test_stale_snapshot_does_not_restart_the_window(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart(minutes=10))
    await harness.advance(minutes=50)
    await handle.signal("update_cart", make_cart(minutes=5))  # older than what we hold
    await harness.advance(minutes=15)

    await harness.mailbox.wait_for_messages(1)
    assert about(timedelta(hours=1), (await harness.send_times(handle))["r1"])


async def test_messages_go_out_at_the_journeys_times(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())

    await harness.advance(hours=1, minutes=5)
    described = await handle.describe()
    attributes = {key.name: value for key, value in described.typed_search_attributes}
    assert attributes["JourneyName"] == "abandoned_cart"
    assert attributes["JourneyVersion"] == 1
    assert attributes["JourneyStatus"] == "in_journey"

    await harness.advance(hours=73)
    times = await harness.send_times(handle)
    assert set(times) == {"r1", "r2b", "r3"}  # nobody clicked: nudge, not still_thinking
    assert about(timedelta(hours=1), times["r1"])
    assert about(timedelta(hours=25), times["r2b"])
    assert about(timedelta(hours=73), times["r3"])
    state = await harness.state(handle)
    assert state.status == JourneyStatus.AWAITING_PURCHASE

    final = await harness.finish(handle, record_as="no_click_expired")
    assert final.outcome == Outcome.EXPIRED
    assert [journey_of(e) for e in harness.emails] == [
        "abandoned_cart/v1/r1",
        "abandoned_cart/v1/r2b",
        "abandoned_cart/v1/r3",
    ]
    [row] = await outcome_rows(harness)
    assert (row.outcome, row.messages_sent, row.journey, row.version) == (
        "expired",
        3,
        "abandoned_cart",
        1,
    )
    # the bookkeeping (journey, pinning, outcome) ran as local activities: only sends scheduled
    assert await harness.scheduled_activities(handle) == ["send_message"] * 3


async def test_a_purchase_mid_wait_ends_the_journey_at_once(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())
    await harness.advance(hours=1, minutes=5)
    await harness.advance(hours=5)  # five hours into the 24h wait for a click
    await handle.signal("order_placed", ORDER)

    state = await harness.finish(handle, record_as="purchase_mid_wait")

    described = await handle.describe()
    assert described.close_time is not None
    assert described.close_time - described.start_time < timedelta(hours=6, minutes=10)
    assert state.outcome == Outcome.RECOVERED
    assert state.revenue == Decimal("1299.90")
    assert [m.message_id for m in state.messages] == ["r1"]
    assert len(harness.emails) == 1
    [row] = await outcome_rows(harness)
    assert (row.outcome, row.revenue, row.order_id) == ("recovered", Decimal("1299.90"), "o-1")


async def test_an_order_in_the_database_stops_the_next_send(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())
    await harness.advance(hours=1, minutes=5)
    # the "purchased" signal was lost
    await add_order(harness.sessions, order_id="o-77", cart_id="cart-1", total="1299.90")

    state = await harness.finish(handle)

    assert state.outcome == Outcome.RECOVERED
    assert state.order_id == "o-77"
    assert [m.message_id for m in state.messages] == ["r1"]
    assert len(harness.emails) == 1
    # r2b's send found the order itself and the journey ended then, as the signal would have
    assert about(timedelta(hours=25), await harness.lifetime(handle))
    assert await harness.scheduled_activities(handle) == ["send_message", "send_message"]
    async with harness.sessions() as session:
        rows = (await session.scalars(select(Message).order_by(Message.id))).all()
    assert [(r.message_id, r.status, r.reason) for r in rows] == [
        ("r1", "sent", None),
        ("r2b", "skipped", "bought: order o-77"),
    ]
    [outcome] = await outcome_rows(harness)
    assert (outcome.outcome, outcome.order_id, outcome.messages_sent) == ("recovered", "o-77", 1)


async def test_a_click_takes_the_then_branch(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())
    await harness.advance(hours=1, minutes=5)
    await harness.advance(hours=3)
    await handle.signal("engagement", Engagement(message_id="r1", kind=EngagementKind.CLICKED))
    await harness.advance(hours=12, minutes=5)

    times = await harness.send_times(handle)
    assert set(times) == {"r1", "r2"}
    # still_thinking goes out 12h after the click, not at the end of the 24h window
    assert about(timedelta(hours=16, minutes=5), times["r2"], slack=timedelta(minutes=5))
    state = await harness.state(handle)
    assert state.messages[0].clicked and state.messages[0].opened
    assert journey_of(harness.emails[-1]) == "abandoned_cart/v1/r2"


async def test_no_consent_means_no_email_and_the_reason_is_kept(harness: JourneyHarness) -> None:

    handle = await harness.start(make_cart(customer=make_customer(consent={"email": False})))
    await harness.advance(hours=1, minutes=5)

    state = await harness.state(handle)
    assert harness.emails == []
    [message] = state.messages
    assert message.status == MessageStatus.SKIPPED
    assert message.reason == "email: no consent"
    async with harness.sessions() as session:
        row = await session.scalar(select(Message))
    assert row is not None and row.status == "skipped"


async def test_emptied_cart_ends_the_journey(harness: JourneyHarness) -> None:
    handle = await harness.start(make_cart())
    await harness.advance(hours=1, minutes=5)
    await handle.signal("update_cart", make_cart(minutes=70, items=[], total=Decimal(0)))

    state = await harness.finish(handle)
    assert state.outcome == Outcome.EMPTIED
    assert len(harness.emails) == 1
