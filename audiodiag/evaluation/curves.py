"""Learning curves: score vs labelled clips per class, on the same group-aware folds as every other rung.

For each size k, every training fold is subsampled to at most k clips per class (repeated random draws),
the classifier is fitted on that subsample and scored on the fold's full test part. The read-out says
whether the curve is still rising at the full training set (more labels would help) or flat (the
representation is the limit), but only when a paired bootstrap CI of the last step (the same test clips,
right or wrong at both sizes) supports it; otherwise it says "inconclusive".

>>> from audiodiag.evaluation.evaluate import make_folds
>>> labels = ["dog"] * 15 + ["cat"] * 15
>>> X = np.random.default_rng(0).normal(size=(30, 4)) + 3 * (np.arange(30) < 15)[:, None]  # separable classes
>>> curve = learning_curve(X, labels, make_folds(labels, n_splits=3), name="encoder")
>>> curve.trend, [p.clips_per_class for p in curve.points]    # "rising" would say: more labels help
('saturated', [1, 2, 5, 10])
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation import intervals
from audiodiag.evaluation.bootstrap import bootstrap_distribution, percentile_ci
from audiodiag.evaluation.fitting import fit_predict, rung_classifier
from audiodiag.evaluation.folds import Folds

SIZES_PER_CLASS = (1, 2, 5, 10, 20, 50)  # then "all": every training clip
REPEATS = 5  # random draws per size (the full size is drawn once: there is nothing to draw)
RISING_PER_DOUBLING = 0.02  # accuracy gain per doubling of labels, over the last two points, that counts as rising
SATURATED_ACCURACY = 0.99  # at or above this with all clips there is nothing left for more labels to fix
STEP_BOOT = 1000  # bootstrap resamples of clips for the CI of the last step
STEP_CI_PERCENTILES = (2.5, 97.5)  # its 95 % interval: exactly these (tail_percentiles(0.95) differs in the last bit)


@dataclass(frozen=True)
class CurvePoint:
    clips_per_class: int  # the cap; the largest point is the full training folds
    mean_train_clips: float  # training clips actually used, averaged over folds and draws
    accuracy_mean: float
    accuracy_std: float  # over the random draws (each draw's accuracy pooled over all folds)
    n_draws: int


@dataclass(frozen=True)
class LearningCurve:
    name: str
    points: tuple[CurvePoint, ...]
    slope_per_doubling: float  # accuracy change per doubling of clips, between the last two points
    trend: str  # "rising" | "flat" | "saturated" | "inconclusive" (the last step's CI allows rising and flat)
    slope_ci: tuple[float, float] = (float("nan"), float("nan"))  # 95 % paired bootstrap CI of the slope


def learning_curve(X: np.ndarray, labels: Sequence, folds: Folds, *, name: str = "",
                   sizes_per_class: Sequence[int] = SIZES_PER_CLASS, repeats: int = REPEATS, seed: int = 0,
                   make_model: Callable[[], object] | None = None, full_predictions: np.ndarray | None = None,
                   progress: Callable[[int, int], None] | None = None) -> LearningCurve:
    """Accuracy vs labelled clips per class; each point pools the out-of-fold predictions of all folds.

    Sizes at or above the smallest class's training count collapse into the final "all" point.
    full_predictions: the out-of-fold predictions of the same model on the same folds with every training clip
    (the comparison's), reused as the final point instead of refitting. progress(fits done, fits in all).
    """
    X, y = np.asarray(X), np.asarray(labels).astype(str)
    if len(X) != len(y) or len(y) != folds.n_samples:
        raise BadParameterError(f"{len(X)} rows, {len(y)} labels and folds for {folds.n_samples} clips; they must "
                                "describe the same clips")
    make_model = make_model or partial(rung_classifier, seed)  # picklable: fits may go to other processes
    classes = np.unique(y)
    splits = list(folds.splits())
    smallest_train = min(int(np.sum(y[train] == c)) for train, _ in splits for c in classes)
    largest_train = max(int(np.sum(y[train] == c)) for train, _ in splits for c in classes)
    members = [_class_members(train, y) for train, _ in splits]  # once per fold, not once per draw
    caps = sorted({int(k) for k in sizes_per_class if 0 < k < smallest_train}) + [largest_train]
    rng = np.random.default_rng(seed)
    reuse = full_predictions is not None  # the comparison's fits: the same model, folds and clips
    # every (point, draw, fold) fit, drawn in a fixed order so the subsets do not depend on the thread count
    jobs, owners = [], []
    for i, cap in enumerate(caps):
        full = i == len(caps) - 1
        for draw in range(0 if full and reuse else 1 if full else repeats):
            for (train, test), by_class in zip(splits, members, strict=True):
                subset = train if full else _per_class_sample(by_class, cap, rng)
                if len(np.unique(y[subset])) >= 2:  # a classifier needs two classes; else these test clips count wrong
                    jobs.append((subset, test))
                    owners.append((i, draw))
    fitted = fit_predict(X, y, jobs, make_model, progress=progress)
    points, right = [], []  # right: per point, the share of its draws in which each clip was predicted right
    for i, cap in enumerate(caps):
        full = i == len(caps) - 1
        draws = 1 if full else repeats
        if full and reuse:
            correct_per_draw = [np.asarray(full_predictions).astype(str) == y]
            used = [len(train) for train, _ in splits if len(np.unique(y[train])) >= 2]
        else:
            correct_per_draw = [np.zeros(len(y), bool) for _ in range(draws)]
            used = []
            for (subset, test), (owner, draw), result in zip(jobs, owners, fitted, strict=True):
                if owner == i:
                    correct_per_draw[draw][test] = result.predictions == y[test]
                    used.append(len(subset))
        scores = [c.mean() for c in correct_per_draw]
        points.append(CurvePoint(cap, float(np.mean(used)) if used else 0.0, float(np.mean(scores)),
                                 float(np.std(scores)), draws))
        right.append(np.sum(correct_per_draw, axis=0) / draws)
    slope, trend, slope_ci = _read_out(points, right, seed)
    return LearningCurve(name, tuple(points), slope, trend, slope_ci)


def _class_members(train: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The training rows of each class present, in class order."""
    return [train[y[train] == c] for c in np.unique(y[train])]


def _per_class_sample(by_class: Sequence[np.ndarray], cap: int, rng: np.random.Generator) -> np.ndarray:
    """At most `cap` rows of each class, drawn without replacement, sorted."""
    picked = [rng.choice(members, size=min(cap, len(members)), replace=False) for members in by_class]
    return np.sort(np.concatenate(picked))


def _read_out(points: list[CurvePoint], right: list[np.ndarray], seed: int) -> tuple[float, str, tuple[float, float]]:
    """(slope per doubling of the last step, trend, the slope's 95 % CI)."""
    nan = (float("nan"), float("nan"))
    if len(points) < 2:  # too few clips per class to draw smaller training sets
        return float("nan"), "inconclusive", nan
    a, b = points[-2], points[-1]
    doublings = np.log2(max(b.mean_train_clips, 1) / max(a.mean_train_clips, 1))
    if doublings <= 0:
        return float("nan"), "inconclusive", nan
    slope = (b.accuracy_mean - a.accuracy_mean) / doublings
    # paired over clips: each resample takes the same test clips at both sizes, so shared hard clips cancel
    gain = right[-1] - right[-2]
    means = bootstrap_distribution(lambda idx: gain[idx].mean(axis=1), len(gain), n_boot=STEP_BOOT, seed=seed)
    step_ci = intervals.not_degenerate(percentile_ci(float(gain.mean()), means, percentiles=STEP_CI_PERCENTILES),
                                       len(gain), bounds=(-1.0, 1.0))  # every clip alike at both sizes: not certain
    low, high = step_ci.ci_low / doublings, step_ci.ci_high / doublings
    if b.accuracy_mean >= SATURATED_ACCURACY:
        trend = "saturated"
    elif low >= RISING_PER_DOUBLING:  # symmetric with "flat": each claim needs its CI wholly on its side
        trend = "rising"
    elif high < RISING_PER_DOUBLING:
        trend = "flat"
    else:
        trend = "inconclusive"
    return float(slope), trend, (float(low), float(high))
