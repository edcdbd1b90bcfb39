"""How often is a verdict wrong, and do the intervals cover? Measured on simulated datasets whose truth is known.

No audio: each dataset is vectors per class drawn from Gaussians, in a baseline space and one or more encoder spaces
with a controlled accuracy gap (none under the null), optional speaker groups (a per-group offset, so random folds
leak), label noise, and learning curves that saturate at a known size. Every dataset goes through the library's own
pipeline (compare, learning_curve, the verdict rules), so the rules measured are the ones a note states: change a
rule and the tables change with it. Nothing here decides a claim.

    python -m benchmarks.calibration --jobs 2          # the full grid: RESULTS.md's block, the JSON, README's headline
    python -m benchmarks.calibration --smoke           # a few datasets per claim kind in under a minute; prints only
    python -m benchmarks.calibration --render-readme   # README's headline again from calibration_results.json

The package, by concept: `settings` (sizes, goals, the interval and claim kinds), `scenarios` (the grid and the
generator), `rules` (the library on one dataset), `truth` (what is true of it), `records` (one dataset → one record,
with the reference intervals), `grid` (running them), `summary` (rates with their Monte-Carlo error), `tables`
(RESULTS.md's block), `readme` (README's headline), `cli`.
"""
from benchmarks.calibration.cli import main, shown_command
from benchmarks.calibration.grid import calibrate, run
from benchmarks.calibration.readme import render_headline, render_readme
from benchmarks.calibration.records import run_one
from benchmarks.calibration.rules import run_rules
from benchmarks.calibration.scenarios import (
                                              SCENARIOS,
                                              Dataset,
                                              Scenario,
                                              bayes_accuracy,
                                              dataset_seed,
                                              flip_labels,
                                              separation_for,
                                              simulate,
                                              smoke_scenarios,
)
from benchmarks.calibration.settings import (
                                              ACC,
                                              BAL,
                                              BLOCK_END,
                                              BLOCK_START,
                                              DIFF,
                                              F1,
                                              FAMILY,
                                              FLAT,
                                              GAP,
                                              HEADLINE_END,
                                              HEADLINE_START,
                                              LEAKAGE,
                                              PAIR,
                                              README,
                                              RESULTS_JSON,
                                              RESULTS_MD,
                                              RISING,
                                              SLOPE,
                                              SMOKE,
)
from benchmarks.calibration.summary import rate, summarise
from benchmarks.calibration.tables import render_markdown, write_block
from benchmarks.calibration.truth import scenario_truth, true_values

__all__ = ["ACC", "BAL", "BLOCK_END", "BLOCK_START", "DIFF", "F1", "FAMILY", "FLAT", "GAP", "HEADLINE_END",
           "HEADLINE_START", "LEAKAGE", "PAIR", "README", "RESULTS_JSON", "RESULTS_MD", "RISING", "SCENARIOS", "SLOPE",
           "SMOKE", "Dataset", "Scenario", "bayes_accuracy", "calibrate", "dataset_seed", "flip_labels", "main",
           "rate", "render_headline", "render_markdown", "render_readme", "run", "run_one", "run_rules",
           "scenario_truth", "separation_for", "shown_command", "simulate", "smoke_scenarios", "summarise",
           "true_values", "write_block"]
