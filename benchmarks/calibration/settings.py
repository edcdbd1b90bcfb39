"""What the calibration grid measures and against which goals: sizes, paths, the interval and claim kinds."""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = HERE.parent
ROOT = BENCHMARKS.parent
RESULTS_MD = BENCHMARKS / "RESULTS.md"  # its <!-- calibration --> block
RESULTS_JSON = BENCHMARKS / "calibration_results.json"  # rates only: the README headline is rendered from it
README = ROOT / "README.md"  # its <!-- calibration:headline --> block
BLOCK_START, BLOCK_END = "<!-- calibration -->", "<!-- /calibration -->"
HEADLINE_START, HEADLINE_END = "<!-- calibration:headline -->", "<!-- /calibration:headline -->"

N_DATASETS = 1200  # across the whole grid, shared by the scenarios in proportion to their weight
N_BOOT = 500  # resamples of every bootstrap interval compare() computes (the library's default is 1000)
TRUTH_CLIPS = 20_000  # fresh clips that define each dataset's true accuracy
CURVE_TRUTH_REPEATS = 40  # fresh training sets per size for the expected learning curve
EXPECTED_TRUTH_REPEATS = 20  # fresh datasets per scenario for the expected accuracy over training sets
CURVE_TRUTH_GRID = (1, 2, 5, 10, 20, 50, 100, 200)  # clips per class where the expected curve is tabulated
SMOKE = {"n_per_scenario": 4, "n_boot": 200, "truth_clips": 4_000, "curve_repeats": 8, "expected_repeats": 4}
N_SPLITS = 5
NOMINAL = 0.95
SIGNIFICANCE = 0.05  # the level every rule reads a p-value at (audiodiag.evaluation.evaluate.SIGNIFICANCE_LEVEL)
GOAL_FALSE_CLAIM = 0.05
GOAL_COVERAGE = (0.93, 0.97)
MC_CONFIDENCE = 0.95  # Clopper–Pearson intervals of every rate in the tables (the Monte-Carlo error)

# intervals the product reports: (key, what it is and which function computes it)
ACC, BAL, F1, DIFF, GAP, SLOPE = "accuracy", "balanced_accuracy", "macro_f1", "difference", "leakage_gap", \
    "curve_slope"
PRODUCT_INTERVALS = {
    ACC: "accuracy — Wilson, widened to the cluster-robust variance when grouped (intervals.proportion)",
    BAL: "balanced accuracy — percentile bootstrap over clips, or over groups when grouped; the accuracy's CI "
         "where every resample agrees (metrics_with_ci)",
    F1: "macro-F1 — percentile bootstrap over clips, or over groups when grouped; the accuracy's CI where every "
        "resample agrees (metrics_with_ci)",
    DIFF: "accuracy difference encoder − baseline — Agresti–Min, clustered by group when grouped "
          "(intervals.paired_difference via paired_comparison)",
    GAP: "leakage gap random − group folds — Agresti–Min clustered by group (random_vs_group_split)",
    SLOPE: "curve slope per doubling — paired percentile bootstrap over the test clips of the last step, Wilson's "
           "width where every resample agrees (learning_curve)",
}
# references: computed here on the same predictions, used by no rule; they show what the product's choice buys
REF_CLIP_BOOT, REF_CLOPPER, REF_WILSON_CLIPS, REF_GROUP_ACC, REF_DIFF_CLIPS, REF_GROUP_DIFF = (
    "ref_clip_bootstrap", "ref_clopper_pearson", "ref_wilson_clips", "ref_group_accuracy", "ref_difference_clips",
    "ref_group_difference")
REFERENCE_INTERVALS = {
    REF_CLIP_BOOT: "reference: accuracy, percentile bootstrap over clips (the rule before intervals.proportion)",
    REF_CLOPPER: "reference: accuracy, Clopper–Pearson with clips independent (scipy binomtest)",
    REF_WILSON_CLIPS: "reference (grouped data): accuracy, Wilson with clips independent (no cluster widening)",
    REF_GROUP_ACC: "reference (grouped data): accuracy, percentile bootstrap over groups (paired_group_bootstrap_ci)",
    REF_DIFF_CLIPS: "reference (grouped data): difference, Agresti–Min with clips independent (no cluster widening)",
    REF_GROUP_DIFF: "reference (grouped data): difference, percentile bootstrap over groups "
                    "(paired_group_bootstrap_ci)",
}
INTERVALS = {**PRODUCT_INTERVALS, **REFERENCE_INTERVALS}
SHORT_NAMES = {ACC: "accuracy", BAL: "balanced accuracy", F1: "macro-F1", DIFF: "difference", GAP: "leakage gap",
               SLOPE: "curve slope", REF_CLIP_BOOT: "accuracy, clip bootstrap", REF_CLOPPER: "accuracy, Clopper–Pearson",
               REF_WILSON_CLIPS: "accuracy, Wilson unclustered", REF_GROUP_ACC: "accuracy, group bootstrap",
               REF_DIFF_CLIPS: "difference, Agresti–Min unclustered", REF_GROUP_DIFF: "difference, group bootstrap"}
SCORE_KINDS = (ACC, BAL, F1, REF_CLIP_BOOT, REF_CLOPPER, REF_WILSON_CLIPS, REF_GROUP_ACC)  # a score in [0, 1]

# claims: what is claimed, per pair of rungs, per run, or per curve
PAIR, FAMILY, LEAKAGE, RISING, FLAT = ("encoder beats baseline", "any encoder beats baseline", "leakage present",
                                       "curve rising", "curve flat")
CLAIMS = (PAIR, FAMILY, LEAKAGE, RISING, FLAT)

# conditions rates are pooled over (besides each scenario and "all")
INDEPENDENT, GROUPED_NULL, GROUPED_EFFECT = "independent clips", "grouped, no speaker effect", "grouped, speaker effect"
NEAR_PERFECT = "near-perfect scenarios"  # Bayes accuracy ≥ 0.99: most datasets score 1.0 or miss one clip
SINGLE = "single encoder"  # pooled runs that compare one encoder with the baseline (no Holm), near-perfect left out
OBSERVED_ONE = "observed score 1.0"  # conditional on the data: for the zero-width check, not a coverage goal

TRUTH_TEXT = (
    "accuracy / balanced accuracy / macro-F1: the comparison's own fold models scoring a fresh sample of "
    "{truth_clips:,} clips from the same generator (new speakers when the data have groups), pooled as the "
    "out-of-fold score pools them; 'all-n': one model trained on all n clips instead; 'expected': mean accuracy over "
    "{expected_repeats} fresh datasets of one fold's training size (what cross-validation estimates on average). "
    "Difference: encoder truth − baseline truth on that sample (expected: 0 by symmetry when the Bayes accuracies are "
    "equal). Leakage gap: fresh clips of the dataset's own speakers, scored by the random-fold models (speaker seen in "
    "training) − by the group-fold model each speaker was held out of (expected: the mean out-of-fold gap of "
    "random_vs_group_split over {expected_repeats} fresh datasets). Curve slope: expected accuracy (mean over "
    "{curve_repeats} fresh training sets) at the full training size − at the last capped size, per doubling. Null "
    "truths are by construction: equal Bayes accuracy (no difference), no speaker offset (no leakage), an expected "
    "slope below the rule's +{rising:g}/doubling (flat).")
