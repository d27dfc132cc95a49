"""The journey report counts what the database holds: carts, conversions in the window,
revenue, arms against the holdout and each other, steps, days and the latest carts."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reports.journey_report import journey_report
from reports.model import JourneyReport, StepNode
from reports.text import format_report
from tests.support.journey_data import ABANDONED_AT, CartRecord, Sent, add_carts, publish_release
from tests.support.temporal import settings_for_tests

HELP_STEP = "steps[0].arms.help[0]"


async def report_at(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    shops: list[str] | None = None,
    since: datetime | None = None,
) -> JourneyReport:
    """abandoned_cart's report as it reads at `now`."""
    return await journey_report(
        sessions,
        journey="abandoned_cart",
        shops=shops,
        since=since,
        settings=settings_for_tests(),
        now=now,
    )


def _help_cart(n: int) -> CartRecord:
    """Arm help: 100 carts. 0-39 opened by a person, 40-69 only by a machine, 0-14 clicked;
    0-19 bought for 100 in the window, 20-21 bought only after it."""
    bought = n < 22
    return CartRecord(
        cart_id=f"help-{n}",
        arms={"subject": "help"},
        revenue=Decimal("100") if bought else None,
        bought_after=timedelta(hours=5) if n < 20 else timedelta(days=10),
        sent=[
            Sent(
                HELP_STEP,
                "r1",
                opened=n < 40,
                machine_opened=40 <= n < 70,
                clicked=n < 15,
            )
        ],
        outcome="recovered" if n < 20 else "expired",
        # help-0 is the latest cart to enter
        abandoned_at=ABANDONED_AT + timedelta(minutes=1 if n == 0 else 0),
    )


def _data() -> list[CartRecord]:
    carts = [_help_cart(n) for n in range(100)]
    carts += [
        CartRecord(
            cart_id=f"scarcity-{n}",
            arms={"subject": "scarcity"},
            revenue=Decimal("100") if n < 10 else None,
            sent=[Sent("steps[0].arms.scarcity[0]", "r1s")],
        )
        for n in range(100)
    ]
    carts += [
        CartRecord(
            cart_id=f"held-{n}",
            held_out=True,
            revenue=Decimal("100") if n == 0 else None,
            abandoned_at=ABANDONED_AT - timedelta(minutes=1),
        )
        for n in range(22)
    ]
    # another currency: counted apart, not mixed into TRY figures
    carts += [
        CartRecord(cart_id=f"eur-{n}", currency="EUR", arms={"subject": "help"}) for n in range(3)
    ]
    return carts


@pytest.fixture
async def report(session_factory: async_sessionmaker[AsyncSession]) -> JourneyReport:
    release = await publish_release(session_factory)
    await add_carts(session_factory, release, _data())
    return await report_at(session_factory, ABANDONED_AT + timedelta(days=30), shops=["demo_shop"])


async def test_the_journey_and_its_holdout_count_orders_in_the_window_only(
    report: JourneyReport,
) -> None:
    assert (report.currency, report.other_currency_carts) == ("TRY", 3)
    assert report.attribution == "an order within 4d of abandonment"  # 1d of steps + 3d
    treated, holdout = report.treated, report.holdout
    assert holdout is not None
    assert (treated.carts, treated.conversions, treated.revenue) == (200, 30, 3000.0)
    assert treated.click_conversions == 15
    assert (holdout.carts, holdout.conversions, holdout.revenue) == (22, 1, 100.0)
    assert treated.conversion_rate.estimate == pytest.approx(0.15)
    assert treated.conversion_rate.low < 0.15 < treated.conversion_rate.high
    [over_holdout] = treated.conversion_lifts
    assert over_holdout.versus == "holdout"
    assert over_holdout.absolute.estimate == pytest.approx(0.15 - 1 / 22)
    assert report.holdout_sample_ratio is not None
    # 22 of 222 carts held out, 10% planned: as expected
    assert report.holdout_sample_ratio.observed == {"holdout": 22, "journey": 200}
    assert not report.holdout_sample_ratio.mismatch
    assert report.incremental_revenue is not None
    assert report.incremental_revenue.estimate == pytest.approx(200 * (15 - 100 / 22))


