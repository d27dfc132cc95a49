"""Experiments and the holdout in the workflow: a cart takes its customer's arm at a split
(the same on every cart), a held-out cart is never messaged but watched for a purchase,
and a decided experiment sends new carts to its winner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from experiments.assignment import assigned_arm, is_held_out
from journey_schema.models import JourneyVersion
from journey_schema.release import from_content
from journey_schema.walk import splits
from storage import decisions
from storage.decisions import StoredDecision
from storage.models import (
    ExperimentAssignment,
    ExperimentDecision,
    JourneyEntryRow,
    JourneyOutcome,
    JourneyRelease,
    Message,
)
from storage.releases import release_by_id
from tests.factories import make_cart, make_customer
from tests.support.journey_data import CartRecord, add_carts
from tests.support.tables import rows
from tests.workflows.harness import HarnessFactory, about, publish_version
from workflows.payloads import Cart, OrderPlaced, Outcome
from workflows.search_attributes import JOURNEY_ARMS, JOURNEY_HOLDOUT

SPLIT_JOURNEY = """\
journey: abandoned_cart
version: 5
trigger: {inactivity: 1h}
locale: en
conversion_window: 3d
holdout: 20%
steps:
  - split:
      experiment: first_wait
      arms:
        fast: {weight: 50, steps: [{wait: 1h}]}
        slow: {weight: 50, steps: [{wait: 12h}]}
  - send: {channel: email, template: reminder, id: r1}
