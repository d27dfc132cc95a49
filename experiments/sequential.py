"""Always-valid comparisons of experiment arms: the normal-mixture mSPRT.

Marketers read the experiment report every day and stop when it looks decided, so a
fixed-horizon z-test would be wrong far more often than its alpha says (each look is
another chance of a false alarm). Everything here stays valid however often it is read:
for any stopping rule, a true difference of zero is declared significant with probability
at most alpha, and the interval covers the truth at every look at once with probability at
least 1 - alpha.

The test (Johari, Pekelis, Walsh, "Always valid inference: continuous monitoring of A/B
tests", Operations Research 2022: the mixture SPRT, its normal case; the interval is the
confidence sequence of the same mixture, Howard, Ramdas, McAuliffe, Sekhon, "Time-uniform,
nonparametric, nonasymptotic confidence sequences", Annals of Statistics 2021, the
normal-mixture boundary). With the per-cart metric's mean and variance in each group:

    D = mean_t - mean_c                       the estimate of theta = mu_t - mu_c
    v = var_t / n_t + var_c / n_c             its variance (normal approximation)

and a mixing prior theta ~ N(0, tau^2) over the alternatives, the likelihood ratio of
H0: theta = 0 against the mixture is

    Lambda = sqrt(v / (v + tau^2)) * exp(tau^2 D^2 / (2 v (v + tau^2)))

Lambda is a nonnegative martingale under H0, so by Ville's inequality it ever reaches
1/alpha with probability at most alpha; the always-valid p-value is p = min(1, 1/Lambda),
and inverting the same test at every theta gives the confidence sequence

    |D - theta| < sqrt( v (v + tau^2) / tau^2 * (2 ln(1/alpha) + ln((v + tau^2) / v)) )

The two agree: the interval excludes 0 exactly when p < alpha. The p-value of one look is
valid on its own; the running minimum over the looks is valid too.

Two approximations, both checked by the seeded simulations in tests/experiments/: the
variances are estimated from the data (the known-variance test with plug-in estimates,
as is usual in practice), and the means are taken as normal. Our metrics are
mostly zeros (one cart in ten or twenty is bought), and the mean of so skewed a metric is
near normal only once a few carts are not zero: at 50 carts and 1 or 2 purchases the
plug-in variance is far too small. So a group counts only with MIN_NONZERO_CARTS carts'
worth of nonzero metric (total^2 / total_squares, which is the conversions of a 0/1 metric
and at most the purchases of revenue) and some spread; a comparison or an interval with a
group short of that is uninformative: interval (-inf, inf), p = 1. Without the rule a
conversion rate's interval, watched from 50 carts on, missed the truth in 5-7% of runs at
alpha 0.05; with it in 3-4%.

tau is fixed before the experiment starts (see `default_mixture_sd`); choosing it again at
every look from the data seen so far would void the guarantee.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy.optimize import brentq
from scipy.stats import norm

from journey_schema.models import Metric  # what an experiment is decided on

# carts' worth of nonzero metric a group needs before its mean is taken as normal
MIN_NONZERO_CARTS = 10


class NotEnoughData(ValueError):
    """The data so far can not answer the question asked (no spread, no baseline)."""


@dataclass(frozen=True)
class Sample:
    """The sufficient statistics of one group's per-cart metric (a metric >= 0)."""

    n: int
    total: float  # sum of the metric over the carts; conversions for conversion
    total_squares: float  # sum of its squares; also the conversions for a 0/1 metric

    def __post_init__(self) -> None:
        if self.n < 0 or self.total < 0 or self.total_squares < 0:
            raise ValueError(f"a sample counts carts and a metric >= 0, not {self}")

    @classmethod
    def of(cls, values: Iterable[float]) -> Sample:
        """The sample of these per-cart values."""
        n, total, total_squares = 0, 0.0, 0.0
        for value in values:
            n += 1
            total += value
            total_squares += value * value
        return cls(n=n, total=total, total_squares=total_squares)

    @property
    def mean(self) -> float:
        """The mean per cart; 0 for no carts (the intervals then say it is unknown)."""
        return self.total / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """The unbiased sample variance; 0 for fewer than two carts."""
        if self.n < 2:
            return 0.0
        # max(): rounding may take a zero spread a hair below zero
        return max(0.0, (self.total_squares - self.total * self.total / self.n) / (self.n - 1))


@dataclass(frozen=True)
class Interval:
    """An estimate and its always-valid interval (infinite ends: nothing known yet)."""

    estimate: float
    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return value < self.low or value > self.high