async def test_each_arm_is_compared_with_the_holdout_and_the_other_arm(
    report: JourneyReport,
) -> None:
    [experiment] = report.experiments
    assert (experiment.experiment, experiment.control, experiment.path) == (
        "subject",
        "help",
        "steps[0]",
    )
    assert experiment.rule == "decide on conversion with at least 100 carts per arm"
    help_arm, scarcity = experiment.arms
    assert (help_arm.name, help_arm.carts, help_arm.conversions) == ("help", 100, 20)
    assert (scarcity.name, scarcity.carts, scarcity.conversions) == ("scarcity", 100, 10)
    versus = {lift.versus: lift for lift in help_arm.conversion_lifts}
    assert set(versus) == {"holdout", "arm scarcity"}
    assert versus["arm scarcity"].absolute.estimate == pytest.approx(0.10)
    assert versus["arm scarcity"].relative is not None
    assert versus["arm scarcity"].relative.estimate == pytest.approx(1.0)
    assert experiment.sample_ratio.observed == {"help": 100, "scarcity": 100}
    assert not experiment.sample_ratio.mismatch
    assert experiment.decision is None
    assert experiment.projection is not None and "more carts" in experiment.projection


def _find(nodes: list[StepNode], path: str) -> StepNode:
    for node in nodes:
        if node.path == path:
            return node
        for branch in node.children:
            try:
                return _find(branch.steps, path)
            except LookupError:
                pass
    raise LookupError(path)


async def test_the_step_tree_counts_each_message_and_keeps_machine_opens_apart(
    report: JourneyReport,
) -> None:
    split = _find(report.steps, "steps[0]")
    assert split.counts.entered == 200
    assert [b.label for b in split.children] == [
        "arm help (50%): 100 carts",
        "arm scarcity (50%): 100 carts",
    ]
    counts = _find(report.steps, HELP_STEP).counts
    assert (counts.entered, counts.sent, counts.delivered) == (100, 100, 100)
    assert (counts.opened, counts.machine_opened, counts.clicked) == (40, 30, 15)
    assert counts.converted_after == 20
    assert _find(report.steps, "steps[2]").counts.sent == 0  # r3 never went out here


async def test_days_releases_and_recent_carts(report: JourneyReport) -> None:
    [day] = report.daily
    assert day.day == ABANDONED_AT.date()
    assert (day.carts, day.conversions, day.revenue) == (200, 30, 3000.0)
    assert (day.holdout_carts, day.holdout_revenue) == (22, 100.0)
    assert day.incremental_revenue == pytest.approx(3000 - 200 * 100 / 22)
    [release] = report.releases
    assert (release.version, release.carts, release.held_out) == (7, 222, 22)
    latest, *others = report.recent_carts
    assert len(others) == 19
    assert (latest.cart_id, latest.outcome, latest.revenue) == ("help-0", "recovered", 100.0)
    assert latest.arms == {"subject": "help"}
    assert latest.temporal_url == (
        "http://localhost:8233/namespaces/default/workflows/cart-demo_shop-help-0/run-help-0"
        "/history"
    )
    # still on their way: no outcome yet, their arm from the assignment
    assert {(c.outcome, c.arms["subject"]) for c in others} == {(None, "scarcity")}