"""


def _journey() -> JourneyVersion:
    return JourneyVersion.model_validate(yaml.safe_load(SPLIT_JOURNEY))


def _customers() -> dict[str, str]:
    """Customer id -> 'holdout' or the arm the weights give them, for the first few ids."""
    journey = _journey()
    [(_, split)] = list(splits(journey.steps))
    found: dict[str, str] = {}
    for n in range(200):
        customer = f"c-{n}"
        if is_held_out(journey, shop="demo_shop", customer_id=customer):
            found[customer] = "holdout"
        else:
            found[customer] = assigned_arm(
                journey.journey, split, shop="demo_shop", customer_id=customer, cart_id=""
            )
    return found


def _first(group: str) -> str:
    return next(customer for customer, g in _customers().items() if g == group)


def _cart_of(customer: str) -> Cart:
    return make_cart(customer=make_customer(id=customer, email=f"{customer}@example.com"))


async def test_a_customer_takes_the_same_arm_on_every_cart_and_it_is_findable(
    harness_factory: HarnessFactory,
    journeys_copy: Path,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    publish_version(journeys_copy, 5, SPLIT_JOURNEY)
    fast, slow = _first("fast"), _first("slow")
    async with harness_factory(journeys_copy) as harness:
        fast_cart = await harness.start(_cart_of(fast), cart_id="cart-fast")
        slow_cart = await harness.start(_cart_of(slow), cart_id="cart-slow")
        again = await harness.start(_cart_of(fast), cart_id="cart-fast-2")
        await harness.advance(hours=14)
        await harness.mailbox.wait_for_messages(3)
        fast_times = await harness.send_times(fast_cart)
        slow_times = await harness.send_times(slow_cart)
        states = [await harness.state(h) for h in (fast_cart, slow_cart, again)]
        described = await slow_cart.describe()
        await harness.advance(days=4)
        finished = await harness.finish(slow_cart, record_as="split_slow_expired")

    # inactivity 1h, then the arm's wait
    assert about(timedelta(hours=2), fast_times["r1"])
    assert about(timedelta(hours=13), slow_times["r1"])
    assert [s.arms for s in states] == [
        {"first_wait": "fast"},
        {"first_wait": "slow"},
        {"first_wait": "fast"},
    ]
    assert described.typed_search_attributes.get(JOURNEY_ARMS) == ["first_wait:slow"]
    assert described.typed_search_attributes.get(JOURNEY_HOLDOUT) is False
    assert (finished.outcome, finished.arms) == (Outcome.EXPIRED, {"first_wait": "slow"})
    messages = {m.cart_id: m for m in await rows(session_factory, Message)}
    assert messages["cart-slow"].arms == {"first_wait": "slow"}
    assignments = {a.workflow_id: a for a in await rows(session_factory, ExperimentAssignment)}
    assert {a.arm for a in assignments.values()} == {"fast", "slow"}
    assert all(a.reached_at is not None and a.arm_taken == a.arm for a in assignments.values())


async def test_a_held_out_cart_gets_nothing_and_its_purchase_is_recorded(
    harness_factory: HarnessFactory,
    journeys_copy: Path,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    publish_version(journeys_copy, 5, SPLIT_JOURNEY)
    held = _first("holdout")
    async with harness_factory(journeys_copy) as harness:
        handle = await harness.start(_cart_of(held), cart_id="cart-held")
        await harness.advance(hours=30)
        during = await harness.state(handle)
        await handle.signal(
            "order_placed", OrderPlaced(order_id="o-9", total=Decimal("120"), currency="TRY")
        )
        state = await harness.finish(handle, record_as="held_out_bought")
        described = await handle.describe()

    assert during.held_out and during.messages == []
    assert "held out" in (during.current_step or "")
    assert harness.emails == []
    assert state.outcome == Outcome.HELD_OUT
    assert (state.order_id, state.revenue) == ("o-9", Decimal("120"))
    assert described.typed_search_attributes.get(JOURNEY_HOLDOUT) is True
    [outcome] = await rows(session_factory, JourneyOutcome)
    assert (outcome.outcome, outcome.held_out, outcome.revenue) == ("held_out", True, 120)
    [entry] = await rows(session_factory, JourneyEntryRow)
    assert entry.held_out
    # the same window as every treated cart: the slowest arm (12h) plus 3 days
    assert entry.window_ends_at - entry.abandoned_at == timedelta(hours=12, days=3)
    assert await rows(session_factory, ExperimentAssignment) == []


async def test_a_held_out_cart_that_never_buys_ends_after_the_window(
    harness_factory: HarnessFactory, journeys_copy: Path
) -> None:
    publish_version(journeys_copy, 5, SPLIT_JOURNEY)
    async with harness_factory(journeys_copy) as harness:
        handle = await harness.start(_cart_of(_first("holdout")), cart_id="cart-held")
        await harness.advance(days=4)
        state = await harness.finish(handle)
        lifetime = await harness.lifetime(handle)

    assert state.outcome == Outcome.HELD_OUT and state.order_id is None
    assert about(timedelta(hours=1 + 12, days=3), lifetime)


async def test_new_carts_reaching_a_decided_split_take_the_winner(
    harness_factory: HarnessFactory,
    journeys_copy: Path,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    publish_version(journeys_copy, 5, SPLIT_JOURNEY)
    fast = _first("fast")
    async with harness_factory(journeys_copy) as harness:
        handle = await harness.start(_cart_of(fast), cart_id="cart-1")
        await harness.advance(minutes=30)  # not abandoned yet
        release_id = await _live_release(session_factory)
        async with session_factory() as session:
            await decisions.record_decision(
                session,
                StoredDecision(
                    journey="abandoned_cart",
                    release_id=release_id,
                    experiment="first_wait",
                    action="decided",
                    arm="slow",
                    decided_by="ayse@shop.example",
                    reason="by hand",
                    numbers={},
                    decided_at=datetime.now(UTC),
                ),
            )
            await session.commit()
        await harness.advance(hours=14)
        await harness.mailbox.wait_for_messages(1)
        state = await harness.state(handle)
        times = await harness.send_times(handle)

    assert state.arms == {"first_wait": "slow"}
    assert about(timedelta(hours=13), times["r1"])
    [assignment] = await rows(session_factory, ExperimentAssignment)
    # entered after the decision: it takes the winner and is not part of the experiment
    assert (assignment.arm, assignment.after_decision) == ("slow", True)


async def _live_release(sessions: async_sessionmaker[AsyncSession]) -> str:
    [release] = [r for r in await rows(sessions, JourneyRelease) if r.version == 5]
    return release.id


async def test_the_decision_rule_chooses_the_winner_when_a_cart_reaches_the_split(
    harness_factory: HarnessFactory,
    journeys_copy: Path,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with_rule = SPLIT_JOURNEY.replace(
        "      experiment: first_wait\n",
        "      experiment: first_wait\n      decide: {metric: conversion, min_carts: 100}\n",
    )
    publish_version(journeys_copy, 5, with_rule)
    slow = _first("slow")
    async with harness_factory(journeys_copy) as harness:
        handle = await harness.start(_cart_of(slow), cart_id="cart-1")
        await harness.advance(minutes=30)
        async with session_factory() as session:
            stored = await release_by_id(session, await _live_release(session_factory))
        assert stored is not None
        # Earlier carts of this release: fast converts far better than slow.
        history = [
            CartRecord(
                cart_id=f"{arm}-{n}",
                arms={"first_wait": arm},
                revenue=Decimal("50") if n < rate else None,
            )
            for arm, rate in (("fast", 90), ("slow", 20))
            for n in range(300)
        ]
        await add_carts(session_factory, from_content(stored.content), history)
        await harness.advance(hours=3)
        await harness.mailbox.wait_for_messages(1)
        state = await harness.state(handle)

    assert state.arms == {"first_wait": "fast"}  # its own arm was slow
    [decision] = await rows(session_factory, ExperimentDecision)
    assert (decision.arm, decision.decided_by) == ("fast", "rule")
