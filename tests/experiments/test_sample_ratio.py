"""The sample-ratio check on seeded splits of carts between the groups."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.sample_ratio import (
    MIN_EXPECTED_CARTS,
    SRM_THRESHOLD,
    SampleRatio,
    sample_ratio_check,
)

EVEN = {"arm": 5_000, "holdout": 5_000}  # basis points


def test_a_45_55_split_of_carts_meant_to_be_even_is_flagged() -> None:
    check = sample_ratio_check({"arm": 4_500, "holdout": 5_500}, EVEN)

    assert check.mismatch
    assert check.p_value is not None and check.p_value < 1e-20


def test_true_even_splits_are_flagged_about_once_in_a_thousand() -> None:
    arms = np.random.default_rng(20260201).binomial(10_000, 0.5, size=1_000)

    checks = [sample_ratio_check({"arm": int(a), "holdout": 10_000 - int(a)}, EVEN) for a in arms]
    flagged = sum(check.mismatch for check in checks)
    # the p-values of true splits are spread evenly, so about 5% of them fall below 0.05
    below_5_percent = sum(check.p_value is not None and check.p_value < 0.05 for check in checks)

    print(f"even splits flagged: {flagged} of 1,000; p below 0.05: {below_5_percent}")
    assert flagged <= 5  # SRM_THRESHOLD is 0.1%: about 1 expected; measured 0
    assert 29 <= below_5_percent <= 71  # 50 expected, 3 standard errors either side; measured 62


def test_uneven_weights_in_any_unit() -> None:
    # a 10% holdout; weights as shares of 100 rather than basis points say the same
    fits = sample_ratio_check({"arm": 9_030, "holdout": 970}, {"arm": 90, "holdout": 10})
    flagged = sample_ratio_check({"arm": 9_300, "holdout": 700}, {"arm": 9_000, "holdout": 1_000})

    assert fits.p_value == pytest.approx(0.317, abs=1e-3)
    assert not fits.mismatch
    assert flagged.mismatch
    assert flagged.p_value is not None and flagged.p_value < SRM_THRESHOLD


def test_a_group_with_no_carts_at_all_counts_as_zero() -> None:
    assert sample_ratio_check({"arm": 200}, EVEN).mismatch


def test_tiny_samples_claim_nothing() -> None:
    assert sample_ratio_check({"arm": 3, "holdout": 0}, EVEN) == SampleRatio(None, False)
    assert sample_ratio_check({}, EVEN) == SampleRatio(None, False)
    # a 10% holdout needs 50 carts before it expects 5
    assert sample_ratio_check({"arm": 49, "holdout": 0}, {"arm": 9_000, "holdout": 1_000}) == (
        SampleRatio(None, False)
    )


def test_the_minimum_is_an_expected_count_of_five_per_group() -> None:
    below = sample_ratio_check({"arm": 2 * MIN_EXPECTED_CARTS - 1, "holdout": 0}, EVEN)
    at_minimum = sample_ratio_check({"arm": 2 * MIN_EXPECTED_CARTS, "holdout": 0}, EVEN)
    past_it = sample_ratio_check({"arm": 12, "holdout": 0}, EVEN)

    assert below == SampleRatio(None, False)
    assert at_minimum.p_value == pytest.approx(0.0016, abs=1e-4)  # 10 to 0: tested, not flagged
    assert not at_minimum.mismatch
    assert past_it.mismatch  # 12 to 0: p = 0.0005


def test_a_cart_in_a_group_meant_to_get_none_is_a_mismatch() -> None:
    weights = {"arm": 10_000, "paused": 0}

    assert sample_ratio_check({"arm": 100, "paused": 1}, weights) == SampleRatio(0.0, True)
    assert sample_ratio_check({"arm": 100, "paused": 0}, weights) == SampleRatio(None, False)


def test_counts_for_an_unknown_group_are_refused() -> None:
    with pytest.raises(ValueError, match="no weight"):
        sample_ratio_check({"arm": 10, "typo": 10}, EVEN)
