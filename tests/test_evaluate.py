"""Fair evaluation with known answers: folds, out-of-fold scores, bootstrap CIs, paired tests, confusions, leakage."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import evaluate, intervals
from audiodiag.evaluation.bootstrap import resample_indices
from audiodiag.evaluation.confusions import confusion, most_confused_pairs, per_class_f1
from audiodiag.evaluation.evaluate import (
    cross_val_predict_folds,
    make_folds,
    metrics_with_ci,
    paired_comparison,
    random_vs_group_split,
)
from audiodiag.evaluation.fitting import rung_classifier
from audiodiag.represent.features import spectral_features
from audiodiag.types import Clip
from tests.helpers import noise, sine

SR = 16_000


@pytest.fixture(scope="module")
def tone_vs_noise() -> tuple[list[Clip], np.ndarray, np.ndarray]:
    """20 sines at 300 Hz and 20 white-noise clips, random levels; 8 'speakers' with clips of both."""
    rng = np.random.default_rng(7)
    clips = []
    for i in range(20):
        clips.append(Clip(f"tone_{i}.wav", sine(300, amplitude=rng.uniform(0.05, 0.8)), SR, SR, 1,
                          label="tone", group=f"spk{i % 8}"))
        clips.append(Clip(f"noise_{i}.wav", noise(amplitude=rng.uniform(0.01, 0.3), seed=i), SR, SR, 1,
                          label="noise", group=f"spk{(i + 3) % 8}"))
    return clips, np.array([c.label for c in clips]), np.array([c.group for c in clips])


# ---------------------------------------------------------------- folds

def test_separable_classes_score_near_perfect(tone_vs_noise):
    clips, y, groups = tone_vs_noise
    X = spectral_features(clips)
    folds = make_folds(y, groups, n_splits=5, seed=0)
    out = cross_val_predict_folds(X, y, folds, rung_classifier)
    assert accuracy_score(y, out.predictions) >= 0.975
    assert out.probabilities.shape == (40, 2) and out.classes == ("noise", "tone")
    np.testing.assert_allclose(out.probabilities.sum(axis=1), 1.0)


def test_groups_never_split_across_folds(tone_vs_noise):
    _, y, groups = tone_vs_noise
    folds = make_folds(y, groups, n_splits=4, seed=1)
    assert folds.strategy == "StratifiedGroupKFold" and folds.n_splits == 4
    for g in np.unique(groups):
        assert len(np.unique(folds.fold_of_sample[groups == g])) == 1, g
    assert set(folds.fold_of_sample) == {0, 1, 2, 3}


def test_folds_are_reproducible_and_cover_every_clip():
    y = np.repeat(["a", "b", "c"], 10)
    f1, f2 = make_folds(y, seed=3), make_folds(y, seed=3)
    np.testing.assert_array_equal(f1.fold_of_sample, f2.fold_of_sample)
    assert f1.strategy == "StratifiedKFold" and f1.n_splits == 5
    tests = np.concatenate([test for _, test in f1.splits()])
    assert sorted(tests) == list(range(30))


def test_one_class_raises():
    with pytest.raises(AudioDiagError, match="one class"):
        make_folds(["dog"] * 10)


def test_class_with_one_clip_raises_naming_it():
    with pytest.raises(AudioDiagError, match="'cat' has only 1 clip"):
        make_folds(["dog"] * 10 + ["cat"])


def test_small_class_reduces_folds_and_says_so():
    folds = make_folds(["dog"] * 10 + ["cat"] * 2, n_splits=5)
    assert folds.n_splits == 2
    assert "using 2" in folds.note and "'cat' has only 2 clips" in folds.note


def test_few_groups_per_class_reduce_folds():
    y = ["a"] * 6 + ["b"] * 6
    groups = ["g1", "g1", "g2", "g2", "g3", "g3", "h1", "h1", "h2", "h2", "h3", "h4"]
    folds = make_folds(y, groups, n_splits=5)
    assert folds.n_splits == 3 and "only 3 groups" in folds.note


def test_class_from_a_single_group_raises():
    with pytest.raises(AudioDiagError, match="one group"):
        make_folds(["a"] * 4 + ["b"] * 4, ["g1"] * 4 + ["g2", "g3", "g2", "g3"])


def test_missing_groups_raise():
    with pytest.raises(AudioDiagError, match="no group"):
        make_folds(["a", "b", "a", "b"], ["g1", None, "g2", "g3"])


def test_mismatched_lengths_raise():
    folds = make_folds(["a", "b"] * 5)
    with pytest.raises(AudioDiagError, match="same clips"):
        cross_val_predict_folds(np.zeros((9, 2)), ["a", "b"] * 5, folds, rung_classifier)


# ---------------------------------------------------------------- metrics

def test_metrics_match_sklearn_and_ci_contains_point():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 200, p=[0.6, 0.3, 0.1])
    pred = np.where(rng.random(200) < 0.7, y, rng.choice(["a", "b", "c"], 200))
    m = metrics_with_ci(y, pred, n_boot=500)
    assert m.accuracy.value == pytest.approx(accuracy_score(y, pred))
    assert m.balanced_accuracy.value == pytest.approx(balanced_accuracy_score(y, pred))
    assert m.macro_f1.value == pytest.approx(f1_score(y, pred, average="macro"))
    for e in (m.accuracy, m.balanced_accuracy, m.macro_f1):
        assert e.ci_low <= e.value <= e.ci_high and e.ci_high - e.ci_low > 0


def test_bootstrap_resamples_equal_sklearn_on_each_resample():
    rng = np.random.default_rng(1)
    y = rng.choice(["a", "b", "c"], 30)
    pred = np.where(rng.random(30) < 0.6, y, rng.choice(["a", "b", "c"], 30))
    t, p, k = evaluate._encode(y, pred)
    idx = next(resample_indices(30, 20, seed=0))
    table = evaluate._metric_table(t, p, idx, k)
    for row, ix in enumerate(idx):
        assert table[0, row] == pytest.approx(accuracy_score(y[ix], pred[ix]))
        assert table[2, row] == pytest.approx(f1_score(y[ix], pred[ix], average="macro", zero_division=0))


def test_ci_narrows_with_more_clips():
    def width(n: int) -> float:
        y = np.array(["a", "b"] * (n // 2))
        pred = y.copy()
        pred[::5] = np.where(pred[::5] == "a", "b", "a")  # 80 % right
        m = metrics_with_ci(y, pred, n_boot=1000, seed=0)
        return m.accuracy.ci_high - m.accuracy.ci_low

    assert width(1000) < width(100) / 2


# ---------------------------------------------------------------- paired comparison

def test_paired_difference_p_and_yes_verdict_by_hand():
    y = np.array(["a", "b"] * 20)
    pred_b = y.copy()
    pred_a = y.copy()
    pred_a[:10] = np.where(y[:10] == "a", "b", "a")  # A wrong on 10 clips where B is right; B never wrong
    r = paired_comparison(y, pred_a, pred_b, name_a="MFCC", name_b="wav2vec2")
    assert (r.only_b_right, r.only_a_right) == (10, 0)
    # Agresti–Min by hand: half a clip in each cell, so 10.5 and 0.5 discordant of 42
    centre, se = 10 / 42, np.sqrt(11 - 10 ** 2 / 42) / 42
    assert r.p_value == pytest.approx(2 * stats.norm.sf(centre / se), rel=1e-9)  # 0.000659
    assert r.difference.ci_low == pytest.approx(centre - stats.norm.ppf(0.975) * se, rel=1e-9)
    assert r.difference.value == pytest.approx(0.25) and r.difference.ci_low > 0
    assert r.verdict == "yes"
    assert r.explanation.startswith("yes") and "wav2vec2" in r.explanation and "0.000659" in r.explanation


def test_identical_predictions_are_not_certain_to_be_equal():
    y = np.array(["a", "b"] * 10)
    pred = y.copy()
    pred[:3] = "a"
    r = paired_comparison(y, pred, pred.copy())
    assert r.p_value == 1.0 and r.difference.value == 0.0
    # 20 clips on which two rungs agree do not prove they agree everywhere: the CI has width, the verdict waits
    assert r.difference.ci_low < -0.05 and r.difference.ci_high > 0.05 and r.verdict == "inconclusive"


def test_holm_adjusts_a_family_of_encoders():
    y = np.array(["a", "b"] * 50)
    base = y.copy()
    base[:12] = np.where(y[:12] == "a", "b", "a")  # the baseline misses 12 clips
    better = [y.copy() for _ in range(3)]
    for b in better[1:]:
        b[:4] = base[:4]  # these two miss 4 of the 12; enc0 misses none, so its p is the smallest
    pairs = [paired_comparison(y, base, b, name_b=f"enc{i}") for i, b in enumerate(better)]
    family = evaluate.holm_family(pairs)
    assert [p.p_adjusted for p in family] == intervals.holm([p.p_value for p in pairs])
    assert all(p.n_compared == 3 for p in family)
    assert family[0].p_adjusted == pytest.approx(3 * pairs[0].p_value)  # the smallest p pays for all three


def test_small_difference_is_inconclusive_and_a_better_is_no():
    y = np.array(["a", "b"] * 50)
    a = y.copy()
    b = y.copy()
    b[:3] = np.where(y[:3] == "a", "b", "a")
    a[3:5] = np.where(y[3:5] == "a", "b", "a")  # B right on 2 A misses, A right on 3 B misses
    assert paired_comparison(y, a, b).verdict in ("inconclusive", "no")
    assert paired_comparison(y, b, a).verdict == "inconclusive"
    worse = y.copy()
    worse[:30] = np.where(y[:30] == "a", "b", "a")
    r = paired_comparison(y, y, worse)
    assert r.verdict == "no" and r.difference.ci_high < 0


# ---------------------------------------------------------------- confusions

def test_confusion_rows_sum_to_one_in_fixed_order():
    y = ["cat", "cat", "dog", "dog", "dog", "bird"]
    pred = ["cat", "dog", "dog", "dog", "cat", "cat"]
    c = confusion(y, pred, labels=["dog", "cat", "bird"])
    assert c.labels == ("dog", "cat", "bird")
    np.testing.assert_array_equal(c.counts, [[2, 1, 0], [1, 1, 0], [0, 1, 0]])
    np.testing.assert_allclose(c.normalized.sum(axis=1), 1.0)
    np.testing.assert_allclose(c.normalized[0], [2 / 3, 1 / 3, 0])


def test_confusion_with_unknown_label_raises():
    with pytest.raises(AudioDiagError, match="bird"):
        confusion(["cat", "bird"], ["cat", "cat"], labels=["cat", "dog"])


def test_per_class_f1_matches_sklearn():
    y = ["cat", "cat", "dog", "dog", "dog", "bird"]
    pred = ["cat", "dog", "dog", "dog", "cat", "cat"]
    labels = ["bird", "cat", "dog"]
    ours = per_class_f1(y, pred, labels=labels)
    ref = f1_score(y, pred, labels=labels, average=None, zero_division=0)
    assert list(ours) == labels and list(ours.values()) == pytest.approx(list(ref))


def test_most_confused_pairs_with_examples():
    y = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    pred = ["b", "b", "b", "a", "a"] + ["a", "b", "b", "b", "b"] + ["c"] * 5
    pairs = most_confused_pairs(y, pred, top=5)
    assert [(p.true_label, p.predicted_label, p.count) for p in pairs] == [("a", "b", 3), ("b", "a", 1)]
    assert pairs[0].example_indices == (0, 1, 2) and pairs[1].example_indices == (5,)


# ---------------------------------------------------------------- leakage

def test_random_folds_leak_when_groups_carry_the_label():
    """Each group has its own fingerprint and a single class: random folds learn the fingerprint,
    group-aware folds meet unseen groups and fall to chance."""
    rng = np.random.default_rng(0)
    n_groups, per_group = 20, 6
    centroids = rng.normal(size=(n_groups, 16))
    groups = np.repeat([f"g{i}" for i in range(n_groups)], per_group)
    y = np.repeat(["a" if i % 2 else "b" for i in range(n_groups)], per_group)
    X = np.repeat(centroids, per_group, axis=0) + 0.05 * rng.normal(size=(n_groups * per_group, 16))
    r = random_vs_group_split(X, y, groups, rung_classifier, n_splits=5, seed=0)
    assert r.random_accuracy > 0.95 and r.group_accuracy < 0.8
    assert r.leakage_suspected and "leakage" in r.explanation and r.gap_ci[0] > 0


def test_a_gap_inside_its_paired_group_ci_is_not_called_leakage():
    """Random vs group-aware folds differ by chance only (no group fingerprint): whatever the gap, its CI over
    resampled groups reaches 0, so no leakage is claimed."""
    rng = np.random.default_rng(1)
    n_groups, per_group = 12, 5
    groups = np.repeat([f"g{i}" for i in range(n_groups)], per_group)
    y = np.array(["a", "b"] * (n_groups * per_group // 2))
    X = rng.normal(size=(len(y), 8)) + 0.8 * (y == "a")[:, None]  # class signal, no group signal
    r = random_vs_group_split(X, y, groups, rung_classifier, n_splits=3, seed=0)
    assert r.gap_ci[0] <= 0 <= r.gap_ci[1] and not r.leakage_suspected and "no group leakage" in r.explanation
