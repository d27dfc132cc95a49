"""A journey report built by hand, with something in every part of the page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from reports.model import (
    DayFigures,
    DecisionAction,
    DecisionView,
    ExperimentResult,
    GroupResult,
    Interval,
    JourneyReport,
    Lift,
    RecentCart,
    ReleaseSummary,
    SampleRatioStatus,
    StepBranch,
    StepCounts,
    StepNode,
)

INF = float("inf")


def group(name: str, carts: int, conversions: int, revenue: float, **extra: Any) -> GroupResult:
    rate = conversions / carts
    values: dict[str, Any] = {
        "name": name,
        "carts": carts,
        "conversions": conversions,
        "click_conversions": conversions // 2,
        "revenue": revenue,
        "conversion_rate": Interval(estimate=rate, low=max(rate - 0.05, 0), high=rate + 0.05),
        "revenue_per_cart": Interval(
            estimate=revenue / carts, low=revenue / carts - 3, high=revenue / carts + 3
        ),
    }
    return GroupResult(**{**values, **extra})


def lift(versus: str, estimate: float, *, significant: bool = False) -> Lift:
    return Lift(
        versus=versus,
        absolute=Interval(estimate=estimate, low=estimate - 0.03, high=estimate + 0.03),
        relative=Interval(estimate=estimate * 3, low=-INF, high=INF),
        p_value=0.01 if significant else 0.4,
        significant=significant,
    )


def sample_report(
    journey: str = "abandoned_cart", shop: str = "demo_shop", **changes: Any
) -> JourneyReport:
    send = StepNode(
        path="steps[1]",
        kind="send",
        label="send email reminder (r1)",
        counts=StepCounts(
            entered=180, sent=170, delivered=165, opened=70, machine_opened=31, clicked=22,
            converted_after=19,
        ),
    )  # fmt: skip
    split = StepNode(
        path="steps[0]",
        kind="split",
        label="split first_wait",
        counts=StepCounts(entered=180),
        children=[
            StepBranch(
                label="arm fast (50%)",
                steps=[StepNode(path="steps[0].arms.fast[0]", kind="wait", label="wait 1h",
                                counts=StepCounts(entered=91))],
            ),
            StepBranch(
                label="arm slow (50%)",
                steps=[StepNode(path="steps[0].arms.slow[0]", kind="wait", label="wait 12h",
                                counts=StepCounts(entered=89))],
            ),
        ],
    )  # fmt: skip
    treated = group(
        "treated", 180, 27, 35097.3, conversion_lifts=[lift("holdout", 0.05, significant=True)],
        coupons_issued=40, coupons_redeemed=9, discount=1234.5,
    )  # fmt: skip
    values: dict[str, Any] = {
        "journey": journey,
        "shop": shop,
        "since": None,
        "until": datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        "currency": "TRY",
        "other_currency_carts": 2,
        "attribution": "an order within 6d12h of abandonment",
        "treated": treated,
        "holdout": group("holdout", 20, 2, 2599.8, weight_percent=10.0),
        "incremental_revenue": Interval(estimate=9123.45, low=-1200.5, high=19447.4),
        "releases": [
            ReleaseSummary(release_id="a" * 64, version=3, carts=200, held_out=20,
                           conversions=29, revenue=37697.1, coupons_issued=40,
                           coupons_redeemed=9, discount=1234.5),
        ],
        "experiments": [
            ExperimentResult(
                experiment="first_wait",
                release_id="a" * 64,
                version=3,
                path="steps[0]",
                assign="customer",
                control="fast",
                rule="decide on conversion with at least 100 carts per arm",
                arms=[
                    group("fast", 91, 16, 20798.4, weight_percent=50.0,
                          conversion_lifts=[lift("holdout", 0.08), lift("slow", 0.05)],
                          coupons_issued=22, coupons_redeemed=5, discount=700.0),
                    group("slow", 89, 11, 14298.9, weight_percent=50.0,
                          conversion_lifts=[lift("holdout", 0.02), lift("fast", -0.05)]),
                ],
                sample_ratio=SampleRatioStatus(
                    p_value=0.0002, mismatch=True, expected={"fast": 0.5, "slow": 0.5},
                    observed={"fast": 91, "slow": 89},
                ),
                decision=None,
                projection="needs about 1,800 more carts to detect a lift of 2 points",
            ),
        ],
        "steps": [split, send],
        "steps_version": 3,
        "daily": [
            DayFigures(day=date(2026, 11, 28), carts=60, conversions=9, revenue=11699.1,
                       holdout_carts=7, holdout_revenue=0, incremental_revenue=11699.1),
            DayFigures(day=date(2026, 11, 29), carts=70, conversions=8, revenue=10399.2,
                       holdout_carts=6, holdout_revenue=1299.9, incremental_revenue=-433.1),
            DayFigures(day=date(2026, 11, 30), carts=70, conversions=10, revenue=12999.0,
                       holdout_carts=7, holdout_revenue=1299.9, incremental_revenue=1857.0),
        ],
        "recent_carts": [
            RecentCart(shop=shop, cart_id="abc", abandoned_at=datetime(2026, 11, 30, 9, 30,
                       tzinfo=UTC), version=3, held_out=False, arms={"first_wait": "fast"},
                       outcome="recovered", revenue=1299.9,
                       temporal_url="http://localhost:8233/namespaces/default/workflows/cart-demo_shop-abc"),
        ],
    }  # fmt: skip
    return JourneyReport(**{**values, **changes})


def decided(experiment: ExperimentResult) -> ExperimentResult:
    return experiment.model_copy(
        update={
            "decision": DecisionView(
                action=DecisionAction.DECIDED,
                arm="fast",
                decided_by="rule",
                decided_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
                reason="fast converts better",
            )
        }
    )
