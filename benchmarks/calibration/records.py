"""One simulated dataset → one JSON-ready record: every interval the product reported with its truth, the reference
intervals on the same predictions, every claim with whether its truth is null, label-issue hits."""
from __future__ import annotations

import time

import numpy as np

from audiodiag.evaluation import intervals
from audiodiag.evaluation.bootstrap import bootstrap_distribution, percentile_ci
from audiodiag.evaluation.evaluate import paired_group_bootstrap_ci
from benchmarks.calibration.rules import run_rules, triple
from benchmarks.calibration.scenarios import Scenario, dataset_seed, simulate
from benchmarks.calibration.settings import (
    ACC,
    BAL,
    DIFF,
    F1,
    FAMILY,
    FLAT,
    GAP,
    LEAKAGE,
    NOMINAL,
    PAIR,
    REF_CLIP_BOOT,
    REF_CLOPPER,
    REF_DIFF_CLIPS,
    REF_GROUP_ACC,
    REF_GROUP_DIFF,
    REF_WILSON_CLIPS,
    RISING,
    SLOPE,
)
from benchmarks.calibration.truth import true_values


def run_one(task: tuple[Scenario, int, dict, int, int]) -> dict:
    """Simulate dataset `index` of `scenario`, run the rules, measure the truth: one record (see the module)."""
    scenario, index, truth_of_scenario, n_boot, truth_clips = task
    start = time.perf_counter()
    seed = dataset_seed(scenario, index)
    dataset = simulate(scenario, seed)
    outcomes = run_rules(dataset, n_boot=n_boot)
    truth = true_values(dataset, outcomes, truth_clips=truth_clips)
    record = {"scenario": scenario.name, "index": index, "seed": seed, "condition": scenario.condition,
              "intervals": [], "claims": [], "pairs": []}
    intervals_, claims = record["intervals"], record["claims"]
    expected = truth_of_scenario["expected"]
    base = scenario.spaces[0]

    def role(space: str) -> str:
        return "baseline" if space == base else "encoder"

    def interval(kind: str, space: str, values, true: float, true_all_n: float | None = None,
                 true_expected: float | None = None) -> None:
        intervals_.append({"kind": kind, "space": space, "value": values[0], "low": values[1], "high": values[2],
                           "truth": true, "truth_all_n": true_all_n, "truth_expected": true_expected})

    y, speaker = dataset.given, dataset.speaker
    right = {}
    for space, rung in outcomes["rungs"].items():
        right[space] = np.asarray([int(p[1:]) for p in rung["predictions"]]) == y
        true, all_n = truth["scores"][space], truth["scores_all_n"][space]
        accuracy = (true["accuracy"], all_n["accuracy"], expected["accuracy"][role(space)])
        interval(ACC, space, rung["accuracy"], *accuracy)
        interval(BAL, space, rung["balanced_accuracy"], true["balanced_accuracy"], all_n["balanced_accuracy"])
        interval(F1, space, rung["macro_f1"], true["macro_f1"], all_n["macro_f1"])
        for kind, values in reference_accuracy(right[space], speaker, n_boot=n_boot, seed=seed).items():
            interval(kind, space, values, *accuracy)
        if rung["split"] is not None:
            interval(GAP, space, rung["split"]["gap"], truth["gap"][space], None, expected["gap"][role(space)])
    null_pair = scenario.gap == 0
    for space, pair in outcomes["pairs"].items():
        true_diff = truth["scores"][space]["accuracy"] - truth["scores"][base]["accuracy"]
        interval(DIFF, space, pair["difference"], true_diff, None, expected["difference"])
        for kind, values in reference_difference(right[base], right[space], speaker, n_boot=n_boot, seed=seed).items():
            interval(kind, space, values, true_diff, None, expected["difference"])
        claims.append({"kind": PAIR, "space": space, "verdict": pair["verdict"], "null": null_pair,
                       "claimed": pair["verdict"] == "yes", "effect": true_diff})
        record["pairs"].append({"space": space, "verdict": pair["verdict"], "unadjusted": pair["unadjusted_verdict"],
                                "p_value": pair["p_value"], "p_decisive": pair["p_decisive"],
                                "unit": pair["unit"]})
    if scenario.n_encoders > 1:
        any_yes = any(p["verdict"] == "yes" for p in record["pairs"])
        claims.append({"kind": FAMILY, "space": "", "verdict": "yes" if any_yes else "no", "null": null_pair,
                       "claimed": any_yes, "effect": None})
    if speaker is not None:
        claims.append({"kind": LEAKAGE, "space": "", "verdict": outcomes["leakage"],
                       "null": scenario.speaker_share == 0, "claimed": outcomes["leakage"] == "present",
                       "effect": float(np.mean(list(truth["gap"].values())))})
    if outcomes["curve"] is not None:
        c, encoder = outcomes["curve"], scenario.spaces[1]
        interval(SLOPE, encoder, (c["slope"], *c["slope_ci"]), truth_of_scenario["slope"], None,
                 truth_of_scenario["slope"])
        flat_truth = truth_of_scenario["trend"] != "rising"
        claims.append({"kind": RISING, "space": encoder, "verdict": c["trend"], "null": flat_truth,
                       "claimed": c["trend"] == "rising", "effect": truth_of_scenario["slope"]})
        claims.append({"kind": FLAT, "space": encoder, "verdict": c["trend"], "null": not flat_truth,
                       "claimed": c["trend"] == "flat", "effect": truth_of_scenario["slope"]})
        record["curve_cap"] = c["cap"]
    flagged = np.zeros(len(y), bool)
    flagged[outcomes["label_issues"]["flagged"]] = True
    record["label_issues"] = {"verdict": outcomes["label_issues"]["verdict"], "n_flipped": int(dataset.flipped.sum()),
                              "n_flagged": int(flagged.sum()), "n_hits": int((flagged & dataset.flipped).sum()),
                              "n_clips": len(y)}
    record["checks"] = {"oof_agreement": min(truth["oof_agreement"].values()),
                        "random_agreement": min(truth["random_agreement"].values(), default=1.0),
                        "unit": outcomes["rungs"][base]["unit"]}
    record["seconds"] = time.perf_counter() - start
    return record


