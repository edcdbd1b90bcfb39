"""Fair evaluation of the rungs on one set of folds for all (`audiodiag.evaluation.folds`): out-of-fold predictions, metrics with bootstrap
confidence intervals (`audiodiag.evaluation.bootstrap`), a paired test of "does rung B beat rung A" and a leakage check;
confusions live in `audiodiag.evaluation.confusions` (re-exported here).

>>> from audiodiag.evaluation.fitting import rung_classifier
>>> labels = ["dog"] * 15 + ["cat"] * 15
>>> X_noise = np.random.default_rng(0).normal(size=(30, 4))      # a space that knows nothing of the labels
>>> X_good = X_noise + 3 * (np.arange(30) < 15)[:, None]          # one that separates them
>>> folds = make_folds(labels, n_splits=5, seed=0)                # reuse for every rung (pass groups when known)
>>> base = cross_val_predict_folds(X_noise, labels, folds, rung_classifier)
>>> enc = cross_val_predict_folds(X_good, labels, folds, rung_classifier)
>>> paired_comparison(labels, base.predictions, enc.predictions, name_a="noise", name_b="good").verdict
'yes'
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation import intervals
from audiodiag.evaluation.bootstrap import (
    CONFIDENCE,
    N_BOOT,
    Estimate,
    bootstrap_distribution,
    percentile_ci,
    percentile_cis,
)
from audiodiag.evaluation.confusions import ConfusedPair, Confusion, confusion, most_confused_pairs, per_class_f1
from audiodiag.evaluation.folds import Folds, make_folds

__all__ = ["OutOfFold", "cross_val_predict_folds", "cross_val_predict_each", "Metrics", "metrics_with_ci",
           "PairedComparison", "format_p", "paired_comparison", "SplitComparison", "random_vs_group_split",
           # re-exported from their own modules, where they moved (callers may import them from here)
           "Estimate", "Confusion", "ConfusedPair", "confusion", "per_class_f1", "most_confused_pairs"]

SIGNIFICANCE_LEVEL = 0.05  # a paired p below this (Holm-adjusted in a family) counts as a real difference


# ---------------------------------------------------------------- out-of-fold predictions

@dataclass(frozen=True, eq=False)
class OutOfFold:
    """Each clip predicted by the model of the one fold in which it was a test clip."""

    predictions: np.ndarray  # shape (n_clips,), labels
    probabilities: np.ndarray  # shape (n_clips, n_classes) in `classes` order; NaN if the model has none
    classes: tuple


def cross_val_predict_folds(X: np.ndarray, y: Sequence, folds: Folds, make_model: Callable[[], object]) -> OutOfFold:
    """Fit a fresh `make_model()` per fold on the training clips, predict the test clips.

    X: (n_clips, d) features; y: n_clips labels; folds: from `make_folds` on the same clips, in the same
    order (reuse it for every rung, so they are compared on identical splits).
    """
    return cross_val_predict_each(X, y, [folds], make_model)[0]


def cross_val_predict_each(X: np.ndarray, y: Sequence, fold_sets: Sequence[Folds],
                           make_model: Callable[[], object]) -> list[OutOfFold]:
    """`cross_val_predict_folds` for each of several fold sets of the same clips (a rung's folds, the random folds of
    its leakage check, ...), their fits handed out as one batch: worker processes (`fitting.spread_over`) go from one
    set's fits to the next without waiting for this process between them."""
    X = np.asarray(X)
    y = np.asarray(y)
    for folds in fold_sets:
        if not (len(X) == len(y) == folds.n_samples):
            raise BadParameterError(f"{len(X)} feature rows, {len(y)} labels and folds for {folds.n_samples} clips; "
                                    "they must describe the same clips: rebuild the folds with make_folds on these "
                                    "labels")
    from audiodiag.evaluation.fitting import fit_predict

    classes = tuple(np.unique(y))
    splits = [list(folds.splits()) for folds in fold_sets]
    fitted = iter(fit_predict(X, y, [split for each in splits for split in each], make_model, probabilities=True))
    out = []
    for each in splits:
        predictions = np.empty(len(y), dtype=y.dtype)
        probabilities = np.full((len(y), len(classes)), np.nan)
        for (_, test), fit in zip(each, fitted, strict=False):  # this set's share of the fits, in order
            predictions[test] = fit.predictions
            if fit.probabilities is not None:
                columns = [classes.index(c) for c in fit.classes]
                probabilities[np.ix_(test, columns)] = fit.probabilities
                probabilities[test] = np.nan_to_num(probabilities[test])  # classes absent from training: 0
        out.append(OutOfFold(predictions=predictions, probabilities=probabilities, classes=classes))
    return out


