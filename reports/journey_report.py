"""Build a journey's report (reports/model.py) from the report queries (storage/reports.py)
and the always-valid statistics (experiments/sequential.py).

What is compared with what:
- the treated carts (every cart not held out) with the holdout: what the journey adds;
- each experiment arm with the holdout of its release and with the other arms. An arm's
  carts are every cart assigned to it when it entered the journey, whether or not it
  reached the split yet (intention to treat): the held-out carts entered the same way,
  so the groups stay alike even when a split comes after a wait.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from experiments.sample_ratio import sample_ratio_check
from experiments.sequential import (
    Comparison,
    NotEnoughData,
    Sample,
    carts_needed,
    compare,
    default_mixture_sd,
    mean_interval,
)
from experiments.sequential import Interval as StatsInterval
from journey_schema.clock import attribution_window
from journey_schema.durations import format_duration
from journey_schema.models import Assign, Metric, SplitSpec
from journey_schema.release import Release, from_content
from journey_schema.walk import splits
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
)
from reports.step_tree import step_tree
from settings import Settings
from storage import decisions, releases
from storage import reports as queries
from storage.decisions import StoredDecision
from storage.reports import ReportScope, Totals

HOLDOUT = "holdout"
TREATED = "journey"  # the messaged carts
# The mixing scale tau of the always-valid statistics must be fixed before any outcome is
# seen (experiments/sequential.py), so it is not taken from the conversions: it assumes a
# recovery rate of one cart in ten, and for revenue per cart that rate times the carts'
# own value, which is known at abandonment and is alike in every group.
PRIOR_CONVERSION = 0.10
# The lift the projection asks about: a fifth more than the control converts, at least
# one percentage point (smaller lifts need more carts than most shops ever have).
PROJECTED_RELATIVE_LIFT = 0.2
PROJECTED_MIN_LIFT = 0.01
PROJECTED_POWER = 0.8  # "needs N more carts": the carts at which such a lift shows 4 times in 5


async def journeys_of(
    sessions: async_sessionmaker[AsyncSession], shops: Sequence[str] | None
) -> list[str]:
    """The journeys carts of these shops entered."""
    async with sessions() as session:
        return await queries.journeys_of(session, shops)


async def journey_report(
    sessions: async_sessionmaker[AsyncSession],
    *,
    journey: str,
    shops: Sequence[str] | None,
    since: datetime | None,
    settings: Settings,
    now: datetime | None = None,
) -> JourneyReport:
    """The journey's report over its carts in these shops (None: all) since `since`."""
    base = ReportScope(journey, shops, since, now or datetime.now(UTC))
    async with sessions() as session:
        scope, other_currency_carts = await queries.in_main_currency(session, base)
        data = _Data(
            releases=await queries.totals_by_release(session, scope),
            arms=await queries.totals_by_arm(session, scope),
            reached=await queries.carts_at_splits(session, scope),
            steps=await queries.totals_by_step(session, scope),
            days=await queries.totals_by_day(session, scope),
            recent=await queries.recent_entries(session, scope),
            customers=await queries.customers_by_group(session, scope),
        )
        release_ids = sorted({r.release_id for r in data.releases})
        definitions = await _releases(session, release_ids)
        decided = await decisions.decisions_of(session, release_ids)
        recent_arms = await queries.arms_of_runs(
            session, [(e.workflow_id, e.run_id) for e in data.recent]
        )
    return _report(
        scope,
        data,
        definitions,
        decided,
        recent_arms,
        other_currency_carts=other_currency_carts,
        settings=settings,
    )


@dataclass(frozen=True)
class _Data:
    releases: list[queries.ReleaseTotals]
    arms: list[queries.ArmTotals]
    reached: list[queries.SplitReached]
    steps: list[queries.StepTotals]
    days: list[queries.DayTotals]
    recent: list[queries.RecentEntry]
    customers: dict[tuple[str, str, str], int]


async def _releases(session: AsyncSession, release_ids: Sequence[str]) -> dict[str, Release]:
    found: dict[str, Release] = {}
    for release_id in release_ids:
        stored = await releases.release_by_id(session, release_id)
        if stored is not None:
            found[release_id] = from_content(stored.content)
    return found


