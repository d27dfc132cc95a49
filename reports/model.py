"""The journey report: what `cartnudge report`, `GET /v1/reports/journeys/{journey}` and
the dashboard show, built by reports/journey_report.py from storage/reports.py.

Conventions every field follows:
- A cart is a cart that entered the journey (abandoned, entry condition passed).
- Converted means an order for the cart placed within the journey's attribution window
  after abandonment (journey_schema/clock.py), the same rule in every group.
- Click-attributed conversions (an order after a click on one of our links, within the
  window) are a secondary number; opens are shown, never decide anything, and machine
  opens (Apple Mail Privacy Protection, flagged by the provider) are counted apart.
- Intervals are 95% and always valid: safe to look at every day.
- Money is in the report's currency; carts in other currencies are counted, and their
  revenue is left out of money figures (`other_currency_carts` says how many).
- Revenue is the orders' totals, which the shop's platform reports after discounts: it
  is already net of every discount. `discount` is what cartnudge's own coupons took off
  the converted carts' orders, the cost of the offers beside what they brought back
  (`revenue + discount` is what those orders would have cost at full price).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# An interval's end without a bound yet (too little data) is infinite here and null in JSON.
Bound = Annotated[
    float,
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "null"}],
            "description": "null: not enough data yet to bound it",
        }
    ),
]


class Interval(_Frozen):
    estimate: float
    low: Bound
    high: Bound


class Lift(_Frozen):
    """One group against another: the difference and whether it is clear yet."""

    versus: str = Field(description='What it is measured against: "holdout" or "arm <name>".')
    absolute: Interval = Field(description="Difference, e.g. 0.02 = two percentage points.")
    relative: Interval | None = Field(
        description="Difference over the baseline, e.g. 0.15 = 15% more; None when the "
        "baseline is zero."
    )
    p_value: float
    significant: bool = Field(description="The interval excludes no difference.")


class GroupResult(_Frozen):
    """One group of carts: an arm, the treated carts of a journey, or the holdout."""

    name: str
    carts: int
    measured_carts: int = Field(
        default=0,
        description="Carts whose attribution window has closed: rates, revenue per cart and "
        "lifts count these only (a cart still in its window may yet buy, and sooner in a "
        "group that is messaged sooner).",
    )
    weight_percent: float | None = None  # an arm's or the holdout's planned share
    conversions: int
    click_conversions: int = Field(description="Orders after a click on one of our links.")
    revenue: float = Field(description="Orders of converted carts, net of their discounts.")
    coupons_issued: int = Field(default=0, description="Coupons cartnudge issued to the carts.")
    coupons_redeemed: int = Field(
        default=0, description="Of those, the ones used by an order that converted its cart."
    )
    discount: float = Field(
        default=0.0,
        description="What the redeemed coupons took off those orders: the offers' cost.",
    )
    conversion_rate: Interval
    revenue_per_cart: Interval
    conversion_lifts: list[Lift] = []
    revenue_lifts: list[Lift] = []


class SampleRatioStatus(_Frozen):
    p_value: float | None  # None: too few carts to check
    mismatch: bool  # p < 0.001: assignment is broken, do not trust the numbers
    expected: dict[str, float]  # group -> planned share
    observed: dict[str, int]  # group -> customers (carts for `assign: cart`)


class DecisionAction(StrEnum):
    DECIDED = "decided"  # a winner: new carts reaching the split take it
    STOPPED = "stopped"  # ended without a winner: new carts take the control (first arm)


class DecisionView(_Frozen):
    action: DecisionAction
    arm: str
    decided_by: str  # a person, or "rule"
    decided_at: datetime
    reason: str


class ExperimentResult(_Frozen):
    experiment: str
    release_id: str
    version: int
    path: str  # the split step, e.g. "steps[0]"
    assign: str  # "customer" or "cart"
    control: str  # the first arm
    rule: str | None  # "decide on conversion with at least 100 carts per arm"
    arms: list[GroupResult]
    sample_ratio: SampleRatioStatus
    decision: DecisionView | None
    projection: str | None = Field(
        description='e.g. "needs about 1,800 more carts to detect a lift of 2 points"'
    )
    carts_after_decision: int = 0


class StepCounts(_Frozen):
    """Counts at one step; None where the step has nothing of the kind to count."""

    entered: int | None = None  # carts that reached the step
    sent: int | None = None
    delivered: int | None = None
    opened: int | None = None  # human opens
    machine_opened: int | None = None
    clicked: int | None = None
    converted_after: int | None = None  # carts sent this message that converted after it


class StepNode(_Frozen):
    path: str  # "steps[2].else[0]"
    kind: str  # wait, send, wait_for, branch, split, exit
    label: str  # "send email reminder (r1)", "wait 1h", "split first_wait"
    counts: StepCounts
    children: list[StepBranch] = []


class StepBranch(_Frozen):
    label: str  # "then", "else", "arm fast (50%)"
    steps: list[StepNode]


class DayFigures(_Frozen):
    day: date
    carts: int
    conversions: int
    revenue: float  # recovered: treated carts' orders within the window
    holdout_carts: int
    holdout_revenue: float
    # revenue minus what the holdout's revenue per cart predicts; None without a holdout
    incremental_revenue: float | None


class RecentCart(_Frozen):
    shop: str
    cart_id: str
    abandoned_at: datetime
    version: int
    held_out: bool
    arms: dict[str, str]
    outcome: str | None  # None while its journey runs
    revenue: float | None
    temporal_url: str


class ReleaseSummary(_Frozen):
    release_id: str
    version: int
    carts: int  # every cart of the release, held out or not
    held_out: int
    conversions: int  # of its messaged carts
    revenue: float  # recovered: its messaged carts' orders in the window (net of discounts)
    coupons_issued: int = 0  # to its messaged carts
    coupons_redeemed: int = 0  # by orders that converted them
    discount: float = 0.0  # what those coupons took off: the offers' cost


class JourneyReport(_Frozen):
    journey: str
    shop: str | None  # None: every shop the reader may see
    since: datetime | None
    until: datetime
    currency: str
    other_currency_carts: int
    attribution: str  # "an order within 6d12h of abandonment" (the longest window)
    treated: GroupResult  # every cart not held out
    holdout: GroupResult | None  # None: the journey holds nobody out
    incremental_revenue: Interval | None  # treated carts x (revenue per cart - holdout's)
    # held-out vs messaged carts against the planned share, in the newest release with one
    holdout_sample_ratio: SampleRatioStatus | None = None
    releases: list[ReleaseSummary]
    experiments: list[ExperimentResult]
    steps: list[StepNode]  # the tree of the newest release in the report
    steps_version: int | None
    daily: list[DayFigures]
    recent_carts: list[RecentCart]


StepNode.model_rebuild()