# ---------------------------------------------------------------- metrics with bootstrap CIs

@dataclass(frozen=True)
class Metrics:
    accuracy: Estimate
    balanced_accuracy: Estimate  # mean recall over the classes present in y_true
    macro_f1: Estimate  # mean F1 over the classes present in y_true or y_pred (as sklearn)
    n_clips: int
    n_boot: int
    confidence: float = CONFIDENCE
    unit: str = "clips"  # what the intervals treat as independent: "clips", or "groups" (speakers/sources)


def metrics_with_ci(y_true: Sequence, y_pred: Sequence, *, groups: Sequence | None = None, n_boot: int = N_BOOT,
                    seed: int = 0) -> Metrics:
    """Accuracy, balanced accuracy and macro-F1 with 95 % CIs (`audiodiag.evaluation.intervals`): accuracy by Wilson's
    interval (widened for groups), the other two by the percentile bootstrap over clips, or over whole groups when
    `groups` is given, never narrower than the accuracy's where every resample agrees.

    The same values as sklearn's accuracy_score, balanced_accuracy_score and f1_score(average="macro").

    >>> m = metrics_with_ci(["a", "b", "b"], ["a", "b", "a"])
    >>> m.accuracy.value, m.unit
    (0.6666666666666666, 'clips')
    """
    t, p, n_classes = _encode(y_true, y_pred)
    point = _metric_table(t, p, np.arange(len(t))[None, :], n_classes)[:, 0]
    accuracy = intervals.proportion(t == p, groups)
    n_groups = intervals.groups_used(groups, len(t))
    grouped = n_groups is not None
    if grouped:
        boot = _group_metric_table(t, p, n_classes, groups, n_boot=n_boot, seed=seed)
    else:
        boot = bootstrap_distribution(lambda idx: _metric_table(t, p, idx, n_classes), len(t), n_boot=n_boot,
                                      seed=seed)
    _, balanced, macro_f1 = percentile_cis(point, boot)
    if grouped:  # few groups: the percentile interval alone undercovers
        balanced, macro_f1 = (intervals.few_groups_widened(e, boot[i], n_groups) for i, e in ((1, balanced),
                                                                                             (2, macro_f1)))
    return Metrics(accuracy=accuracy, balanced_accuracy=intervals.with_floor(balanced, accuracy),
                   macro_f1=intervals.with_floor(macro_f1, accuracy), n_clips=len(t), n_boot=n_boot,
                   unit="groups" if grouped else "clips")


def _encode(y_true: Sequence, y_pred: Sequence, *more: Sequence) -> tuple[np.ndarray, ...]:
    """Integer codes over the union of classes, for bincount; the last item is the number of classes."""
    arrays = [np.asarray(a) for a in (y_true, y_pred, *more)]
    if any(len(a) != len(arrays[0]) for a in arrays) or len(arrays[0]) == 0:
        raise BadParameterError(f"got {', '.join(str(len(a)) for a in arrays)} labels/predictions; "
                                "pass one true label and one prediction per clip (non-empty, same order)")
    classes, codes = np.unique(np.concatenate(arrays), return_inverse=True)
    return (*np.split(codes, len(arrays)), len(classes))