def _report(
    scope: ReportScope,
    data: _Data,
    definitions: dict[str, Release],
    decided: list[StoredDecision],
    recent_arms: dict[tuple[str, str], dict[str, str]],
    *,
    other_currency_carts: int,
    settings: Settings,
) -> JourneyReport:
    rows = data.releases
    with_holdout = {
        r.release_id for r in rows if r.held_out or _holds_out(definitions, r.release_id)
    }
    treated_totals = _sum(r.totals for r in rows if not r.held_out)
    held_totals = _sum(r.totals for r in rows if r.held_out)
    # Compared: carts whose window closed, of the releases that hold customers out (a
    # release without a holdout has no baseline of its own).
    treated_measured = _sum(r.totals for r in rows if not r.held_out and r.closed)
    comparable = _sum(
        r.totals for r in rows if not r.held_out and r.closed and r.release_id in with_holdout
    )
    held_measured = _sum(r.totals for r in rows if r.held_out and r.closed)
    holdout = _group(HOLDOUT, held_totals, held_measured) if with_holdout else None
    treated = _group(
        TREATED,
        treated_totals,
        treated_measured,
        baselines=[(HOLDOUT, comparable, held_measured)] if holdout else [],
    )
    newest = max(definitions.values(), key=lambda r: r.version, default=None)
    return JourneyReport(
        journey=scope.journey,
        shop=scope.shops[0] if scope.shops and len(scope.shops) == 1 else None,
        since=scope.since,
        until=scope.until,
        currency=scope.currency or queries.NO_CURRENCY,
        other_currency_carts=other_currency_carts,
        attribution=_attribution(definitions.values()),
        treated=treated,
        holdout=holdout,
        incremental_revenue=_incremental(comparable, held_measured) if holdout else None,
        holdout_sample_ratio=_holdout_ratio(data.customers, definitions),
        releases=_release_summaries(data.releases),
        experiments=_experiments(data, definitions, decided),
        steps=step_tree(newest, data.steps, data.reached) if newest else [],
        steps_version=newest.version if newest else None,
        daily=_days(data.days, held_totals),
        recent_carts=[
            _recent(entry, recent_arms.get((entry.workflow_id, entry.run_id), {}), settings)
            for entry in data.recent
        ],
    )


# --- groups and their statistics ---------------------------------------------------


def _sum(parts: Iterable[Totals]) -> Totals:
    items = list(parts)
    return Totals(
        carts=sum(t.carts for t in items),
        conversions=sum(t.conversions for t in items),
        click_conversions=sum(t.click_conversions for t in items),
        revenue=sum((t.revenue for t in items), Decimal(0)),
        revenue_squares=sum((t.revenue_squares for t in items), Decimal(0)),
        cart_value=sum((t.cart_value for t in items), Decimal(0)),
        coupons_issued=sum(t.coupons_issued for t in items),
        coupons_redeemed=sum(t.coupons_redeemed for t in items),
        discount=sum((t.discount for t in items), Decimal(0)),
    )


def _conversion_sample(totals: Totals) -> Sample:
    return Sample(n=totals.carts, total=totals.conversions, total_squares=totals.conversions)


def _revenue_sample(totals: Totals) -> Sample:
    return Sample(
        n=totals.carts, total=float(totals.revenue), total_squares=float(totals.revenue_squares)
    )


def _samples(totals: Totals) -> dict[Metric, Sample]:
    return {
        Metric.CONVERSION: _conversion_sample(totals),
        Metric.REVENUE_PER_CART: _revenue_sample(totals),
    }


def _interval(interval: StatsInterval) -> Interval:
    return Interval(estimate=interval.estimate, low=interval.low, high=interval.high)


def _lift(versus: str, comparison: Comparison) -> Lift:
    return Lift(
        versus=versus,
        absolute=_interval(comparison.difference),
        relative=_interval(comparison.relative) if comparison.relative else None,
        p_value=comparison.p_value,
        significant=comparison.significant,
    )


def _tau(metric: Metric, *groups: Totals) -> float:
    if metric == Metric.CONVERSION:
        return default_mixture_sd(metric, PRIOR_CONVERSION)
    carts = sum(g.carts for g in groups)
    cart_value = float(sum((g.cart_value for g in groups), Decimal(0))) / carts if carts else 0
    # without a cart of any value there is no money scale: any tau gives "not enough data"
    return default_mixture_sd(metric, PRIOR_CONVERSION * cart_value) if cart_value > 0 else 1.0


def _holds_out(definitions: dict[str, Release], release_id: str) -> bool:
    release = definitions.get(release_id)
    return bool(release and release.definition.holdout)


