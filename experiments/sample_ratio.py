"""The sample-ratio check: did the carts split between the groups as the weights said?

A split far from the weights (an arm that drops carts, a holdout that some carts leak out
of) biases every comparison, whatever its p-value, so the report flags it first. The test
is Pearson's chi-square goodness of fit of the carts per group against the weights' shares.

The threshold is strict, p < 0.001 as is usual for this check: the report runs it every
day on every experiment, and a real mismatch of any size soon falls far below it. The
chi-square approximation wants an expected count of at least 5 carts in every group;
below that nothing is claimed (p_value None, no mismatch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scipy.stats import chisquare

SRM_THRESHOLD = 0.001
MIN_EXPECTED_CARTS = 5


@dataclass(frozen=True)
class SampleRatio:
    """The check's answer: p_value None when there are too few carts to test."""

    p_value: float | None
    mismatch: bool


def sample_ratio_check(observed: Mapping[str, int], weights: Mapping[str, int]) -> SampleRatio:
    """Whether the carts per group (`observed`) fit the groups' `weights`.

    The weights are those in force over the whole period counted, in basis points (any
    positive total will do); a group missing from `observed` got no carts. A cart in a
    group whose weight is 0 is a mismatch however few carts there are.
    """
    unknown = observed.keys() - weights.keys()
    if unknown:
        raise ValueError(f"carts in groups with no weight: {sorted(unknown)}")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError(f"weights are >= 0: {dict(weights)}")
    if any(count < 0 for count in observed.values()):
        raise ValueError(f"cart counts are >= 0: {dict(observed)}")
    total_weight = sum(weights.values())
    if total_weight <= 0:
        raise ValueError(f"the weights sum to more than 0: {dict(weights)}")

    if any(observed.get(group, 0) > 0 for group, weight in weights.items() if weight == 0):
        return SampleRatio(p_value=0.0, mismatch=True)
    groups = [group for group, weight in weights.items() if weight > 0]
    counts = [observed.get(group, 0) for group in groups]
    carts = sum(counts)
    expected = [carts * weights[group] / total_weight for group in groups]
    if len(groups) < 2 or min(expected) < MIN_EXPECTED_CARTS:
        return SampleRatio(p_value=None, mismatch=False)
    p_value = float(chisquare(counts, expected).pvalue)
    return SampleRatio(p_value=p_value, mismatch=p_value < SRM_THRESHOLD)
