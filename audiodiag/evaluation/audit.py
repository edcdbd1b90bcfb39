"""Shortcut audit: can the labels be predicted from recording conditions alone?

A classifier that sees only metadata (duration, level, sample rate, silence, padding, channels) is scored
on the same folds as the real rungs, and so is the best single-feature threshold rule (a shortcut is
often one threshold, e.g. "every dog clip is longer than 2 s", which a forest can blur). If either does well
above chance, the models may be learning how the classes were recorded, not what they sound like, and every
score on this dataset is suspect.

>>> from audiodiag.evaluation.folds import make_folds
>>> from audiodiag.measure import per_clip
>>> noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
>>> clips = [Clip(f"{label}{i}.wav", noise[:n - 100 * i], 16000, 16000, 1, label=label)  # every dog clip is longer
...          for label, n in (("dog", 16000), ("cat", 8000)) for i in range(6)]
>>> stats = [per_clip.clip_stats(clip) for clip in clips]
>>> audit = metadata_audit(clips, stats, make_folds([c.label for c in clips], n_splits=3))
>>> audit.shortcut_suspected, audit.best_feature
(True, 'duration_s')
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.evaluation.fitting import spread_map
from audiodiag.evaluation.folds import Folds
from audiodiag.evaluation.intervals import proportion
from audiodiag.measure.per_clip import ClipStats
from audiodiag.types import Clip

METADATA_COLUMNS = ("duration_s", "rms_dbfs", "sample_rate_hz", "silence_ratio", "padding_fraction", "channels")
PERMUTATION_REPEATS = 3
FOREST_TREES = 100
# The forest grows with the clips (37 MB of tree nodes from 8,000 training clips of noisy metadata). Grown on other
# threads, it was freed into their own heaps (audiodiag.heap), which nothing else reuses: at 10,000 clips the audit's
# peak was +127 MB, and 40 MB stayed held after malloc_trim; grown here, one forest at a time, +49 MB and none held.
# Each tree's seed is drawn before it grows, so the trees do not depend on the thread count. Folds spread over
# worker processes (fitting.spread_over) grow one forest at a time in each, freed there.
FOREST_JOBS = 1
SHORTCUT_MARGIN = 0.15  # metadata accuracy whose CI low end is this far above chance is a shortcut warning


@dataclass(frozen=True)
class MetadataAudit:
    accuracy: Estimate
    chance: float  # majority-class rate: what predicting the most common label everywhere scores
    columns: tuple[str, ...]
    importances: dict  # column -> drop in accuracy when that column is shuffled (permutation importance)
    shortcut_suspected: bool
    explanation: str
    best_feature: str = ""  # the metadata column whose threshold rule alone predicts the label best ...
    best_feature_accuracy: Estimate | None = None  # ... and its out-of-fold accuracy on the same folds


def metadata_matrix(clips: Sequence[Clip], stats: Sequence[ClipStats], *, padding_length_s: float | None) -> np.ndarray:
    """One row per clip with METADATA_COLUMNS; the padding fraction is against `padding_length_s` (None: 0)."""
    if len(clips) != len(stats):
        raise BadParameterError(f"{len(clips)} clips but {len(stats)} measurements; measure these clips first")
    rows = []
    for clip, s in zip(clips, stats, strict=True):
        pad = 0.0 if not padding_length_s else max(0.0, 1 - clip.duration_s / padding_length_s)
        rows.append([clip.duration_s, s.rms_dbfs, clip.original_sample_rate_hz, s.silence_ratio, pad,
                     clip.original_channels])
    return np.asarray(rows, dtype=np.float64)


def metadata_audit(clips: Sequence[Clip], stats: Sequence[ClipStats], folds: Folds, *,
                   padding_length_s: float | None = None, seed: int = 0) -> MetadataAudit:
    """Score a metadata-only classifier (a random forest: shortcuts are often thresholds) on `folds`."""
    from sklearn.ensemble import RandomForestClassifier

    X = metadata_matrix(clips, stats, padding_length_s=padding_length_s)
    y = np.asarray([c.label for c in clips]).astype(str)

    # trees are grown on one thread (FOREST_JOBS); the folds may go to other processes (fitting.spread_over)
    model = partial(RandomForestClassifier, n_estimators=FOREST_TREES, min_samples_leaf=2, random_state=seed,
                    n_jobs=FOREST_JOBS)

    predictions, importances = _fit_folds(X, y, folds, model, seed)
    # only the accuracy is shown: Wilson's interval (what metrics_with_ci would give it), without that function's
    # bootstrap of balanced accuracy and macro-F1, which the audit never reads
    forest = proportion(predictions == y)
    best, single = _best_single_feature(X, y, folds, seed)
    accuracy = single if single.value > forest.value else forest
    chance = float(np.max(np.unique(y, return_counts=True)[1]) / len(y))
    suspected = accuracy.ci_low > chance + SHORTCUT_MARGIN
    top = best if accuracy is single else max(importances, key=importances.get)
    rule = f"best single feature: {best}, whose threshold rule alone scores {single}"
    if suspected:
        explanation = (f"recording metadata alone predicts the label with accuracy {accuracy} (chance "
                       f"{chance:.3f}); {rule}; strongest cue: {top}. The models may be learning how each class "
                       f"was recorded, not the sound. Fix: equalise {top.replace('_', ' ')} across classes (e.g. "
                       "trim/pad to one length, resample, normalise loudness) and re-run the comparison")
    else:
        explanation = (f"metadata alone scores {accuracy} vs chance {chance:.3f} ({rule}): no recording-condition "
                       f"shortcut found. The audit warns when the CI's low end exceeds chance + {SHORTCUT_MARGIN:g}")
    return MetadataAudit(accuracy, chance, METADATA_COLUMNS, importances, suspected, explanation, best, single)


def fit_fold(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, shuffled: np.ndarray,
             model) -> tuple[np.ndarray, np.ndarray]:
    """One fold of the audit, here or in a worker process: the forest's predictions for the test clips, and for
    each shuffled copy of them (shuffled: (copies, test clips, columns) → (copies, test clips))."""
    fitted = model().fit(X_train, y_train)
    if "n_jobs" in fitted.get_params():
        fitted.set_params(n_jobs=1)  # one thread adds up the trees' votes, always in one order: no rounding ties
    copies, n, columns = shuffled.shape
    return fitted.predict(X_test), fitted.predict(shuffled.reshape(-1, columns)).reshape(copies, n)


def _best_single_feature(X: np.ndarray, y: np.ndarray, folds: Folds, seed: int) -> tuple[str, Estimate]:
    """The metadata column whose threshold rule (a decision tree on that column alone, up to one threshold per
    class boundary) scores best out of fold, with that accuracy."""
    from sklearn.tree import DecisionTreeClassifier

    n_classes = len(np.unique(y))
    best: tuple[str, Estimate] | None = None
    for j, name in enumerate(METADATA_COLUMNS):
        if np.ptp(X[:, j]) == 0:
            continue  # a constant column predicts nothing
        predictions = np.empty(len(y), dtype=y.dtype)
        for train, test in folds.splits():
            tree = DecisionTreeClassifier(max_leaf_nodes=max(2, n_classes), random_state=seed)
            predictions[test] = tree.fit(X[train, j:j + 1], y[train]).predict(X[test, j:j + 1])
        accuracy = proportion(predictions == y)
        if best is None or accuracy.value > best[1].value:
            best = (name, accuracy)
    if best is None:
        chance = float(np.max(np.unique(y, return_counts=True)[1]) / len(y))
        return "none (every metadata column is constant)", Estimate(chance, chance, chance)
    return best


def _fit_folds(X: np.ndarray, y: np.ndarray, folds: Folds, model, seed: int) -> tuple[np.ndarray, dict]:
    """Out-of-fold predictions, and per column the accuracy drop on the test clips when it is shuffled
    (permutation importance of each fold's model, weighted by test size).

    The importance is sklearn.inspection.permutation_importance's definition (accuracy on the test clips minus
    accuracy with one column shuffled, mean over PERMUTATION_REPEATS shuffles), with every shuffled copy of the
    test clips predicted in one call: a forest's predict has a fixed cost per call, and sklearn's loop calls it
    columns × repeats times per fold. The shuffles are drawn here, fold after fold, so the folds' fits may run in
    any process (`fitting.spread_map`) with the same result.
    """
    rng = np.random.default_rng(seed)
    n_columns = X.shape[1]
    jobs = []
    for train, test in folds.splits():
        shuffled = np.repeat(X[test][None], n_columns * PERMUTATION_REPEATS, axis=0)  # (columns × repeats, n, d)
        for k in range(len(shuffled)):
            column = k // PERMUTATION_REPEATS
            shuffled[k, :, column] = rng.permutation(shuffled[k, :, column])
        jobs.append((X[train], y[train], X[test], shuffled, model))
    predictions = np.empty(len(y), dtype=y.dtype)
    drops = np.zeros(n_columns)
    for (_, test), (predicted, permuted) in zip(folds.splits(), spread_map(fit_fold, jobs), strict=True):
        predictions[test] = predicted
        baseline = np.mean(predicted == y[test])
        scores = (permuted == y[test]).mean(axis=1).reshape(n_columns, PERMUTATION_REPEATS).mean(axis=1)
        drops += (baseline - scores) * len(test)
    return predictions, {name: float(d / len(y)) for name, d in zip(METADATA_COLUMNS, drops, strict=True)}
