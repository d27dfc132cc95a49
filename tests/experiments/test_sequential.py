"""The always-valid comparison, on seeded simulations of experiments watched every day.

Each simulation draws a thousand experiments at once with numpy, as cumulative totals per
arm at every look (every 50 carts per arm), and asks `compare` at each look in turn, as a
marketer reading the report would; a run stops being asked once it was declared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.stats import norm

from experiments.sequential import (
    MIN_NONZERO_CARTS,
    Comparison,
    Interval,
    NotEnoughData,
    Sample,
    carts_needed,
    compare,
    default_mixture_sd,
    mean_interval,
)
from journey_schema.models import Metric

RUNS = 1_000
LOOK_EVERY = 50  # carts per arm between two looks
ALPHA = 0.05
BASELINE = 0.10  # the holdout's conversion rate
TAU = default_mixture_sd(Metric.CONVERSION, BASELINE)  # fixed before the experiment: 0.02


@dataclass(frozen=True)
class Arm:
    """One arm of RUNS simulated experiments: its cumulative totals at every look."""

    totals: NDArray[np.float64]  # (runs, looks)
    squares: NDArray[np.float64]  # (runs, looks)

    @property
    def looks(self) -> int:
        return int(self.totals.shape[1])

    def carts(self, look: int) -> int:
        return LOOK_EVERY * (look + 1)

    def sample(self, run: int, look: int) -> Sample:
        total, squares = float(self.totals[run, look]), float(self.squares[run, look])
        return Sample(self.carts(look), total, squares)


def conversion_arm(rng: np.random.Generator, *, rate: float, carts: int) -> Arm:
    per_look = rng.binomial(LOOK_EVERY, rate, size=(RUNS, carts // LOOK_EVERY))
    totals = np.cumsum(per_look, axis=1).astype(np.float64)
    return Arm(totals, totals)  # 0/1: squares are the conversions too


def revenue_arm(rng: np.random.Generator, *, buy_rate: float, carts: int) -> Arm:
    """Carts bought with `buy_rate`, for lognormal amounts (median 55, mean 90)."""
    bought = rng.random((RUNS, carts)) < buy_rate
    amounts = np.where(bought, rng.lognormal(mean=4.0, sigma=1.0, size=(RUNS, carts)), 0.0)
    per_look = amounts.reshape(RUNS, carts // LOOK_EVERY, LOOK_EVERY)
    return Arm(
        np.cumsum(per_look.sum(axis=2), axis=1), np.cumsum((per_look**2).sum(axis=2), axis=1)
    )


def first_look(arm: Arm, hit: Callable[[int, int], bool]) -> NDArray[np.int64]:
    """Per run, the carts per arm at the first look where hit(run, look); a huge number if none."""
    never = np.iinfo(np.int64).max
    firsts = np.full(RUNS, never, dtype=np.int64)
    for run in range(RUNS):
        for look in range(arm.looks):
            if hit(run, look):
                firsts[run] = arm.carts(look)
                break
    return firsts


def first_declared(treatment: Arm, control: Arm, *, mixture_sd: float) -> NDArray[np.int64]:
    def declared(run: int, look: int) -> bool:
        comparison = compare(
            treatment.sample(run, look), control.sample(run, look), mixture_sd=mixture_sd
        )
        return comparison.significant

    return first_look(treatment, declared)


def declared_share(treatment: Arm, control: Arm, *, carts_per_arm: int) -> float:
    """The share of runs that one look at `carts_per_arm` declares significant."""
    look = carts_per_arm // LOOK_EVERY - 1
    return float(
        np.mean(
            [
                compare(
                    treatment.sample(run, look), control.sample(run, look), mixture_sd=TAU
                ).significant
                for run in range(RUNS)
            ]
        )
    )


def naive_z_declared(treatment: Arm, control: Arm) -> NDArray[np.bool_]:
    """Per run, whether a fixed-horizon two-sided z-test at ALPHA ever fired over the looks."""
    carts = LOOK_EVERY * np.arange(1, treatment.looks + 1)
    rate_t, rate_c = treatment.totals / carts, control.totals / carts
    se = np.sqrt(rate_t * (1 - rate_t) / carts + rate_c * (1 - rate_c) / carts)
    z = np.divide(rate_t - rate_c, se, out=np.zeros_like(se), where=se > 0)
    return np.asarray((np.abs(z) > norm.ppf(1 - ALPHA / 2)).any(axis=1))


def final_look_power(*, rate_t: float, rate_c: float, carts_per_arm: int) -> float:
    """The chance that one look at `carts_per_arm` declares, by the normal approximation.

    The estimate D ~ N(lift, v) with the true v; it is declared when it clears the
    half-width at that v. Detection by that many carts, over all the looks, is at least this.
    """
    v = (rate_t * (1 - rate_t) + rate_c * (1 - rate_c)) / carts_per_arm
    # the half-width compare gives at exactly that v: the two groups spread as the truth
    treatment = sample_with(mean=rate_t, variance=rate_t * (1 - rate_t), n=carts_per_arm)
    control = sample_with(mean=rate_c, variance=rate_c * (1 - rate_c), n=carts_per_arm)
    half = half_width(compare(treatment, control, mixture_sd=TAU).difference)
    return float(norm.cdf((rate_t - rate_c - half) / math.sqrt(v)))


def sample_with(*, mean: float, variance: float, n: int) -> Sample:
    """A sample with exactly this mean and unbiased variance."""
    total = mean * n
    return Sample(n, total, variance * (n - 1) + total * total / n)


def half_width(interval: Interval) -> float:
    return (interval.high - interval.low) / 2


def test_aa_conversion_stays_within_alpha_at_every_look_where_a_naive_z_test_does_not() -> None:
    rng = np.random.default_rng(20260101)
    treatment = conversion_arm(rng, rate=BASELINE, carts=2_000)
    control = conversion_arm(rng, rate=BASELINE, carts=2_000)

    always_valid = float(np.mean(first_declared(treatment, control, mixture_sd=TAU) <= 2_000))
    naive = float(np.mean(naive_z_declared(treatment, control)))

    print(f"A/A conversion, 40 looks: mSPRT {always_valid:.1%}, naive z-test {naive:.1%}")
    assert always_valid <= ALPHA  # measured 0.7%
    assert naive > ALPHA  # measured 32.7%: peeking at a fixed-horizon test is what this prevents
    assert naive > 3 * always_valid


def test_aa_revenue_per_cart_watched_every_look_stays_within_alpha() -> None:
    rng = np.random.default_rng(20260102)
    treatment = revenue_arm(rng, buy_rate=BASELINE, carts=2_000)
    control = revenue_arm(rng, buy_rate=BASELINE, carts=2_000)
    revenue_per_cart = BASELINE * math.exp(4.0 + 1.0 / 2)  # lognormal's mean, times the rate
    tau = default_mixture_sd(Metric.REVENUE_PER_CART, revenue_per_cart)

    declared = float(np.mean(first_declared(treatment, control, mixture_sd=tau) <= 2_000))

    print(f"A/A revenue per cart, 40 looks: mSPRT {declared:.1%}")
    assert declared <= ALPHA  # measured 0.2%


def test_a_real_lift_is_detected_at_least_as_often_as_the_half_width_predicts() -> None:
    rng = np.random.default_rng(20260103)
    treatment = conversion_arm(rng, rate=0.13, carts=4_000)
    control = conversion_arm(rng, rate=BASELINE, carts=4_000)

    firsts = first_declared(treatment, control, mixture_sd=TAU)
    checkpoints = [1_000, 2_000, 3_000, 4_000]
    detected_by = [float(np.mean(firsts <= carts)) for carts in checkpoints]
    # at that one look alone, not over all the looks before it, so not rising by construction
    declared_at = [declared_share(treatment, control, carts_per_arm=c) for c in checkpoints]
    expected = [
        final_look_power(rate_t=0.13, rate_c=BASELINE, carts_per_arm=c) for c in checkpoints
    ]

    print("carts per arm, detected by then, declared at that look, expected at that look:")
    for row in zip(checkpoints, detected_by, declared_at, expected, strict=True):
        print("  {} {:.1%} {:.1%} {:.1%}".format(*row))
    # expected at the look: 12.3%, 45.7%, 72.6%, 88.0%; measured at the look: 12.5%, 45.9%,
    # 73.0%, 89.1%; and by then, over all the looks: 15.5%, 55.8%, 81.4%, 93.5%
    assert [round(power, 2) for power in expected] == [0.12, 0.46, 0.73, 0.88]
    slack = 3 * math.sqrt(0.25 / RUNS)  # three standard errors of a share of RUNS
    for by_then, at_look, power in zip(detected_by, declared_at, expected, strict=True):
        assert at_look >= power - slack
        assert by_then >= at_look
    assert declared_at == sorted(declared_at)
    assert declared_at[-1] - declared_at[0] > 0.5


def test_the_intervals_cover_a_real_lift_at_every_look() -> None:
    rng = np.random.default_rng(20260104)
    treatment = conversion_arm(rng, rate=0.13, carts=4_000)
    control = conversion_arm(rng, rate=BASELINE, carts=4_000)

    def comparison(run: int, look: int) -> Comparison:
        return compare(treatment.sample(run, look), control.sample(run, look), mixture_sd=TAU)

    def misses_difference(run: int, look: int) -> bool:
        return comparison(run, look).difference.excludes(0.03)

    def misses_relative(run: int, look: int) -> bool:
        relative = comparison(run, look).relative  # None while the control has no purchase
        return relative is not None and relative.excludes(0.3)

    difference = float(np.mean(first_look(treatment, misses_difference) <= 4_000))
    relative = float(np.mean(first_look(treatment, misses_relative) <= 4_000))

    print(f"3 points outside at some look: {difference:.1%}; 30% outside: {relative:.1%}")
    assert difference <= ALPHA  # measured 1.2%
    assert relative <= ALPHA  # measured 3.8%: the delta method's is the rougher of the two


def test_a_conversion_rates_interval_covers_it_at_every_look() -> None:
    rng = np.random.default_rng(20260105)
    arm = conversion_arm(rng, rate=BASELINE, carts=4_000)

    def misses(run: int, look: int) -> bool:
        return mean_interval(arm.sample(run, look), mixture_sd=TAU).excludes(BASELINE)

    missed = float(np.mean(first_look(arm, misses) <= 4_000))

    print(f"a 10% conversion rate outside its interval at some look: {missed:.1%}")
    assert missed <= ALPHA  # measured 3.2%


def test_carts_needed_is_about_where_a_lift_that_size_is_detected() -> None:
    pilot = Sample(n=1_000, total=100, total_squares=100)  # a 10% control so far
    needed = carts_needed(pilot, lift=0.03, mixture_sd=TAU)
    per_arm = math.ceil(needed / 2 / LOOK_EVERY) * LOOK_EVERY  # the first look with that many
    rng = np.random.default_rng(20260106)
    treatment = conversion_arm(rng, rate=0.13, carts=per_arm)
    control = conversion_arm(rng, rate=BASELINE, carts=per_arm)

    firsts = first_declared(treatment, control, mixture_sd=TAU)
    detected = float(np.mean(firsts <= per_arm))
    detected_halfway = float(np.mean(firsts <= per_arm // 2))
    # the treatment spreads a little more than the control carts_needed planned from, so
    # the last look alone declares a little under half the time (42%); the looks before
    # it add to that
    floor = final_look_power(rate_t=0.13, rate_c=BASELINE, carts_per_arm=per_arm)

    print(f"carts needed for 3 points: {needed}; detected by then {detected:.1%}")
    print(f"  and by half as many: {detected_halfway:.1%}")
    assert 3_500 < needed < 4_000  # measured 3,788
    assert detected >= floor - 3 * math.sqrt(0.25 / RUNS)
    assert detected >= 0.45  # "roughly half or more": measured 49.4%
    assert detected_halfway < 0.3  # and not an overestimate: measured 14%


def test_carts_needed_for_80_percent_power_detects_that_lift_four_times_in_five() -> None:
    pilot = Sample(n=1_000, total=100, total_squares=100)  # a 10% control so far
    needed = carts_needed(pilot, lift=0.03, mixture_sd=TAU, power=0.8)
    per_arm = math.ceil(needed / 2 / LOOK_EVERY) * LOOK_EVERY
    rng = np.random.default_rng(20261201)
    treatment = conversion_arm(rng, rate=0.13, carts=per_arm)
    control = conversion_arm(rng, rate=BASELINE, carts=per_arm)

    detected = float(np.mean(first_declared(treatment, control, mixture_sd=TAU) <= per_arm))

    print(f"carts needed for 3 points at 80% power: {needed}; detected by then {detected:.1%}")
    assert needed > 1.5 * carts_needed(pilot, lift=0.03, mixture_sd=TAU)  # half the time
    # the treatment spreads a little more than planned (see the test above): a few points
    # under 80% at the last look alone, the earlier looks add to it
    assert detected >= 0.75


def test_carts_needed_grows_with_a_smaller_lift_and_an_uneven_split() -> None:
    pilot = Sample(n=1_000, total=100, total_squares=100)

    even = carts_needed(pilot, lift=0.03, mixture_sd=TAU)

    assert carts_needed(pilot, lift=0.015, mixture_sd=TAU) > 3 * even
    # a 10% holdout: v is 1 / (0.1 * 0.9) per cart instead of 1 / 0.25
    assert carts_needed(pilot, lift=0.03, mixture_sd=TAU, treatment_share=0.9) > 2.5 * even


def test_carts_needed_refuses_a_control_with_too_few_purchases() -> None:
    with pytest.raises(NotEnoughData):
        carts_needed(Sample(n=500, total=0, total_squares=0), lift=0.03, mixture_sd=TAU)
    with pytest.raises(NotEnoughData):
        carts_needed(
            Sample(n=50, total=MIN_NONZERO_CARTS - 1, total_squares=MIN_NONZERO_CARTS - 1),
            lift=0.03,
            mixture_sd=TAU,
        )


def test_compare_follows_the_formula_in_the_module_docstring() -> None:
    treatment = sample_with(mean=0.12, variance=0.12 * 0.88, n=2_000)
    control = sample_with(mean=0.10, variance=0.10 * 0.90, n=2_000)
    d = 0.02
    v = (0.12 * 0.88 + 0.10 * 0.90) / 2_000
    tau2 = TAU**2
    likelihood_ratio = math.sqrt(v / (v + tau2)) * math.exp(tau2 * d * d / (2 * v * (v + tau2)))
    half = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / ALPHA) + math.log((v + tau2) / v)))

    comparison = compare(treatment, control, mixture_sd=TAU)

    assert comparison.difference.estimate == pytest.approx(d)
    assert half_width(comparison.difference) == pytest.approx(half)
    assert comparison.p_value == pytest.approx(min(1.0, 1 / likelihood_ratio))
    assert comparison.relative is not None
    assert comparison.relative.estimate == pytest.approx(0.2)


@pytest.mark.parametrize("lift", [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, -0.03])
def test_significant_exactly_when_the_p_value_is_below_alpha(lift: float) -> None:
    treatment = sample_with(mean=0.1 + lift, variance=(0.1 + lift) * (0.9 - lift), n=3_000)
    control = sample_with(mean=0.1, variance=0.09, n=3_000)

    comparison = compare(treatment, control, mixture_sd=TAU)

    assert comparison.significant == (comparison.p_value < ALPHA)
    assert comparison.significant == (abs(lift) > 0.025)  # the half-width at 3,000 a side


def test_an_overwhelming_difference_gives_p_0_not_an_overflow() -> None:
    treatment = sample_with(mean=0.5, variance=0.25, n=1_000_000)
    control = sample_with(mean=0.1, variance=0.09, n=1_000_000)

    comparison = compare(treatment, control, mixture_sd=TAU)

    assert comparison.p_value == 0.0
    assert comparison.significant


def uninformative(comparison: Comparison) -> bool:
    """Nothing claimed: the whole line, p = 1."""
    everything = (-math.inf, math.inf)
    difference = comparison.difference
    return (difference.low, difference.high) == everything and comparison.p_value == 1


def test_no_carts_is_an_uninformative_answer() -> None:
    empty = Sample(n=0, total=0, total_squares=0)

    comparison = compare(empty, empty, mixture_sd=TAU)

    assert (empty.mean, empty.variance) == (0, 0)
    assert uninformative(comparison)
    assert comparison.relative is None
    assert mean_interval(empty, mixture_sd=TAU) == Interval(0, -math.inf, math.inf)


def test_all_zeros_are_uninformative_and_a_zero_control_has_no_relative_lift() -> None:
    zeros = Sample.of([0.0] * 1_000)
    bought = Sample.of([1.0] * 30 + [0.0] * 970)

    assert (zeros.n, zeros.mean, zeros.variance) == (1_000, 0, 0)
    assert mean_interval(zeros, mixture_sd=TAU) == Interval(0, -math.inf, math.inf)
    assert uninformative(compare(zeros, zeros, mixture_sd=TAU))
    # a control with no purchase has no spread to go on: no claim, and no relative lift
    against_zero = compare(bought, zeros, mixture_sd=TAU)
    assert uninformative(against_zero)
    assert against_zero.difference.estimate == pytest.approx(0.03)
    assert against_zero.relative is None


def test_a_one_cart_arm_is_not_evidence() -> None:
    # its variance is 0, so the plug-in v would be the control's alone: 100% against 10% on
    # one cart would come out significant
    one = Sample.of([1.0])
    control = Sample.of([1.0] * 10 + [0.0] * 90)

    comparison = compare(one, control, mixture_sd=TAU)

    assert uninformative(comparison)
    assert comparison.relative is not None
    assert comparison.relative.estimate == pytest.approx(9.0)  # 100% against 10%
    assert (comparison.relative.low, comparison.relative.high) == (-math.inf, math.inf)


def test_an_interval_needs_ten_carts_worth_of_purchases() -> None:
    nine = Sample(n=60, total=MIN_NONZERO_CARTS - 1, total_squares=MIN_NONZERO_CARTS - 1)
    ten = Sample(n=60, total=MIN_NONZERO_CARTS, total_squares=MIN_NONZERO_CARTS)
    # revenue: ten purchases, but one large order holds nearly all of it
    one_big_order = Sample.of([10.0] * 9 + [1_000.0] + [0.0] * 90)

    assert mean_interval(nine, mixture_sd=TAU).high == math.inf
    assert math.isfinite(mean_interval(ten, mixture_sd=TAU).high)
    assert mean_interval(one_big_order, mixture_sd=20.0).high == math.inf
    assert uninformative(compare(nine, ten, mixture_sd=TAU))


def test_sample_of_values_matches_numpy() -> None:
    values = np.random.default_rng(7).lognormal(size=500)

    sample = Sample.of(values.tolist())

    assert sample.n == 500
    assert sample.mean == pytest.approx(values.mean())
    assert sample.variance == pytest.approx(values.var(ddof=1))
    assert Sample.of([4.0]).variance == 0


def test_default_mixture_sd_per_metric() -> None:
    assert default_mixture_sd(Metric.CONVERSION, 0.10) == pytest.approx(0.02)
    assert default_mixture_sd(Metric.CONVERSION, 0.0) == pytest.approx(0.01)  # the floor
    assert default_mixture_sd(Metric.REVENUE_PER_CART, 8.50) == pytest.approx(1.70)
    with pytest.raises(NotEnoughData):
        default_mixture_sd(Metric.REVENUE_PER_CART, 0.0)
    with pytest.raises(ValueError):
        default_mixture_sd(Metric.CONVERSION, 1.5)


@pytest.mark.parametrize(("alpha", "tau"), [(0.0, 0.02), (1.0, 0.02), (0.05, 0.0), (0.05, -1)])
def test_compare_refuses_a_meaningless_alpha_or_tau(alpha: float, tau: float) -> None:
    sample = Sample(n=100, total=10, total_squares=10)
    with pytest.raises(ValueError):
        compare(sample, sample, alpha=alpha, mixture_sd=tau)
