"""The offers' cost beside what they brought back: coupons issued to a group's carts, those
redeemed by the orders that converted them, and the discount, by arm, release and in all."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reports.model import JourneyReport
from reports.text import format_report
from storage.models import CouponRedemption
from tests.reports.test_journey_report import report_at
from tests.support.coupons import add_coupon
from tests.support.journey_data import ABANDONED_AT, CartRecord, add_carts, publish_release
from workflows.client import cart_workflow_id

HELP, SCARCITY = {"subject": "help"}, {"subject": "scarcity"}


def _cart(
    cart_id: str, arms: dict[str, str], revenue: str | None = None, **more: object
) -> CartRecord:
    return CartRecord(
        cart_id=cart_id,
        arms=arms,
        revenue=Decimal(revenue) if revenue else None,
        **more,  # type: ignore[arg-type]
    )


CARTS = [
    _cart("help-0", HELP, "1000"),  # our coupon, redeemed (in lower case): 100 off
    _cart("help-1", HELP, "500"),  # our coupon, its order used none
    _cart("help-2", HELP),  # our coupon, never bought
    _cart("help-3", HELP),  # a coupon the platform refused: not issued
    _cart("help-4", HELP, "800", bought_after=timedelta(days=10)),  # redeemed after the window
    _cart("scarcity-0", SCARCITY, "600"),  # a fixed 50 coupon, the order said no amount
    _cart("scarcity-1", SCARCITY, "400"),  # the shop's own code, not ours
    _cart("held-0", {}, "300", held_out=True),
]
# (cart, code, state, fixed amount)
COUPONS = [
    ("help-0", "HELP-0", "issued", None),
    ("help-1", "HELP-1", "issued", None),
    ("help-2", "HELP-2", "issued", None),
    ("help-3", "HELP-3", "failed", None),
    ("help-4", "HELP-4", "issued", None),
    ("scarcity-0", "SC-0", "issued", Decimal("50")),
]
# (cart whose order used it, code as the order reported it, amount)
REDEEMED = [
    ("help-0", "help-0", Decimal("100")),
    ("help-4", "HELP-4", Decimal("80")),
    ("scarcity-0", "SC-0", None),
    ("scarcity-1", "WELCOME", Decimal("40")),
]


@pytest.fixture
async def report(session_factory: async_sessionmaker[AsyncSession]) -> JourneyReport:
    release = await publish_release(session_factory)
    await add_carts(session_factory, release, CARTS)
    for cart_id, code, state, amount in COUPONS:
        await add_coupon(
            session_factory,
            shop="demo_shop",
            code=code,
            workflow_id=cart_workflow_id("demo_shop", cart_id),
            run_id=f"run-{cart_id}",
            state=state,
            amount=amount,
        )
    async with session_factory() as session:
        for cart_id, code, amount in REDEEMED:
            session.add(
                CouponRedemption(
                    shop="demo_shop",
                    order_id=f"order-{cart_id}",
                    code=code,
                    amount=amount,
                    currency="TRY",
                    redeemed_at=ABANDONED_AT + timedelta(hours=5),
                )
            )
        await session.commit()
    return await report_at(session_factory, ABANDONED_AT + timedelta(days=30))


async def test_each_arm_counts_its_coupons_and_the_discount_on_its_conversions(
    report: JourneyReport,
) -> None:
    [experiment] = report.experiments
    help_arm, scarcity = experiment.arms
    # help: HELP-0, 1, 2 and 4 issued (3 failed); only HELP-0 redeemed by a converting
    # order (HELP-4's order came after the window): 100 off its 1,000
    assert (help_arm.carts, help_arm.conversions, help_arm.revenue) == (5, 2, 1500.0)
    assert (help_arm.coupons_issued, help_arm.coupons_redeemed, help_arm.discount) == (
        4,
        1,
        100.0,
    )
    # scarcity: SC-0 redeemed without an amount: its fixed 50; WELCOME is not ours
    assert (scarcity.coupons_issued, scarcity.coupons_redeemed, scarcity.discount) == (1, 1, 50.0)


async def test_the_totals_and_the_release_add_the_arms_up(report: JourneyReport) -> None:
    treated, holdout = report.treated, report.holdout
    assert holdout is not None
    assert (treated.revenue, treated.coupons_issued, treated.coupons_redeemed) == (2500.0, 5, 2)
    assert treated.discount == 150.0
    assert (holdout.coupons_issued, holdout.coupons_redeemed, holdout.discount) == (0, 0, 0.0)
    [release] = report.releases
    assert (release.revenue, release.coupons_issued, release.coupons_redeemed) == (2500.0, 5, 2)
    assert release.discount == 150.0


async def test_the_text_and_the_json_report_show_the_cost(report: JourneyReport) -> None:
    text = format_report(report)

    assert (
        "  coupons 5 issued, 2 redeemed, discount TRY 150.00 (the revenue above is net of it)"
        in text
    )
    assert "    coupons 4 issued, 1 redeemed, discount TRY 100.00" in text  # arm help
    assert "TRY 2,500.00 recovered; coupons 5 issued, 2 redeemed, discount TRY 150.00" in text
    treated = json.loads(report.model_dump_json())["treated"]
    assert (treated["coupons_issued"], treated["coupons_redeemed"], treated["discount"]) == (
        5,
        2,
        150.0,
    )