def _metric_table(t: np.ndarray, p: np.ndarray, idx: np.ndarray, n_classes: int) -> np.ndarray:
    """(3, n_resamples): accuracy, balanced accuracy, macro-F1 of each row of resampled indices."""
    n_rows = idx.shape[0]
    offsets = (np.arange(n_rows) * n_classes)[:, None]
    true_codes, pred_codes = t[idx] + offsets, p[idx] + offsets
    hit = true_codes == pred_codes
    size = n_rows * n_classes
    tp = np.bincount(true_codes[hit], minlength=size).reshape(n_rows, n_classes)
    support = np.bincount(true_codes.ravel(), minlength=size).reshape(n_rows, n_classes)
    predicted = np.bincount(pred_codes.ravel(), minlength=size).reshape(n_rows, n_classes)
    return _metrics_from_counts(tp, support, predicted, hit.mean(axis=1))


def _group_metric_table(t: np.ndarray, p: np.ndarray, n_classes: int, groups: Sequence, *, n_boot: int,
                        seed: int) -> np.ndarray:
    """(3, n_boot): _metric_table of each cluster-bootstrap resample (`intervals.group_resamples`), from per-group
    counts times how often each group is drawn: the same integers, so the same values, without a loop over resamples."""
    codes, drawn = intervals.group_resample_counts(groups, n_boot, seed=seed)
    n_groups, hit = drawn.shape[1], t == p

    def per_group(cells: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:  # (groups, classes) counts
        table = np.bincount(codes * n_classes + cells, weights=weights, minlength=n_groups * n_classes)
        return table.astype(np.int64).reshape(n_groups, n_classes)

    hits = np.bincount(codes, weights=hit, minlength=n_groups).astype(np.int64)
    sizes = np.bincount(codes, minlength=n_groups)
    return _metrics_from_counts(drawn @ per_group(t, hit), drawn @ per_group(t), drawn @ per_group(p),
                                (drawn @ hits) / (drawn @ sizes))


def _metrics_from_counts(tp: np.ndarray, support: np.ndarray, predicted: np.ndarray, accuracy: np.ndarray
                         ) -> np.ndarray:
    """(3, rows): accuracy, balanced accuracy, macro-F1 from per-row (rows, classes) true positives, true counts
    and predicted counts."""
    present = support > 0
    recall = np.divide(tp, support, out=np.zeros(tp.shape), where=present)
    balanced = recall.sum(axis=1) / present.sum(axis=1)
    seen = (support + predicted) > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros(tp.shape), where=seen)
    macro_f1 = f1.sum(axis=1) / seen.sum(axis=1)
    return np.stack([accuracy, balanced, macro_f1])


# ---------------------------------------------------------------- paired comparison

@dataclass(frozen=True)
class PairedComparison:
    name_a: str
    name_b: str
    n_clips: int
    accuracy_a: float
    accuracy_b: float
    difference: Estimate  # accuracy_b − accuracy_a with its paired 95 % CI (intervals.paired_difference)
    only_a_right: int  # clips A gets right and B gets wrong
    only_b_right: int
    p_value: float  # two-sided, from the statistic of the CI (so p < 0.05 exactly when the CI excludes 0)
    verdict: str  # "yes" | "no" | "inconclusive": does B beat A?
    explanation: str
    p_adjusted: float | None = None  # Holm-adjusted over the comparisons of one run (None: not adjusted)
    n_compared: int = 1  # comparisons in that family
    unit: str = "clips"  # "groups" when clips of one speaker/source were treated as one unit

    @property
    def p_decisive(self) -> float:
        """The p-value the verdict reads: Holm-adjusted when the run compared several encoders."""
        return self.p_value if self.p_adjusted is None else self.p_adjusted


def format_p(p_value: float) -> str:
    """Every p-value in one format: three significant digits (0.00781, 0.227, 1.2e-11, 1)."""
    return f"{p_value:.3g}"


def pair_verdict(difference: Estimate, p_value: float) -> str:
    """The one rule for "does B beat A": "yes" when p < 0.05 (Holm-adjusted in a family) and B is ahead; "no"
    when the CI's upper end is at or below 0 (the data rule out a B advantage); else "inconclusive"."""
    if p_value < SIGNIFICANCE_LEVEL and difference.value > 0:
        return "yes"
    return "no" if difference.ci_high <= 0 else "inconclusive"


