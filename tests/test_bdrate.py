"""BD-rate / BD-metric pinned by golden values and invariants."""

from __future__ import annotations

import numpy as np
import pytest

from imgcr.bench.bdrate import bd

# The FAU-LMS/bjontegaard README example (libx265 at two presets).
RATE_A = [9487.76, 4593.60, 2486.44, 1358.24]
PSNR_A = [40.037, 38.615, 36.845, 34.851]
RATE_B = [9787.80, 4469.00, 2451.52, 1356.24]
PSNR_B = [40.121, 38.651, 36.970, 34.987]


def test_fau_lms_readme_example_pchip():
    res = bd(RATE_A, PSNR_A, RATE_B, PSNR_B)
    assert res.bd_rate == pytest.approx(-4.4175, abs=5e-5)
    assert res.bd_metric == pytest.approx(0.1197, abs=5e-4)
    assert res.reason is None and 0.9 < res.overlap <= 1


def test_identical_curves_give_zero():
    res = bd(RATE_A, PSNR_A, RATE_A, PSNR_A)
    assert res.bd_rate == pytest.approx(0.0, abs=1e-12) and res.bd_metric == pytest.approx(0.0, abs=1e-12)
    assert res.overlap == pytest.approx(1.0)


@pytest.mark.parametrize("factor, expected", [(0.9, -10.0), (1.25, 25.0), (0.5, -50.0)])
def test_scaled_rates_give_the_scale(factor, expected):
    assert bd(RATE_A, PSNR_A, np.array(RATE_A) * factor, PSNR_A).bd_rate == pytest.approx(expected, abs=1e-9)


def test_order_of_points_does_not_matter():
    a = bd(RATE_A, PSNR_A, RATE_B, PSNR_B).bd_rate
    b = bd(RATE_A[::-1], PSNR_A[::-1], RATE_B, PSNR_B).bd_rate
    assert a == pytest.approx(b)


def test_swapping_anchor_and_test_inverts():
    ab = bd(RATE_A, PSNR_A, RATE_B, PSNR_B).bd_rate / 100 + 1
    ba = bd(RATE_B, PSNR_B, RATE_A, PSNR_A).bd_rate / 100 + 1
    assert ab * ba == pytest.approx(1.0, abs=1e-3)


def test_no_overlap_or_too_few_points_is_null_with_a_reason():
    far = bd(RATE_A, PSNR_A, RATE_A, [p + 20 for p in PSNR_A])
    assert far.bd_rate is None and "no quality range" in far.reason and far.overlap == 0
    few = bd(RATE_A[:3], PSNR_A[:3], RATE_B, PSNR_B)
    assert few.bd_rate is None and "at least 4 points" in few.reason


def test_lower_is_better_metrics():
    lp_a = [0.10, 0.20, 0.30, 0.40]
    rate = [4.0, 2.0, 1.0, 0.5]
    res = bd(rate, lp_a, [r * 0.8 for r in rate], lp_a, higher_is_better=False)
    assert res.bd_rate == pytest.approx(-20.0, abs=1e-9)
    better = bd(rate, lp_a, rate, [v - 0.05 for v in lp_a], higher_is_better=False)
    assert better.bd_metric == pytest.approx(0.05, abs=1e-9)  # positive = test is better


def test_non_monotone_quality_is_refused():
    res = bd(RATE_A, [40.0, 38.0, 39.0, 34.0], RATE_B, PSNR_B)
    assert res.bd_rate is None and "does not increase" in res.reason


def test_max_rate_scores_only_the_low_rate_end():
    rate = np.array([0.2, 0.35, 0.5, 0.8, 1.2, 2.0])
    anchor = 10 * np.log10(rate) + 35  # PSNR rising with log-rate
    crossing = anchor + np.array([1.0, 0.8, 0.4, -0.4, -0.8, -1.0])  # better at low rate, worse above 0.6 bpp
    whole, low = bd(rate, anchor, rate, crossing), bd(rate, anchor, rate, crossing, max_rate=0.5)
    assert low.bd_rate < -10 and low.bd_metric > 0.5  # below 0.5 bpp the test codec wins clearly
    assert abs(whole.bd_rate) < abs(low.bd_rate) and whole.bd_metric < low.bd_metric
    # a uniform 10 % saving stays -10 % whatever the cut
    assert bd(rate, anchor, rate * 0.9, anchor, max_rate=0.5).bd_rate == pytest.approx(-10.0, abs=1e-9)
    # a cut below both curves leaves nothing to score, with a reason
    none = bd(rate, anchor, rate, crossing, max_rate=0.1)
    assert none.bd_rate is None and none.bd_metric is None and none.reason