def reference_accuracy(right: np.ndarray, groups: np.ndarray | None, *, n_boot: int, seed: int) -> dict:
    """The reference intervals of an accuracy (settings.REFERENCE_INTERVALS): the clip bootstrap the product used
    before, Clopper–Pearson, and on grouped data Wilson without the cluster widening and the group bootstrap."""
    from scipy.stats import binomtest

    n, k = len(right), int(right.sum())
    boot = bootstrap_distribution(lambda idx: right[idx].mean(axis=1), n, n_boot=n_boot, seed=seed)
    exact = binomtest(k, n).proportion_ci(confidence_level=NOMINAL, method="exact")
    out = {REF_CLIP_BOOT: triple(percentile_ci(k / n, boot)), REF_CLOPPER: (k / n, float(exact.low),
                                                                             float(exact.high))}
    if groups is not None:
        out[REF_WILSON_CLIPS] = triple(intervals.proportion(right))
        out[REF_GROUP_ACC] = triple(paired_group_bootstrap_ci(right, np.zeros(n), groups, n_boot=n_boot, seed=seed))
    return out


def reference_difference(right_base: np.ndarray, right_encoder: np.ndarray, groups: np.ndarray | None, *,
                         n_boot: int, seed: int) -> dict:
    """The reference intervals of a paired difference, grouped data only: Agresti–Min without the cluster widening,
    and the group bootstrap."""
    if groups is None:
        return {}
    unclustered, _ = intervals.paired_difference(right_base, right_encoder)
    return {REF_DIFF_CLIPS: triple(unclustered),
            REF_GROUP_DIFF: triple(paired_group_bootstrap_ci(right_encoder, right_base, groups, n_boot=n_boot,
                                                             seed=seed))}
