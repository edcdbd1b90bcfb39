"""Learning curves: score vs labelled clips per class, on the same group-aware folds as every other rung.

For each size k, every training fold is subsampled to at most k clips per class (repeated random draws),
the classifier is fitted on that subsample and scored on the fold's full test part. The read-out says
whether the curve is still rising at the full training set (more labels would help) or flat (the
representation is the limit).

>>> curve = learning_curve(X, labels, folds, name="whisper")
>>> curve.trend, curve.slope_per_doubling         # "rising", 0.06
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import AudioDiagError
from audiodiag.evaluate import Folds
from audiodiag.features import baseline_pipeline

SIZES_PER_CLASS = (1, 2, 5, 10, 20, 50)  # then "all": every training clip
REPEATS = 5  # random draws per size (the full size is drawn once: there is nothing to draw)
RISING_PER_DOUBLING = 0.02  # accuracy gain per doubling of labels, over the last two points, that counts as rising
SATURATED_ACCURACY = 0.99  # at or above this with all clips there is nothing left for more labels to fix


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
    trend: str  # "rising" | "flat" | "saturated"
    explanation: str


def learning_curve(X: np.ndarray, labels: Sequence, folds: Folds, *, name: str = "",
                   sizes_per_class: Sequence[int] = SIZES_PER_CLASS, repeats: int = REPEATS, seed: int = 0,
                   make_model: Callable[[], object] | None = None) -> LearningCurve:
    """Accuracy vs labelled clips per class; each point pools the out-of-fold predictions of all folds.

    Sizes at or above the smallest class's training count collapse into the final "all" point.
    """
    X, y = np.asarray(X), np.asarray(labels).astype(str)
    if len(X) != len(y) or len(y) != folds.n_samples:
        raise AudioDiagError(f"{len(X)} rows, {len(y)} labels and folds for {folds.n_samples} clips; they must "
                             "describe the same clips")
    make_model = make_model or (lambda: baseline_pipeline(seed))
    classes = np.unique(y)
    smallest_train = min(int(np.sum(y[train] == c)) for train, _ in folds.splits() for c in classes)
    largest_train = max(int(np.sum(y[train] == c)) for train, _ in folds.splits() for c in classes)
    caps = sorted({int(k) for k in sizes_per_class if 0 < k < smallest_train}) + [largest_train]
    rng = np.random.default_rng(seed)
    points = []
    for i, cap in enumerate(caps):
        full = i == len(caps) - 1
        draws = 1 if full else repeats
        scores, used = [], []
        for _ in range(draws):
            correct = np.zeros(len(y), bool)
            for train, test in folds.splits():
                subset = train if full else _per_class_sample(train, y, cap, rng)
                if len(np.unique(y[subset])) < 2:
                    continue  # a classifier needs two classes; these test clips count as wrong
                model = make_model()
                model.fit(X[subset], y[subset])
                correct[test] = model.predict(X[test]) == y[test]
                used.append(len(subset))
            scores.append(correct.mean())
        points.append(CurvePoint(cap, float(np.mean(used)) if used else 0.0, float(np.mean(scores)),
                                 float(np.std(scores)), draws))
    slope, trend, explanation = _read_out(name, points)
    return LearningCurve(name, tuple(points), slope, trend, explanation)


def _per_class_sample(train: np.ndarray, y: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    picked = [rng.choice(members, size=min(cap, len(members)), replace=False)
              for c in np.unique(y[train]) for members in [train[y[train] == c]]]
    return np.sort(np.concatenate(picked))


def _read_out(name: str, points: list[CurvePoint]) -> tuple[float, str, str]:
    if len(points) < 2:
        return float("nan"), "flat", (f"{name}: one point only (too few clips per class to draw smaller training "
                                      "sets); cannot tell whether more labels would help")
    a, b = points[-2], points[-1]
    doublings = np.log2(max(b.mean_train_clips, 1) / max(a.mean_train_clips, 1))
    slope = (b.accuracy_mean - a.accuracy_mean) / doublings if doublings > 0 else 0.0
    if b.accuracy_mean >= SATURATED_ACCURACY:
        trend, what = "saturated", "saturated: (nearly) every clip is right already; more labels cannot show a gain here"
    elif slope >= RISING_PER_DOUBLING:
        trend, what = "rising", "still rising: more labelled clips would likely help"
    else:
        trend, what = "flat", "flat: more labels of the same kind would add little; the representation is the limit"
    return float(slope), trend, (f"{name}: accuracy {a.accuracy_mean:.3f} at ≤ {a.clips_per_class} clips/class → "
                                 f"{b.accuracy_mean:.3f} with all training clips ({slope:+.3f} per doubling, "
                                 f"threshold {RISING_PER_DOUBLING:g}): {what}")
