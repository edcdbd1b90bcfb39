"""Shortcut audit: can the labels be predicted from recording conditions alone?

A classifier that sees only metadata (duration, level, sample rate, silence, padding, channels) is scored
on the same folds as the real rungs. If it does well above chance, the models may be learning how the
classes were recorded, not what they sound like, and every score on this dataset is suspect.

>>> audit = metadata_audit(clips, stats, folds, padding_length_s=1.0)
>>> audit.shortcut_suspected, audit.explanation
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.checks import ClipStats
from audiodiag.errors import AudioDiagError
from audiodiag.evaluate import Estimate, Folds, metrics_with_ci
from audiodiag.types import Clip

METADATA_COLUMNS = ("duration_s", "rms_dbfs", "sample_rate_hz", "silence_ratio", "padding_fraction", "channels")
PERMUTATION_REPEATS = 3
FOREST_TREES = 100
SHORTCUT_MARGIN = 0.15  # metadata accuracy whose CI low end is this far above chance is a shortcut warning


@dataclass(frozen=True)
class MetadataAudit:
    accuracy: Estimate
    chance: float  # majority-class rate: what predicting the most common label everywhere scores
    columns: tuple[str, ...]
    importances: dict  # column -> drop in accuracy when that column is shuffled (permutation importance)
    shortcut_suspected: bool
    explanation: str


def metadata_matrix(clips: Sequence[Clip], stats: Sequence[ClipStats], *, padding_length_s: float | None) -> np.ndarray:
    """One row per clip with METADATA_COLUMNS; the padding fraction is against `padding_length_s` (None: 0)."""
    if len(clips) != len(stats):
        raise AudioDiagError(f"{len(clips)} clips but {len(stats)} measurements; measure these clips first")
    rows = []
    for clip, s in zip(clips, stats):
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

    def model():
        return RandomForestClassifier(n_estimators=FOREST_TREES, min_samples_leaf=2, random_state=seed, n_jobs=1)

    predictions, importances = _fit_folds(X, y, folds, model, seed)
    accuracy = metrics_with_ci(y, predictions, seed=seed).accuracy
    chance = float(np.max(np.unique(y, return_counts=True)[1]) / len(y))
    suspected = accuracy.ci_low > chance + SHORTCUT_MARGIN
    top = max(importances, key=importances.get)
    if suspected:
        explanation = (f"recording metadata alone predicts the label with accuracy {accuracy} (chance "
                       f"{chance:.3f}); strongest cue: {top} (accuracy drops {importances[top]:.3f} without it). "
                       "The models may be learning how each class was recorded, not the sound: equalise "
                       f"{top.replace('_', ' ')} across classes (e.g. trim/pad to one length, resample, normalise "
                       "loudness) and re-run the comparison")
    else:
        explanation = (f"metadata alone scores {accuracy} vs chance {chance:.3f} (warning when the CI's low end "
                       f"exceeds chance + {SHORTCUT_MARGIN:g}): no recording-condition shortcut found")
    return MetadataAudit(accuracy, chance, METADATA_COLUMNS, importances, suspected, explanation)


def _fit_folds(X: np.ndarray, y: np.ndarray, folds: Folds, model, seed: int) -> tuple[np.ndarray, dict]:
    """Out-of-fold predictions, and per column the accuracy drop on the test clips when it is shuffled
    (permutation importance of each fold's model, weighted by test size)."""
    from sklearn.inspection import permutation_importance

    predictions = np.empty(len(y), dtype=y.dtype)
    drops = np.zeros(X.shape[1])
    for train, test in folds.splits():
        fitted = model().fit(X[train], y[train])
        predictions[test] = fitted.predict(X[test])
        result = permutation_importance(fitted, X[test], y[test], n_repeats=PERMUTATION_REPEATS, random_state=seed)
        drops += result.importances_mean * len(test)
    return predictions, {name: float(d / len(y)) for name, d in zip(METADATA_COLUMNS, drops)}
