"""The shared percentile bootstrap, with known answers, and the numbers every caller produced before it existed.

The pinned numbers were computed by the code that evaluate, retrieval, wer and curves each carried before
`audiodiag.evaluation.bootstrap` (same seeds, draw order and chunking); they must not change, because the README tables
and decisions are made from them. "Not change" is to PIN_REL, not bit for bit: another CPU may round the last bits.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import binomtest

from audiodiag.asr import wer
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import bootstrap, curves, evaluate, intervals, retrieval
from audiodiag.evaluation.bootstrap import (
    Estimate,
    bootstrap_distribution,
    percentile_ci,
    percentile_cis,
    resample_indices,
    tail_percentiles,
)

# ---------------------------------------------------------------- resampling indices

def test_resample_indices_are_reproducible_and_seed_dependent():
    first = np.concatenate(list(resample_indices(9, 50, seed=4)))
    again = np.concatenate(list(resample_indices(9, 50, seed=4)))
    other = np.concatenate(list(resample_indices(9, 50, seed=5)))
    assert first.shape == (50, 9) and first.min() >= 0 and first.max() <= 8
    assert np.array_equal(first, again) and not np.array_equal(first, other)


@pytest.mark.parametrize("n", [1, 7, 30, 3001])
def test_chunking_does_not_change_the_draws(n):
    whole = np.random.default_rng(2).integers(0, n, size=(203, n))
    for chunk_rows in (None, 1, 7, 100, 500):
        chunks = list(resample_indices(n, 203, seed=2, chunk_rows=chunk_rows))
        assert np.array_equal(np.concatenate(chunks), whole)
        if chunk_rows:
            assert [len(c) for c in chunks[:-1]] == [chunk_rows] * (len(chunks) - 1)


def test_default_chunks_are_bounded_in_elements():
    chunks = list(resample_indices(3001, 2000, seed=0))
    assert [len(c) for c in chunks] == [666, 666, 666, 2]  # BOOT_CHUNK_ELEMENTS // 3001 rows per chunk
    assert max(c.size for c in chunks) <= bootstrap.BOOT_CHUNK_ELEMENTS


@pytest.mark.parametrize("kwargs, match", [({"n": 0, "n_boot": 10}, "n=0"), ({"n": 5, "n_boot": 0}, "n_boot=0"),
                                           ({"n": 5, "n_boot": 10, "chunk_rows": 0}, "chunk_rows=0")])
def test_resample_indices_rejects_nonsense_with_the_value(kwargs, match):
    with pytest.raises(AudioDiagError, match=match):
        next(resample_indices(seed=0, **kwargs))


def test_bootstrap_distribution_joins_chunks_along_the_last_axis():
    x = np.arange(6.0)
    stacked = bootstrap_distribution(lambda idx: np.stack([x[idx].mean(1), x[idx].max(1)]), 6, n_boot=25, seed=1,
                                     chunk_rows=4)
    assert stacked.shape == (2, 25)
    idx = np.random.default_rng(1).integers(0, 6, size=(25, 6))
    assert np.array_equal(stacked[0], x[idx].mean(1))


# ---------------------------------------------------------------- percentile intervals

def test_ci_of_a_constant_is_the_constant():
    boot = bootstrap_distribution(lambda idx: np.full(len(idx), 0.7), 12, n_boot=100, seed=0)
    assert percentile_ci(0.7, boot) == Estimate(0.7, 0.7, 0.7)
    assert percentile_cis([1.0, 2.0], np.array([[1.0] * 5, [2.0] * 5])) == [Estimate(1, 1, 1), Estimate(2, 2, 2)]


def test_percentile_ci_of_a_known_array():
    boot = np.linspace(0, 1, 101)
    ci = percentile_ci(0.5, boot, percentiles=(2.5, 97.5))
    assert (ci.value, ci.ci_low, ci.ci_high) == (0.5, pytest.approx(0.025), pytest.approx(0.975))
    ninety = percentile_ci(0.5, boot, confidence=0.9)
    assert (ninety.ci_low, ninety.ci_high) == (pytest.approx(0.05), pytest.approx(0.95))
    assert str(ci) == "0.500 [0.025, 0.975]"


def test_percentile_cis_matches_percentile_ci_row_by_row():
    boot = np.random.default_rng(0).random((3, 400))
    rows = percentile_cis(boot.mean(1), boot)
    assert rows == [percentile_ci(v, b) for v, b in zip(boot.mean(1), boot)]


def test_tail_percentiles_and_their_validation():
    low, high = tail_percentiles(0.95)
    assert low == pytest.approx(2.5) and high == pytest.approx(97.5)
    with pytest.raises(AudioDiagError, match="confidence=1.5"):
        tail_percentiles(1.5)
    with pytest.raises(AudioDiagError, match=r"shape \(2, 3\)"):
        percentile_ci(0.0, np.zeros((2, 3)))
    with pytest.raises(AudioDiagError, match="2 values"):
        percentile_cis([0.0, 1.0], np.zeros((3, 4)))


def test_estimate_has_one_home():
    assert evaluate.Estimate is wer.Estimate is retrieval.Estimate is Estimate


# ---------------------------------------------------------------- the callers' numbers, pinned

# another CPU may round the last float64 bits differently; another seed, draw order or chunking moves them by >= 1e-5
PIN_REL = 1e-12


def _pinned(estimate: Estimate, value: float, low: float, high: float) -> bool:
    return (estimate.value, estimate.ci_low, estimate.ci_high) == pytest.approx((value, low, high), rel=PIN_REL)


Y = np.array(list("abcabcabcaabbcca"))
A = np.array(list("abcabbabcacbbcaa"))
B = np.array(list("abcabcabcacbbcab"))


def test_metrics_with_ci_numbers_unchanged():
    m = evaluate.metrics_with_ci(Y, A, n_boot=200, seed=3)
    wilson = binomtest(13, 16).proportion_ci(method="wilson")  # accuracy: Wilson's interval, scipy's as reference
    assert m.accuracy.value == 0.8125 and (m.accuracy.ci_low, m.accuracy.ci_high) == pytest.approx(
        (wilson.low, wilson.high), rel=1e-9)
    assert _pinned(m.balanced_accuracy, 0.8111111111111112, 0.6524305555555556, 0.9583333333333334)
    assert _pinned(m.macro_f1, 0.8030303030303031, 0.5833041958041958, 0.9488034188034189)


def test_grouped_metrics_score_each_group_resample_as_its_clips_would():
    """With groups, every cluster resample is scored from per-group counts (no loop over resamples): the same
    numbers as scikit-learn scoring the resampled clips themselves, and the same interval as the loop gave."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    groups = [f"s{i % 5}" for i in range(len(Y))]
    t, p, n_classes = evaluate._encode(Y, A)
    table = evaluate._group_metric_table(t, p, n_classes, groups, n_boot=40, seed=3)
    with warnings.catch_warnings():  # a resample may lack a class that was predicted: sklearn says so, rightly
        warnings.simplefilter("ignore", UserWarning)
        by_hand = [(accuracy_score(Y[i], A[i]), balanced_accuracy_score(Y[i], A[i]),
                    f1_score(Y[i], A[i], average="macro")) for i in intervals.group_resamples(groups, 40, seed=3)]
    assert table.T == pytest.approx(np.array(by_hand), rel=PIN_REL)
    m = evaluate.metrics_with_ci(Y, A, groups=groups, n_boot=200, seed=3)  # pinned from the loop over resamples
    assert _pinned(m.balanced_accuracy, 0.8111111111111112, 0.45269610126637644, 1.0)
    assert _pinned(m.macro_f1, 0.8030303030303031, 0.366453912568594, 1.0)