def _group(
    name: str,
    totals: Totals,
    measured: Totals,
    *,
    baselines: Sequence[tuple[str, Totals, Totals]] = (),
    weight_percent: float | None = None,
) -> GroupResult:
    """A group's figures: counts and money over all its carts (`totals`), rates and lifts
    over those whose window has closed (`measured`). Each baseline is (name, this group's
    carts compared with it, the baseline's carts): usually `measured` and the other's."""
    samples = _samples(measured)
    conversion_lifts: list[Lift] = []
    revenue_lifts: list[Lift] = []
    for versus, mine, other in baselines:
        if other.carts == 0 or mine.carts == 0:
            continue
        ours, others = _samples(mine), _samples(other)
        for metric, lifts in (
            (Metric.CONVERSION, conversion_lifts),
            (Metric.REVENUE_PER_CART, revenue_lifts),
        ):
            tau = _tau(metric, mine, other)
            lifts.append(_lift(versus, compare(ours[metric], others[metric], mixture_sd=tau)))
    return GroupResult(
        name=name,
        carts=totals.carts,
        measured_carts=measured.carts,
        weight_percent=weight_percent,
        conversions=totals.conversions,
        click_conversions=totals.click_conversions,
        revenue=float(totals.revenue),
        coupons_issued=totals.coupons_issued,
        coupons_redeemed=totals.coupons_redeemed,
        discount=float(totals.discount),
        conversion_rate=_mean(
            samples[Metric.CONVERSION], _tau(Metric.CONVERSION, measured), highest=1.0
        ),
        revenue_per_cart=_mean(
            samples[Metric.REVENUE_PER_CART], _tau(Metric.REVENUE_PER_CART, measured)
        ),
        conversion_lifts=conversion_lifts,
        revenue_lifts=revenue_lifts,
    )


def _mean(sample: Sample, tau: float, *, highest: float = math.inf) -> Interval:
    """A group's rate or revenue per cart, its interval kept where the metric can be: a
    rate between 0 and 1, revenue per cart at least 0 (the normal approximation is not)."""
    interval = mean_interval(sample, mixture_sd=tau)
    return Interval(
        estimate=interval.estimate,
        low=min(max(interval.low, 0.0), highest),
        high=max(min(interval.high, highest), 0.0),
    )


def _incremental(treated: Totals, held: Totals) -> Interval:
    """What the treated carts bought beyond what the holdout's revenue per cart predicts:
    the difference in revenue per cart (and its interval), times the treated carts."""
    comparison = compare(
        _revenue_sample(treated),
        _revenue_sample(held),
        mixture_sd=_tau(Metric.REVENUE_PER_CART, treated, held),
    )
    carts = treated.carts
    difference = comparison.difference
    return Interval(
        estimate=difference.estimate * carts,
        low=difference.low * carts,
        high=difference.high * carts,
    )


# --- experiments ---------------------------------------------------------------------


def _experiments(
    data: _Data, definitions: dict[str, Release], decided: list[StoredDecision]
) -> list[ExperimentResult]:
    decision_of = {(d.release_id, d.experiment): d for d in decided}
    results = []
    for release in sorted(definitions.values(), key=lambda r: r.version, reverse=True):
        for path, split in splits(release.definition.steps):
            results.append(
                experiment_result(
                    release,
                    path,
                    split,
                    ArmFigures.of(data.arms, release.id, split.experiment, data.customers),
                    held=measured_holdout(data.releases, release.id),
                    decision=decision_of.get((release.id, split.experiment)),
                )
            )
    return results


@dataclass(frozen=True)
class ArmFigures:
    """An experiment's arms: every cart (counts, the sample-ratio check) and those whose
    window closed (rates and lifts); carts that entered after a decision apart."""

    every: dict[str, Totals]
    measured: dict[str, Totals]
    after_decision: int
    customers: dict[str, int]  # distinct customers per arm (the sample-ratio check's units)

    @classmethod
    def of(
        cls,
        rows: Iterable[queries.ArmTotals],
        release_id: str,
        experiment: str,
        customers: dict[tuple[str, str, str], int],
    ) -> ArmFigures:
        every: dict[str, list[Totals]] = {}
        measured: dict[str, list[Totals]] = {}
        after = 0
        for row in rows:
            if row.release_id != release_id or row.experiment != experiment:
                continue
            if row.after_decision:
                after += row.totals.carts
                continue
            every.setdefault(row.arm, []).append(row.totals)
            if row.closed:
                measured.setdefault(row.arm, []).append(row.totals)
        return cls(
            every={arm: _sum(t) for arm, t in every.items()},
            measured={arm: _sum(t) for arm, t in measured.items()},
            after_decision=after,
            customers={
                arm: count
                for (release, name, arm), count in customers.items()
                if release == release_id and name == experiment
            },
        )