def paired_comparison(y_true: Sequence, pred_a: Sequence, pred_b: Sequence, *, name_a: str = "A",
                      name_b: str = "B", groups: Sequence | None = None, n_boot: int = N_BOOT,
                      seed: int = 0) -> PairedComparison:
    """Does rung B classify these clips better than rung A? Both were predicted on the same clips and folds.

    The difference accuracy(B) − accuracy(A) with its paired 95 % CI and the p-value of the same statistic
    (`intervals.paired_difference`: Agresti–Min, widened for groups when `groups` is given); the verdict is
    `pair_verdict`. A run comparing several encoders with one baseline adjusts the p-values with `holm_family`.
    n_boot and seed are unused (kept for callers; the interval has a closed form).
    """
    t, a, b, _ = _encode(y_true, pred_a, pred_b)
    right_a, right_b = a == t, b == t
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    difference, p_value = intervals.paired_difference(right_a, right_b, groups)
    acc_a, acc_b = float(right_a.mean()), float(right_b.mean())
    verdict = pair_verdict(difference, p_value)
    numbers = (f"{name_b} is right on {only_b} clips where {name_a} is wrong, {name_a} on {only_a} where {name_b} is "
               f"wrong; accuracy {acc_a:.3f} → {acc_b:.3f}, difference {signed(difference.value)} (95 % CI "
               f"{signed(difference.ci_low)} to {signed(difference.ci_high)}, paired p = {format_p(p_value)})")
    unit = "clips" if intervals.groups_used(groups, len(t)) is None else "groups"
    return PairedComparison(name_a=name_a, name_b=name_b, n_clips=len(t), accuracy_a=acc_a, accuracy_b=acc_b,
                            difference=difference, only_a_right=only_a, only_b_right=only_b, p_value=p_value,
                            verdict=verdict, explanation=f"{verdict}: {numbers}.", unit=unit)


def holm_family(pairs: Sequence[PairedComparison]) -> tuple[PairedComparison, ...]:
    """The pairs of one run (each encoder against the same baseline) with Holm-adjusted p-values and the verdicts
    those give; a single pair is returned unchanged."""
    from dataclasses import replace

    if len(pairs) < 2:
        return tuple(pairs)
    adjusted = intervals.holm([p.p_value for p in pairs])
    out = []
    for p, q in zip(pairs, adjusted, strict=True):
        verdict = pair_verdict(p.difference, q)
        numbers = p.explanation.split(": ", 1)[1].rstrip(".")
        out.append(replace(p, p_adjusted=q, n_compared=len(pairs), verdict=verdict, explanation=(
            f"{verdict}: {numbers}; Holm-adjusted over the {len(pairs)} encoders: p = {format_p(q)}.")))
    return tuple(out)


# ---------------------------------------------------------------- leakage

@dataclass(frozen=True)
class SplitComparison:
    """The same model scored with random stratified folds and with group-aware folds."""

    random_accuracy: float
    group_accuracy: float
    random_note: str
    group_note: str
    leakage_suspected: bool
    explanation: str
    gap_ci: tuple[float, float] = (float("nan"), float("nan"))  # 95 % paired CI, clustered by group
    p_value: float = float("nan")  # two-sided, of "no gap", from the CI's statistic
    p_adjusted: float | None = None  # Holm-adjusted over the rungs of one run

    @property
    def gap(self) -> float:
        return self.random_accuracy - self.group_accuracy


def paired_group_bootstrap_ci(a_right: np.ndarray, b_right: np.ndarray, groups: Sequence, *, n_boot: int = N_BOOT,
                              seed: int = 0) -> Estimate:
    """mean(a_right) − mean(b_right) over the same clips, with a 95 % CI that resamples whole groups: clips of one
    speaker or source are not independent, so they are drawn together (a cluster bootstrap).

    >>> d = paired_group_bootstrap_ci(np.array([1, 1, 1, 1]), np.array([1, 0, 1, 0]), ["g1", "g1", "g2", "g2"])
    >>> d.value
    0.5
    """
    diff = np.asarray(a_right, dtype=np.float64) - np.asarray(b_right, dtype=np.float64)
    _, group_index = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    sums = np.bincount(group_index, weights=diff)
    counts = np.bincount(group_index).astype(np.float64)
    boot = bootstrap_distribution(lambda idx: sums[idx].sum(axis=1) / counts[idx].sum(axis=1), len(sums),
                                  n_boot=n_boot, seed=seed)
    return percentile_ci(float(diff.mean()), boot)


