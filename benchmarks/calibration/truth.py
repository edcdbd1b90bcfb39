"""What is true of a simulated dataset (and of its scenario), measured on fresh clips from the same generator.

- accuracy, balanced accuracy and macro-F1: the same fold models (refitted on the same folds, checked against the
  comparison's predictions) scoring a fresh sample of TRUTH_CLIPS clips, new speakers when the data have groups;
  each fold model weighted by its share of the clips, as the out-of-fold score pools them. Two more truths are kept
  beside it: one model trained on all n clips, and the expected accuracy over training sets of one fold's size
  (EXPECTED_TRUTH_REPEATS fresh datasets per scenario: what cross-validation estimates on average).
- paired difference: the encoder's truth minus the baseline's, on the same fresh sample.
- leakage gap: on fresh clips of the dataset's own speakers, the random-fold models' accuracy (each speaker seen in
  training) minus that of the group-fold model each speaker was held out of. Expected: the mean random − group
  out-of-fold gap over fresh datasets.
- learning-curve slope: the expected accuracy (over training draws) at the full training size minus that at the last
  capped size, per doubling, from CURVE_TRUTH_REPEATS fresh training sets each.
"""
from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from audiodiag.evaluation import curves
from audiodiag.evaluation.evaluate import random_vs_group_split
from audiodiag.evaluation.fitting import fit_predict, rung_classifier
from audiodiag.evaluation.folds import make_folds
from benchmarks.calibration.scenarios import Dataset, Scenario, dataset_seed, simulate, world_of
from benchmarks.calibration.settings import (
    CURVE_TRUTH_GRID,
    CURVE_TRUTH_REPEATS,
    EXPECTED_TRUTH_REPEATS,
    N_SPLITS,
    TRUTH_CLIPS,
)


def pooled_scores(y_true: np.ndarray, predictions: Sequence[np.ndarray], weights: Sequence[float],
                  n_classes: int) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro-F1 of fold models pooled with `weights` (their share of the out-of-fold
    clips), from the weighted confusion matrix of their predictions on one fresh sample; defined as metrics_with_ci
    defines them (balanced: classes present; macro-F1: classes seen)."""
    confusion = np.zeros((n_classes, n_classes))
    for pred, w in zip(predictions, weights):
        confusion += w * np.bincount(y_true * n_classes + pred, minlength=n_classes ** 2).reshape(n_classes, -1)
    confusion /= confusion.sum()
    tp, support, predicted = np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)
    present, seen = support > 0, (support + predicted) > 0
    recall = np.divide(tp, support, out=np.zeros(n_classes), where=present)
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros(n_classes), where=seen)
    return {"accuracy": float(tp.sum()), "balanced_accuracy": float(recall[present].mean()),
            "macro_f1": float(f1[seen].mean())}


def splits_of(fold_of_sample: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) indices of each fold."""
    return [(np.flatnonzero(fold_of_sample != f), np.flatnonzero(fold_of_sample == f)) for f in range(n_splits)]