def measured_holdout(rows: Iterable[queries.ReleaseTotals], release_id: str) -> Totals | None:
    """The release's held-out carts whose window closed, if it holds any out."""
    held = [r.totals for r in rows if r.release_id == release_id and r.held_out and r.closed]
    return _sum(held) if held else None


def experiment_result(
    release: Release,
    path: str,
    split: SplitSpec,
    arms: ArmFigures,
    *,
    held: Totals | None,
    decision: StoredDecision | None,
) -> ExperimentResult:
    """One experiment's arms, each against the holdout and the other arms."""
    empty = Totals(0, 0, 0, Decimal(0), Decimal(0))
    totals = {name: arms.every.get(name, empty) for name in split.arms}
    measured = {name: arms.measured.get(name, empty) for name in split.arms}
    groups = []
    for name, arm_totals in totals.items():
        mine = measured[name]
        baselines = [(HOLDOUT, mine, held)] if held is not None and held.carts else []
        baselines += [(f"arm {other}", mine, t) for other, t in measured.items() if other != name]
        groups.append(
            _group(
                name,
                arm_totals,
                mine,
                baselines=baselines,
                weight_percent=float(split.arms[name].weight),
            )
        )
    return ExperimentResult(
        experiment=split.experiment,
        release_id=release.id,
        version=release.version,
        path=path,
        assign=split.assign.value,
        control=split.control,
        rule=_rule(split),
        arms=groups,
        sample_ratio=_sample_ratio(split, totals, arms.customers),
        decision=_decision_view(decision) if decision else None,
        projection=_projection(split, measured, carts=sum(t.carts for t in totals.values())),
        carts_after_decision=arms.after_decision,
    )


def _holdout_ratio(
    customers: dict[tuple[str, str, str], int], definitions: dict[str, Release]
) -> SampleRatioStatus | None:
    """Held-out and messaged customers against the planned share, in the newest release
    with a holdout: a broken holdout would make every lift wrong. Customers, not carts:
    the holdout deals out customers, and one who comes back with many carts would look
    like a mismatch."""
    with_holdout = [r for r in definitions.values() if r.definition.holdout]
    if not with_holdout:
        return None
    release = max(with_holdout, key=lambda r: r.version)
    share = release.definition.holdout or 0
    group = (release.id, queries.HOLDOUT_GROUP)
    observed = {
        HOLDOUT: customers.get((*group, queries.HELD_OUT), 0),
        TREATED: customers.get((*group, queries.MESSAGED), 0),
    }
    weights = {HOLDOUT: share, TREATED: 10_000 - share}
    check = sample_ratio_check(observed, weights)
    return SampleRatioStatus(
        p_value=check.p_value,
        mismatch=check.mismatch,
        expected={name: weight / 100 for name, weight in weights.items()},
        observed=observed,
    )


def _rule(split: SplitSpec) -> str | None:
    if split.decide is None:
        return None
    metric = "conversion" if split.decide.metric == Metric.CONVERSION else "revenue per cart"
    return f"decide on {metric} with at least {split.decide.min_carts:,} carts per arm"


def _sample_ratio(
    split: SplitSpec, totals: dict[str, Totals], customers: dict[str, int]
) -> SampleRatioStatus:
    """The arms' units against their weights: customers when the arm sticks to the
    customer (their carts all land in one arm), carts when each cart is assigned."""
    if split.assign == Assign.CUSTOMER:
        observed = {name: customers.get(name, 0) for name in split.arms}
    else:
        observed = {name: t.carts for name, t in totals.items()}
    weights = {name: arm.weight for name, arm in split.arms.items()}
    check = sample_ratio_check(observed, weights)
    return SampleRatioStatus(
        p_value=check.p_value,
        mismatch=check.mismatch,
        expected={name: float(weight) for name, weight in weights.items()},
        observed=observed,
    )