def random_vs_group_split(X: np.ndarray, y: Sequence, groups: Sequence, make_model: Callable[[], object], *,
                          n_splits: int = 5, seed: int = 0, group_folds: Folds | None = None,
                          group_predictions: np.ndarray | None = None, random_folds: Folds | None = None,
                          random_predictions: np.ndarray | None = None) -> SplitComparison:
    """Accuracy with plain StratifiedKFold vs StratifiedGroupKFold on the same clips and model.

    When clips of one speaker/session/recording share cues, random folds put them on both sides and the
    score is inflated; the group-aware score is the one to trust. group_folds and group_predictions: the
    group-aware folds and their out-of-fold predictions when the caller has them already (not refitted);
    random_folds and random_predictions likewise for the random folds (by default drawn with the group folds'
    count, so only grouping differs).
    """
    by_group = group_folds or make_folds(y, groups, n_splits=n_splits, seed=seed)
    by_clip = random_folds or make_folds(y, None, n_splits=by_group.n_splits, seed=seed)
    if group_predictions is None or group_folds is None:
        group_predictions = cross_val_predict_folds(X, y, by_group, make_model).predictions
    if random_predictions is None or random_folds is None:
        random_predictions = cross_val_predict_folds(X, y, by_clip, make_model).predictions
    truth = np.asarray(y)
    random_right, group_right = random_predictions == truth, group_predictions == truth
    random_acc, group_acc = float(np.mean(random_right)), float(np.mean(group_right))
    gap, p_value = intervals.paired_difference(group_right, random_right, groups)
    suspected = leakage_rule(gap, p_value)
    numbers = (f"random folds {random_acc:.3f}, group-aware folds {group_acc:.3f}, gap {signed(gap.value)} "
               f"(95 % CI {signed(gap.ci_low)} to {signed(gap.ci_high)}, clustered by speaker/source)")
    if suspected:
        explanation = (f"{numbers}: group leakage; random folds score higher because the same groups sit in "
                       "training and test")
    else:
        explanation = f"{numbers}: the CI reaches 0, so no group leakage is shown"
    return SplitComparison(random_accuracy=random_acc, group_accuracy=group_acc, random_note=by_clip.note,
                           group_note=by_group.note, leakage_suspected=suspected, explanation=explanation,
                           gap_ci=(gap.ci_low, gap.ci_high), p_value=p_value)


def leakage_rule(gap: Estimate, p_value: float) -> bool:
    """The one rule: random folds score higher than group-aware folds, p < 0.05 (Holm-adjusted over the rungs)."""
    return p_value < SIGNIFICANCE_LEVEL and gap.value > 0


def holm_leakage(checks: Sequence[SplitComparison | None]) -> list[SplitComparison | None]:
    """The rungs' leakage checks with Holm-adjusted p-values and the verdicts those give (None stays None)."""
    from dataclasses import replace

    present = [c for c in checks if c is not None]
    if len(present) < 2:
        return list(checks)
    adjusted = iter(intervals.holm([c.p_value for c in present]))
    out = []
    for c in checks:
        if c is None:
            out.append(None)
            continue
        q = next(adjusted)
        out.append(replace(c, p_adjusted=q, leakage_suspected=leakage_rule(
            Estimate(c.gap, *c.gap_ci), q)))
    return out


def signed(x: float, digits: int = 3) -> str:
    """A signed number with `digits` decimals that never reads "-0.000" (a rounded negative zero is +0.000).

    >>> signed(-0.0001), signed(0.25)
    ('+0.000', '+0.250')
    """
    text = f"{x:+.{digits}f}"
    return "+" + text[1:] if float(text) == 0 else text
