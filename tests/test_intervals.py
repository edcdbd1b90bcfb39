"""Intervals mean what they say (issue 28): right at 0 and 1, and wide enough when clips come in groups.

Known answers by hand where there is a closed form; small seeded Monte-Carlo runs where the claim is a coverage
(benchmarks/calibration.py measures the same at scale)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from audiodiag.evaluation import intervals
from audiodiag.evaluation.bootstrap import Estimate


def test_a_perfect_score_on_60_clips_reaches_below_097():
    e = intervals.proportion(np.ones(60, dtype=bool))
    assert e.value == 1.0 and e.ci_high == 1.0 and e.ci_low < 0.97
    reference = binomtest(60, 60).proportion_ci(method="wilson")
    assert e.ci_low == pytest.approx(reference.low, rel=1e-9)
    assert intervals.proportion(np.zeros(60, dtype=bool)).ci_high == pytest.approx(1 - reference.low)


def test_grouped_clips_never_get_a_narrower_interval_than_independent_ones():
    rng = np.random.default_rng(0)
    right = rng.random(120) < 0.8
    groups = np.repeat(np.arange(6), 20)
    alone, grouped = intervals.proportion(right), intervals.proportion(right, groups)
    assert grouped.ci_low <= alone.ci_low and grouped.ci_high >= alone.ci_high
    every_clip_alone = intervals.proportion(right, np.arange(120))  # each its own group: independent clips
    assert every_clip_alone == alone


def _speakers(rng, n_groups: int = 6, per_group: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Clips of n_groups speakers whose own accuracy varies (Beta(8, 2): mean 0.8), as real speakers do."""
    p = rng.beta(8, 2, n_groups)
    right = np.concatenate([rng.random(per_group) < q for q in p])
    return right, np.repeat(np.arange(n_groups), per_group)


def test_grouped_intervals_cover_where_clip_intervals_do_not():
    rng = np.random.default_rng(0)
    runs, grouped, alone = 300, 0, 0
    for _ in range(runs):
        right, groups = _speakers(rng)
        g, c = intervals.proportion(right, groups), intervals.proportion(right)
        grouped += g.ci_low <= 0.8 <= g.ci_high
        alone += c.ci_low <= 0.8 <= c.ci_high
    # measured: 0.94 with groups respected, 0.78 treating 120 clips of 6 speakers as independent
    assert grouped / runs >= 0.90 and alone / runs <= 0.85


def test_paired_test_on_grouped_clips_keeps_its_level_under_the_null():
    rng = np.random.default_rng(2)
    runs, grouped, alone = 300, 0, 0
    for _ in range(runs):
        a, groups = _speakers(rng, 10, 10)
        b = np.concatenate([rng.random(10) < a[groups == g].mean() for g in range(10)])  # same speakers, no gain
        grouped += intervals.paired_difference(a, b, groups)[1] < 0.05
        alone += intervals.paired_difference(a, b)[1] < 0.05
    assert grouped / runs <= 0.06  # measured 0.02; the level is 0.05


def test_paired_difference_p_and_ci_agree():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a, b = rng.random(80) < 0.7, rng.random(80) < rng.uniform(0.6, 0.95)
        d, p = intervals.paired_difference(a, b)
        assert (p < 0.05) == (d.ci_low > 0 or d.ci_high < 0) or abs(p - 0.05) < 1e-9


def test_holm_by_hand():
    assert intervals.holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert intervals.holm([0.5]) == [0.5] and intervals.holm([0.6, 0.7]) == [1.0, 1.0]


def test_degenerate_bootstrap_intervals_keep_wilsons_width():
    assert intervals.not_degenerate(Estimate(0.3, 0.2, 0.4), 10) == Estimate(0.3, 0.2, 0.4)
    flat = intervals.not_degenerate(Estimate(1.0, 1.0, 1.0), 60)
    assert flat.ci_high == 1.0 and flat.ci_low == pytest.approx(intervals.wilson(60, 60)[0])