def _projection(split: SplitSpec, totals: dict[str, Totals], *, carts: int) -> str | None:
    """How many more carts until a lift of a fifth over the control's conversion would be
    found four times in five (80% power), if there is one: what a small shop needs to know
    before it waits. Planned for the smallest arm against the control; until the control
    has purchases enough to plan from, it assumes one cart in ten converts."""
    observed = _conversion_sample(totals[split.control])
    control_weight = split.arms[split.control].weight
    others = [arm.weight for name, arm in split.arms.items() if name != split.control]
    pair = control_weight + min(others)  # percent of the experiment's carts in the pair
    assumed = Sample(n=1000, total=1000 * PRIOR_CONVERSION, total_squares=1000 * PRIOR_CONVERSION)
    plans = [(observed, ""), (assumed, f", if about {PRIOR_CONVERSION:.0%} of carts convert")]
    for control, assumption in plans:
        lift = max(PROJECTED_MIN_LIFT, PROJECTED_RELATIVE_LIFT * control.mean)
        try:
            in_pair = carts_needed(
                control,
                lift=lift,
                mixture_sd=_tau(Metric.CONVERSION),
                treatment_share=min(others) / pair,
                power=PROJECTED_POWER,
            )
        except NotEnoughData:
            continue
        more = max(0, math.ceil(in_pair * 100 / pair) - carts)
        points = f"{lift * 100:.1f}".rstrip("0").rstrip(".")
        chance = f"an {PROJECTED_POWER:.0%} chance"
        if more == 0:
            return f"has carts enough for {chance} to detect a lift of {points} points"
        return (
            f"needs about {more:,} more carts for {chance} to detect a lift of {points} "
            f"points in conversion{assumption}"
        )
    return None


def _decision_view(decision: StoredDecision) -> DecisionView:
    return DecisionView(
        action=DecisionAction(decision.action),
        arm=decision.arm,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        reason=decision.reason,
    )


# --- releases, days, carts -------------------------------------------------------------


def _release_summaries(totals: list[queries.ReleaseTotals]) -> list[ReleaseSummary]:
    by_release: dict[str, list[queries.ReleaseTotals]] = {}
    for row in totals:
        by_release.setdefault(row.release_id, []).append(row)
    summaries = []
    for release_id, rows in by_release.items():
        messaged = _sum(r.totals for r in rows if not r.held_out)
        held_out = sum(r.totals.carts for r in rows if r.held_out)
        summaries.append(
            ReleaseSummary(
                release_id=release_id,
                version=rows[0].version,
                carts=messaged.carts + held_out,
                held_out=held_out,
                conversions=messaged.conversions,
                revenue=float(messaged.revenue),
                coupons_issued=messaged.coupons_issued,
                coupons_redeemed=messaged.coupons_redeemed,
                discount=float(messaged.discount),
            )
        )
    return sorted(summaries, key=lambda s: s.version, reverse=True)


def _days(days: list[queries.DayTotals], held: Totals) -> list[DayFigures]:
    """Per day: recovered revenue, and beyond what the holdout's revenue per cart (over
    the whole report, a steadier baseline than one day's few held-out carts) predicts."""
    baseline = float(held.revenue) / held.carts if held.carts else None
    by_day: dict[object, dict[bool, queries.DayTotals]] = {}
    for row in days:
        by_day.setdefault(row.day, {})[row.held_out] = row
    figures = []
    for _, groups in sorted(by_day.items(), key=lambda item: str(item[0])):
        treated, holdout = groups.get(False), groups.get(True)
        carts = treated.carts if treated else 0
        revenue = float(treated.revenue) if treated else 0.0
        figures.append(
            DayFigures(
                day=(treated or holdout).day,  # type: ignore[union-attr]
                carts=carts,
                conversions=treated.conversions if treated else 0,
                revenue=revenue,
                holdout_carts=holdout.carts if holdout else 0,
                holdout_revenue=float(holdout.revenue) if holdout else 0.0,
                incremental_revenue=revenue - carts * baseline if baseline is not None else None,
            )
        )
    return figures


def temporal_url(settings: Settings, workflow_id: str, run_id: str) -> str:
    """The cart's journey in the Temporal UI."""
    base = settings.temporal_ui_url.rstrip("/")
    namespace = quote(settings.temporal_namespace, safe="")
    return f"{base}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}/{run_id}/history"


def _recent(entry: queries.RecentEntry, arms: dict[str, str], settings: Settings) -> RecentCart:
    return RecentCart(
        shop=entry.shop,
        cart_id=entry.cart_id,
        abandoned_at=entry.abandoned_at,
        version=entry.version,
        held_out=entry.held_out,
        arms=arms,
        outcome=entry.outcome,
        revenue=float(entry.revenue) if entry.revenue is not None else None,
        temporal_url=temporal_url(settings, entry.workflow_id, entry.run_id),
    )


def _attribution(definitions: Iterable[Release]) -> str:
    windows = sorted({attribution_window(r.definition) for r in definitions})
    if not windows:
        return "an order within the journey's window after abandonment"
    if len(windows) == 1:
        return f"an order within {format_duration(windows[0])} of abandonment"
    low, high = format_duration(windows[0]), format_duration(windows[-1])
    return f"an order within its release's window ({low} to {high}) of abandonment"