def test_paired_comparison_numbers_unchanged():
    d = evaluate.paired_comparison(Y, A, B).difference  # Agresti–Min: closed form, no resampling
    assert _pinned(d, 0.0, -0.1885976223460286, 0.1885976223460286)


def test_wer_numbers_unchanged():
    assert _pinned(wer.ratio_ci(np.array([1, 0, 2, 3, 0, 1.0]), np.array([4, 3, 5, 6, 2, 4.0]), n_boot=250, seed=2),
                   0.2916666666666667, 0.15, 0.4181034482758621)
    refs = ["the cat sat", "a dog ran far", "on the mat", "hello there"]
    a = wer.score(refs, ["the cat sad", "a dog ran", "on a mat", "hello there"], n_boot=250, seed=2)
    b = wer.score(refs, ["the cat sat", "a dog ran far", "on mat", "hello hair"], n_boot=250, seed=2)
    assert _pinned(a.corpus_wer, 0.25, 0.1111111111111111, 0.3333333333333333)
    assert _pinned(wer.paired_difference(a, b, n_boot=250, seed=2),
                   -0.08333333333333333, -0.2857142857142857, 0.3333333333333333)


def test_retrieval_numbers_unchanged():
    x = np.array([[0, 1], [0.1, 0.9], [1, 0], [0.9, 0.2], [0.5, 0.5], [0.2, 0.8], [0.8, 0.1], [0.3, 0.6]])
    r = retrieval.retrieval_metrics(x, list("aabbabba"), n_boot=300, seed=1)
    assert _pinned(r.precision_at_1, 0.75, 0.5, 1.0)
    assert _pinned(r.mean_average_precision, 0.6929563492063492, 0.5635912698412697, 0.8218253968253968)


def test_learning_curve_step_ci_unchanged():
    prev = np.array([0, 1, 1, 0, 0.5, 1, 0, 0, 1, 0.5])
    last = np.array([1, 1, 1, 0, 1, 1, 0, 1, 1, 0.5])
    points = [curves.CurvePoint(5, 10.0, float(prev.mean()), 0.0, 5),
              curves.CurvePoint(20, 40.0, float(last.mean()), 0.0, 1)]
    assert curves._read_out(points, [prev, last], 4)[2] == pytest.approx((0.024375, 0.25), rel=PIN_REL)