@dataclass(frozen=True)
class Comparison:
    """Treatment against control at one look."""

    difference: Interval  # mean_t - mean_c, absolute (rate points, or money per cart)
    # mean_t / mean_c - 1 by the delta method (see `compare`); None when mean_c is not positive
    relative: Interval | None
    p_value: float  # always valid, against "no difference"
    significant: bool  # the difference's interval excludes 0


def compare(
    treatment: Sample, control: Sample, *, alpha: float = 0.05, mixture_sd: float
) -> Comparison:
    """The always-valid comparison of treatment with control (the module docstring's test).

    `mixture_sd` is tau, in the metric's units (see `default_mixture_sd`).

    The relative interval is the delta method's: R = mean_t / mean_c - 1 with variance
    var_t / (n_t mean_c^2) + mean_t^2 var_c / (n_c mean_c^4), put through the same
    confidence sequence with tau / mean_c. It is approximate in one more way than the
    absolute interval (tau / mean_c moves with the data), so `significant` and `p_value`
    are the absolute difference's.
    """
    _check(alpha=alpha, mixture_sd=mixture_sd)
    estimate = treatment.mean - control.mean
    relative = _relative(treatment, control, alpha=alpha, mixture_sd=mixture_sd)
    if not (_normal_enough(treatment) and _normal_enough(control)):
        return Comparison(_unknown(estimate), relative, p_value=1.0, significant=False)
    v = treatment.variance / treatment.n + control.variance / control.n
    difference = _interval(estimate, v, alpha=alpha, mixture_sd=mixture_sd)
    return Comparison(
        difference,
        relative,
        p_value=_p_value(estimate, v, mixture_sd=mixture_sd),
        significant=difference.excludes(0.0),
    )


def mean_interval(sample: Sample, *, alpha: float = 0.05, mixture_sd: float) -> Interval:
    """The always-valid interval of one group's mean (a conversion rate, revenue per cart).

    The same confidence sequence with v = var / n. As for a difference, a tau suits best
    the sample size at which the half-width is about tau (1.06 tau at alpha 0.05), so the
    precision one wants, e.g. the comparison's tau, is a fair choice.
    """
    _check(alpha=alpha, mixture_sd=mixture_sd)
    if not _normal_enough(sample):
        return _unknown(sample.mean)
    return _interval(sample.mean, sample.variance / sample.n, alpha=alpha, mixture_sd=mixture_sd)


# tau about the lift one hopes to detect: see default_mixture_sd
EXPECTED_RELATIVE_LIFT = 0.2
# the smallest absolute conversion lift worth finding (one point), for a baseline near 0
MIN_CONVERSION_LIFT = 0.01


def default_mixture_sd(metric: Metric, control_mean: float) -> float:
    """tau for `metric`: a fifth of the baseline, for conversion at least one point.

    Why that size: at a given sample size (a given v) the half-width is smallest with
    tau^2 = r v, where r solves r = 2 ln(1/alpha) + ln(1 + r) (r = 8.2 at alpha 0.05), and
    it is then sqrt(v (1 + r)); so a lift delta becomes detectable soonest with
    tau = sqrt(r / (1 + r)) delta = 0.94 delta. That is Johari et al.'s advice on choosing
    the mixing distribution: tau the size of the effects one hopes to detect. A far
    smaller tau spends the power on effects too small to matter, a far larger one on
    effects too large to be real. Our choice: the lifts worth a decision are a fifth of the
    holdout's conversion or revenue per cart or more, so tau = 0.2 * baseline; for
    conversion, with a baseline near zero, no less than one percentage point.

    `control_mean` is the baseline known before the experiment starts (the shop's recent
    rate, or the control's at launch), fixed for the experiment's life: tau must not follow
    the data look by look.
    """
    if control_mean < 0:
        raise ValueError(f"a baseline of {control_mean} for {metric}: the metric is never < 0")
    match metric:
        case Metric.CONVERSION:
            if control_mean > 1:
                raise ValueError(f"a conversion rate of {control_mean}: it is at most 1")
            return max(EXPECTED_RELATIVE_LIFT * control_mean, MIN_CONVERSION_LIFT)
        case Metric.REVENUE_PER_CART:
            if control_mean == 0:
                # money has no natural scale: without a single purchase there is none to take
                raise NotEnoughData("revenue's tau needs a baseline above 0 (a purchase)")
            return EXPECTED_RELATIVE_LIFT * control_mean


# the carts_needed search runs up to this many carts; no cart abandonment experiment is larger
_MAX_CARTS = 1e15