def true_values(dataset: Dataset, outcomes: dict, *, truth_clips: int = TRUTH_CLIPS) -> dict:
    """The true value of every interval `rules.run_rules` reported (see the module), from fresh clips.

    Returns {"scores": {space: {metric: value}}, "scores_all_n": (the same, one model on all n), "gap": {space:
    value}, "oof_agreement" / "random_agreement": {space: share}} (the agreements check that the refitted models
    are compare()'s)."""
    s = dataset.scenario
    rng = np.random.default_rng([dataset.seed, 1])
    fresh, fresh_y, _ = dataset.world.fresh(truth_clips, rng)
    y = dataset.given
    n = len(y)
    splits = splits_of(outcomes["folds"], outcomes["n_splits"])
    random_splits, own, own_y, own_speaker = [], None, None, None
    if s.n_groups is not None:  # the random folds random_vs_group_split draws (same labels, fold count and seed)
        random_splits = splits_of(make_folds(dataset.label_names, None, n_splits=outcomes["n_splits"],
                                             seed=dataset.seed).fold_of_sample, outcomes["n_splits"])
        own, own_y, own_speaker = dataset.world.fresh(truth_clips, rng, own_speakers=True)
        kept = np.isin(own_speaker, dataset.speaker)  # speakers the dataset has clips of
        own, own_y, own_speaker = tuple(x[kept] for x in own), own_y[kept], own_speaker[kept]
    out: dict = {"scores": {}, "scores_all_n": {}, "gap": {}, "oof_agreement": {}, "random_agreement": {}}
    k = len(splits)
    weights = [len(test) / n for _, test in splits]
    for i, space in enumerate(s.spaces):
        X = np.concatenate([dataset.vectors[i], fresh[i]] + ([own[i]] if own is not None else []))
        labels = np.concatenate([y, np.zeros(len(X) - n, y.dtype)])  # only training rows' labels are read
        fresh_rows = np.arange(n, n + len(fresh_y))
        own_rows = np.arange(n + len(fresh_y), len(X))
        jobs = [(train, np.concatenate([test, fresh_rows, own_rows])) for train, test in splits]
        jobs += [(np.arange(n), fresh_rows)]
        jobs += [(train, np.concatenate([test, own_rows])) for train, test in random_splits]
        fitted = fit_predict(X, labels, jobs, lambda: rung_classifier(dataset.seed))
        group_fits, all_n_fit, random_fits = fitted[:k], fitted[k], fitted[k + 1:]
        oof = np.empty(n, y.dtype)
        for (_, test), f in zip(splits, group_fits):
            oof[test] = f.predictions[:len(test)]
        reported = np.asarray([int(p[1:]) for p in outcomes["rungs"][space]["predictions"]])
        out["oof_agreement"][space] = float(np.mean(oof == reported))
        on_fresh = [f.predictions[len(test):len(test) + len(fresh_y)] for (_, test), f in zip(splits, group_fits)]
        out["scores"][space] = pooled_scores(fresh_y, on_fresh, weights, s.n_classes)
        out["scores_all_n"][space] = pooled_scores(fresh_y, [all_n_fit.predictions], [1.0], s.n_classes)
        if random_splits:
            random_oof = np.empty(n, y.dtype)
            for (_, test), f in zip(random_splits, random_fits):
                random_oof[test] = f.predictions[:len(test)]
            split = outcomes["rungs"][space]["split"]
            out["random_agreement"][space] = float(abs(np.mean(random_oof == y) - split["random_accuracy"]) < 1e-12)
            seen = pooled_scores(own_y, [f.predictions[len(test):] for (_, test), f in zip(random_splits, random_fits)],
                                 [len(test) / n for _, test in random_splits], s.n_classes)["accuracy"]
            unseen = np.empty(len(own_y), y.dtype)  # each fresh clip predicted by the model its speaker was held out of
            for (_, test), f in zip(splits, group_fits):
                held_out = np.isin(own_speaker, dataset.speaker[test])
                unseen[held_out] = f.predictions[len(test) + len(fresh_y):][held_out]
            out["gap"][space] = seen - float(np.mean(unseen == own_y))
    return out


def scenario_truth(scenario: Scenario, *, repeats: int = EXPECTED_TRUTH_REPEATS,
                   curve_repeats: int = CURVE_TRUTH_REPEATS, truth_clips: int = TRUTH_CLIPS) -> dict:
    """What is true of the scenario rather than of one dataset: the expected accuracy of each space over training sets
    of the folds' training size, and (curve scenarios) the encoder's expected learning curve."""
    out = {"expected": expected_accuracy(scenario, repeats=repeats, truth_clips=truth_clips)}
    if scenario.curve:
        out.update(expected_curve(scenario, repeats=curve_repeats, truth_clips=truth_clips))
    return out


