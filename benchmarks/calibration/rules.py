"""The library's own rules on one simulated dataset: what a note would say, and the intervals it rests on.

Every number comes from `compare.compare` on `types.ClipInfo`s, `curves.learning_curve`,
`verdict.classification_evidence` and `verdict.classification_claims`: change a rule there and the calibration
table changes with it. Nothing here decides a claim.
"""
from __future__ import annotations

import numpy as np

from audiodiag.evaluation import compare, curves
from audiodiag.evaluation.evaluate import pair_verdict
from audiodiag.represent.spaces import SpaceVectors
from audiodiag.types import ClipInfo
from audiodiag.verdict import Kind, classification_claims, classification_evidence
from benchmarks.calibration.scenarios import Dataset
from benchmarks.calibration.settings import N_BOOT, N_SPLITS

CLIP_SAMPLES, RATE_HZ = 16_000, 16_000  # each simulated clip "lasts" 1 s: only durations are read (padding)


def clips_of(dataset: Dataset) -> list[ClipInfo]:
    """The dataset as the clips compare() reads: names in canonical order (no reordering inside compare), labels,
    speakers as groups."""
    names = dataset.label_names
    return [ClipInfo(f"clip_{i:05d}.wav", CLIP_SAMPLES, RATE_HZ, RATE_HZ, 1, label=names[i],
                     group=None if dataset.speaker is None else f"speaker_{dataset.speaker[i]:03d}",
                     content_hash=f"{i:016x}")
            for i in range(len(names))]


def run_rules(dataset: Dataset, *, n_boot: int = N_BOOT) -> dict:
    """Everything a note would say about this dataset, from the library alone: compare(), the encoder's learning
    curve (curve scenarios), the evidence and its claims. Returns plain numbers plus the folds used."""
    s = dataset.scenario
    names = dataset.label_names
    spaces = [SpaceVectors(space, x, float("nan"), 0.0, False, {}) for space, x in zip(s.spaces, dataset.vectors)]
    comparison = compare.compare(clips_of(dataset), spaces, n_splits=N_SPLITS, n_boot=n_boot, seed=dataset.seed)
    learning = []
    if s.curve:
        encoder = spaces[1]
        smallest = min(int(np.sum(names[train] == c)) for train, _ in comparison.folds.splits() for c in np.unique(names))
        # the trend reads the last two points only: the largest default size below the full training set, then all
        sizes = [k for k in curves.SIZES_PER_CLASS if k < smallest][-1:] or curves.SIZES_PER_CLASS
        learning.append(curves.learning_curve(encoder.vectors, names, comparison.folds, name=encoder.space,
                                              sizes_per_class=sizes, seed=dataset.seed,
                                              full_predictions=comparison.rung(encoder.space).predictions))
    claims = classification_claims(classification_evidence(comparison, curves=learning))
    verdict = {(c.kind, c.subject[0] if c.subject else ""): c.verdict for c in claims}
    out: dict = {"folds": np.asarray(comparison.folds.fold_of_sample), "n_splits": comparison.folds.n_splits,
                 "rungs": {}, "pairs": {}, "leakage": None, "curve": None}
    for r in comparison.rungs:
        split = r.split_check
        out["rungs"][r.space] = {
            "accuracy": triple(r.metrics.accuracy), "balanced_accuracy": triple(r.metrics.balanced_accuracy),
            "macro_f1": triple(r.metrics.macro_f1), "unit": r.metrics.unit, "predictions": r.predictions,
            "split": None if split is None else {
                "suspected": bool(split.leakage_suspected), "gap": (split.gap, *split.gap_ci),
                "p_value": float(split.p_value), "random_accuracy": split.random_accuracy}}
    for p in comparison.paired:
        stated = verdict[(Kind.ENCODER_VS_BASELINE, p.name_b)]
        if stated != p.verdict:
            raise AssertionError(f"{p.name_b}: the claim says {stated!r}, the comparison {p.verdict!r}")
        out["pairs"][p.name_b] = {
            "verdict": stated, "unadjusted_verdict": pair_verdict(p.difference, p.p_value),
            "difference": triple(p.difference), "p_value": float(p.p_value), "p_decisive": float(p.p_decisive),
            "n_compared": p.n_compared, "unit": p.unit}
    out["leakage"] = next(c for c in claims if c.kind is Kind.LEAKAGE).verdict
    if learning:
        c = learning[0]
        out["curve"] = {"trend": verdict[(Kind.CURVE, c.name)], "slope": float(c.slope_per_doubling),
                        "slope_ci": tuple(map(float, c.slope_ci)), "cap": c.points[-2].clips_per_class
                        if len(c.points) > 1 else None, "train_clips": [p.mean_train_clips for p in c.points[-2:]]}
    issues = next((c for c in claims if c.kind is Kind.LABEL_ISSUES), None)
    found = None if issues is None else comparison.rung(issues.subject[0]).label_issues
    out["label_issues"] = {"verdict": None if issues is None else issues.verdict,
                           "flagged": [] if found is None else sorted(i.index for i in found.issues)}
    return out


def triple(estimate) -> tuple[float, float, float]:
    """(value, CI low, CI high) of an Estimate, as plain floats."""
    return float(estimate.value), float(estimate.ci_low), float(estimate.ci_high)