def carts_needed(
    control: Sample,
    *,
    lift: float,
    alpha: float = 0.05,
    mixture_sd: float,
    treatment_share: float = 0.5,
    power: float = 0.5,
) -> int:
    """About how many carts in all (both groups) until an absolute `lift` is detectable.

    With `power` above one half, the number at which a true lift of that size is found
    that often at the last look: the half-width plus z_power standard errors falls to the
    lift (z_power = norm.ppf(power); 0.84 for 80%). Earlier looks only add to it.

    The number N where the always-valid interval's half-width falls to `lift`, with
    n_t = treatment_share * N, n_c = the rest, and both groups spread like the control
    (so v = var_c / (N share (1 - share))). At N a true lift of that size puts the
    estimate above the half-width about half the time, and any earlier look may already
    have crossed it: it is the size by which such a lift is typically detected. The
    half-width falls steadily with N; scipy's brentq finds the crossing on log N.

    For conversion a lift raises the treatment's variance a little (p (1 - p) grows up to
    p = 0.5), so N is a slight underestimate there. Raises NotEnoughData when the control
    is not yet enough to plan from (too few purchases: MIN_NONZERO_CARTS).
    """
    _check(alpha=alpha, mixture_sd=mixture_sd)
    if lift <= 0:
        raise ValueError(f"the lift to detect is above 0, not {lift}")
    if not 0 < treatment_share < 1:
        raise ValueError(f"the treatment's share is between 0 and 1, not {treatment_share}")
    if not _normal_enough(control):
        raise NotEnoughData("the control has too few purchases yet to plan a sample size from")
    if not 0 < power < 1:
        raise ValueError(f"the power is between 0 and 1, not {power}")
    z_power = float(norm.ppf(power))
    per_cart = control.variance / (treatment_share * (1 - treatment_share))

    def excess(log_carts: float) -> float:
        v = per_cart / math.exp(log_carts)
        spread = z_power * math.sqrt(v)
        return _half_width(v, alpha=alpha, mixture_sd=mixture_sd) + spread - lift

    low, high = math.log(2), math.log(_MAX_CARTS)
    if excess(low) <= 0:
        return 2
    if excess(high) > 0:
        raise NotEnoughData(f"a lift of {lift} needs more than {_MAX_CARTS:.0e} carts")
    log_carts = brentq(excess, low, high, xtol=1e-9)
    return math.ceil(math.exp(log_carts))


def _half_width(v: float, *, alpha: float, mixture_sd: float) -> float:
    tau2 = mixture_sd * mixture_sd
    return math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / alpha) + math.log1p(tau2 / v)))


def _p_value(estimate: float, v: float, *, mixture_sd: float) -> float:
    tau2 = mixture_sd * mixture_sd
    # in logs: Lambda itself overflows a float long before p underflows to 0
    log_lambda = -0.5 * math.log1p(tau2 / v) + tau2 * estimate * estimate / (2 * v * (v + tau2))
    return min(1.0, math.exp(-log_lambda))


def _interval(estimate: float, v: float, *, alpha: float, mixture_sd: float) -> Interval:
    half = _half_width(v, alpha=alpha, mixture_sd=mixture_sd)
    return Interval(estimate, estimate - half, estimate + half)


def _relative(
    treatment: Sample, control: Sample, *, alpha: float, mixture_sd: float
) -> Interval | None:
    base = control.mean
    if base <= 0:
        return None
    estimate = treatment.mean / base - 1
    if not (_normal_enough(treatment) and _normal_enough(control)):
        return _unknown(estimate)
    v = treatment.variance / (treatment.n * base * base) + treatment.mean**2 * control.variance / (
        control.n * base**4
    )
    return _interval(estimate, v, alpha=alpha, mixture_sd=mixture_sd / base)


def _normal_enough(sample: Sample) -> bool:
    # total^2 / total_squares is at most the number of nonzero carts (Cauchy-Schwarz), and
    # equal to it when they all carry the same amount: the conversions of a 0/1 metric
    nonzero_enough = sample.total * sample.total >= MIN_NONZERO_CARTS * sample.total_squares
    return sample.n >= 2 and sample.variance > 0 and nonzero_enough


def _unknown(estimate: float) -> Interval:
    return Interval(estimate, -math.inf, math.inf)


def _check(*, alpha: float, mixture_sd: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha is between 0 and 1, not {alpha}")
    if not mixture_sd > 0:
        raise ValueError(f"the mixture's sd (tau) is above 0, not {mixture_sd}")