def expected_accuracy(scenario: Scenario, *, repeats: int, truth_clips: int) -> dict:
    """Mean accuracy of the baseline and encoder spaces over `repeats` fresh datasets of the size one fold trains on
    (n·(k−1)/k clips, k the folds make_folds would use, with the scenario's speakers and label noise), each model
    scoring one fresh sample (new speakers when grouped); the difference is exactly 0 when the Bayes accuracies are
    equal (the spaces are then exchangeable), else the paired mean of the per-dataset differences."""
    s = scenario
    rng = np.random.default_rng([zlib.crc32(s.name.encode()), 3])
    probe = simulate(s, dataset_seed(s, 0))
    k = make_folds(probe.label_names, None if probe.speaker is None else probe.speaker, n_splits=N_SPLITS,
                   seed=0).n_splits
    small = replace(s, n_clips=max(2 * s.n_classes, round(s.n_clips * (k - 1) / k)), n_encoders=1)
    fresh, fresh_y, _ = world_of(small).fresh(truth_clips, rng)
    sets = [simulate(small, int(seed)) for seed in rng.integers(2 ** 32, size=repeats)]
    accuracy = np.zeros((repeats, 2))
    for space in range(2):
        X = np.concatenate([d.vectors[space] for d in sets] + [fresh[space]])
        y = np.concatenate([d.given for d in sets] + [fresh_y])
        starts = np.cumsum([0] + [len(d.given) for d in sets])
        test = np.arange(starts[-1], len(X))
        jobs = [(np.arange(a, b), test) for a, b in zip(starts[:-1], starts[1:])]
        for r, f in enumerate(fit_predict(X, y, jobs, lambda: rung_classifier(0))):
            accuracy[r, space] = np.mean(f.predictions == fresh_y)
    diff = 0.0 if s.gap == 0 else float(np.mean(accuracy[:, 1] - accuracy[:, 0]))
    gaps = {}
    if s.n_groups is not None:  # the mean random − group-fold out-of-fold gap over fresh full-size datasets
        full = [simulate(replace(s, n_encoders=1), int(seed)) for seed in rng.integers(2 ** 32, size=repeats)]
        for space, name in enumerate(("baseline", "encoder")):
            gaps[name] = float(np.mean([random_vs_group_split(
                d.vectors[space], d.label_names, d.speaker, lambda: rung_classifier(0), n_splits=N_SPLITS,
                seed=d.seed).gap for d in full]))
    return {"accuracy": {"baseline": float(accuracy[:, 0].mean()), "encoder": float(accuracy[:, 1].mean())},
            "difference": diff, "gap": gaps, "train_clips": small.n_clips, "n_splits": k, "repeats": repeats}


def expected_curve(scenario: Scenario, *, repeats: int, truth_clips: int) -> dict:
    """The encoder's expected learning curve: mean accuracy over `repeats` fresh balanced training sets per size, on
    one fresh test sample; the last capped size and the full training size the rule will compare; the true slope per
    doubling between them; and the size where the curve saturates."""
    s = scenario
    rng = np.random.default_rng([zlib.crc32(s.name.encode()), 7])
    world = world_of(s)
    y = np.arange(s.n_clips) % s.n_classes
    folds = make_folds([f"c{c:02d}" for c in y], None, n_splits=N_SPLITS, seed=0)
    per_class = [int(np.sum(y[train] == c)) for train, _ in folds.splits() for c in range(s.n_classes)]
    cap = [k for k in curves.SIZES_PER_CLASS if k < min(per_class)][-1]
    full = float(np.mean(per_class))
    full_rounded = round(full)
    test_x, test_y, _ = world.fresh(truth_clips, rng)
    sizes = sorted({*CURVE_TRUTH_GRID, cap, full_rounded})
    blocks, owners = [], []
    for size in sizes:
        for _ in range(repeats):
            labels = np.repeat(np.arange(s.n_classes), size)
            blocks.append((world.vectors(labels, None, None, rng)[1], labels))
            owners.append(size)
    X = np.concatenate([b[0] for b in blocks] + [test_x[1]])
    labels = np.concatenate([b[1] for b in blocks] + [test_y])
    starts = np.cumsum([0] + [len(b[1]) for b in blocks])
    test_rows = np.arange(starts[-1], len(X))
    jobs = [(np.arange(a, b), test_rows) for a, b in zip(starts[:-1], starts[1:])]
    accuracy: dict[int, list[float]] = defaultdict(list)
    for size, f in zip(owners, fit_predict(X, labels, jobs, lambda: rung_classifier(0))):
        accuracy[size].append(float(np.mean(f.predictions == test_y)))
    curve = {size: float(np.mean(v)) for size, v in accuracy.items()}
    slope = (curve[full_rounded] - curve[cap]) / math.log2(full / cap)
    grid = list(CURVE_TRUTH_GRID)
    saturates = next((a for a, b in zip(grid, grid[1:]) if (curve[b] - curve[a]) / math.log2(b / a)
                      < curves.RISING_PER_DOUBLING), None)
    trend = ("saturated" if curve[full_rounded] >= curves.SATURATED_ACCURACY else
             "rising" if slope >= curves.RISING_PER_DOUBLING else "flat")
    return {"curve": {str(k): v for k, v in sorted(curve.items())}, "cap": cap, "full_per_class": full,
            "slope": slope, "trend": trend, "saturates_at_per_class": saturates, "curve_repeats": repeats}