async def test_a_shop_sees_only_its_carts_and_since_cuts_by_abandonment(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    release = await publish_release(session_factory)
    await add_carts(
        session_factory,
        release,
        [
            CartRecord(cart_id="a", arms={"subject": "help"}),
            CartRecord(cart_id="b", arms={"subject": "help"}, shop="other_shop"),
            CartRecord(
                cart_id="c",
                arms={"subject": "help"},
                abandoned_at=ABANDONED_AT - timedelta(days=5),
            ),
        ],
    )

    report = await report_at(
        session_factory,
        ABANDONED_AT + timedelta(days=1),
        shops=["demo_shop"],
        since=ABANDONED_AT - timedelta(days=1),
    )

    assert report.treated.carts == 1
    assert report.shop == "demo_shop"


async def test_a_holdout_far_from_its_share_is_flagged_in_words(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    release = await publish_release(session_factory)  # holdout: 10%
    carts = [CartRecord(cart_id=f"t{n}", arms={"subject": "help"}) for n in range(60)]
    carts += [CartRecord(cart_id=f"h{n}", held_out=True) for n in range(40)]
    await add_carts(session_factory, release, carts)

    report = await report_at(session_factory, ABANDONED_AT + timedelta(days=1))

    assert report.holdout_sample_ratio is not None and report.holdout_sample_ratio.mismatch
    assert "Holdout share: MISMATCH" in format_report(report)


async def test_carts_still_in_their_window_are_counted_but_not_compared(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # A timing experiment: the fast arm's buyers buy a day after abandonment, the slow
    # arm's three days after; both end at 30%. Looked at on day two, the fast arm would look
    # far better if carts still in their (4-day) window counted as not converted.
    release = await publish_release(session_factory)
    carts = []
    for arm, bought_after in (("help", timedelta(days=1)), ("scarcity", timedelta(days=3))):
        carts += [
            CartRecord(
                cart_id=f"{arm}-{n}",
                arms={"subject": arm},
                revenue=Decimal("100") if n < 60 else None,
                bought_after=bought_after,
            )
            for n in range(200)
        ]
    await add_carts(session_factory, release, carts)

    async def report_on(day: int) -> JourneyReport:
        return await report_at(session_factory, ABANDONED_AT + timedelta(days=day))

    early, late = await report_on(2), await report_on(5)

    [arms_early] = early.experiments
    assert [(a.carts, a.measured_carts, a.conversions) for a in arms_early.arms] == [
        (200, 0, 60),  # bought already: counted, not compared yet
        (200, 0, 0),
    ]
    assert not any(lift.significant for a in arms_early.arms for lift in a.conversion_lifts)
    [arms_late] = late.experiments
    assert [(a.measured_carts, a.conversions) for a in arms_late.arms] == [(200, 60), (200, 60)]
    help_arm = arms_late.arms[0]
    [versus_scarcity] = [lift for lift in help_arm.conversion_lifts if lift.versus != "holdout"]
    assert versus_scarcity.absolute.estimate == 0


async def test_the_sample_ratio_check_counts_customers_when_arms_stick_to_them(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # 100 customers in each arm; 20 of scarcity's come back with 5 carts each. Counted by
    # cart that is 100 against 180, a "mismatch"; by customer, as planned.
    release = await publish_release(session_factory)
    carts = [
        CartRecord(cart_id=f"h{n}", customer_id=f"ch{n}", arms={"subject": "help"})
        for n in range(100)
    ]
    for n in range(100):
        repeats = 5 if n < 20 else 1
        carts += [
            CartRecord(cart_id=f"s{n}-{k}", customer_id=f"cs{n}", arms={"subject": "scarcity"})
            for k in range(repeats)
        ]
    await add_carts(session_factory, release, carts)

    report = await report_at(session_factory, ABANDONED_AT + timedelta(days=10))

    [experiment] = report.experiments
    assert [arm.carts for arm in experiment.arms] == [100, 180]
    assert experiment.sample_ratio.observed == {"help": 100, "scarcity": 100}
    assert not experiment.sample_ratio.mismatch


async def test_a_cart_that_took_the_winner_after_a_decision_leaves_its_own_arm(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    release = await publish_release(session_factory)
    carts = [CartRecord(cart_id=f"h{n}", arms={"subject": "help"}) for n in range(10)]
    carts += [CartRecord(cart_id=f"s{n}", arms={"subject": "scarcity"}) for n in range(10)]
    # assigned scarcity, reached the split once help had won: help's message, not scarcity's
    carts += [
        CartRecord(cart_id=f"late{n}", arms={"subject": "scarcity"}, took="help") for n in range(4)
    ]
    await add_carts(session_factory, release, carts)

    report = await report_at(session_factory, ABANDONED_AT + timedelta(days=10))

    [experiment] = report.experiments
    assert [(arm.name, arm.carts) for arm in experiment.arms] == [("help", 10), ("scarcity", 10)]
