"""README's "How much to trust a verdict" figures, rendered from the saved calibration results (never typed).

    python -m benchmarks.calibration --render-readme     # rewrite README.md's block from calibration_results.json

tests/test_calibration.py checks that README.md's block equals the rendering of the committed JSON.
"""
from __future__ import annotations

from collections.abc import Callable

from benchmarks.calibration.settings import (
    ACC,
    DIFF,
    FLAT,
    GOAL_COVERAGE,
    GOAL_FALSE_CLAIM,
    GROUPED_EFFECT,
    HEADLINE_END,
    HEADLINE_START,
    INDEPENDENT,
    LEAKAGE,
    NEAR_PERFECT,
    PAIR,
    RISING,
    SINGLE,
)
from benchmarks.calibration.summary import find
from benchmarks.calibration.tables import coverage_result, false_claim_result, pct, rate_text, replace_block

POWER_SCENARIOS = (  # (scenario, how it reads)
    ("pair-small-5c-300", "small gap (Bayes 0.75 → 0.80), 300 clips"),
    ("pair-small-5c-1000", "small gap (Bayes 0.75 → 0.80), 1,000 clips"),
    ("pair-large-2c-40", "large gap (Bayes 0.70 → 0.90), 40 clips"),
    ("pair-large-10c-300", "large gap (Bayes 0.65 → 0.85), 300 clips"),
)
FAMILY_SCENARIO = "pair-null-6enc-5c-300"
LEAKAGE_SCENARIOS = (
    ("groups-leak-4c-300-g20", "20 speakers, 300 clips"),
    ("groups-leak-5c-1000-g50", "50 speakers, 1,000 clips"),
    ("groups-leak-2c-90-g3", "3 speakers, 90 clips"),
)
LABEL_SCENARIOS = (("noise-5-5c-500", "5 %"), ("noise-10-5c-500", "10 %"))
REPORTED = "reported (no goal)"
GROUPED_TEXT = "clips grouped by speakers with an effect"


def headline_rows(summary: dict, scenarios: list[dict]) -> list[tuple[str, str, str, str, str]]:
    """(question, data, goal, measured, result) of every headline figure; scenarios: as saved in the results' meta."""
    claims, coverage = summary["claims"], summary["coverage"]
    false_goal = f"≤ {pct(GOAL_FALSE_CLAIM, 0)}"
    coverage_goal = f"{pct(GOAL_COVERAGE[0], 0)}–{pct(GOAL_COVERAGE[1], 0)}"
    rows = []

    def claim(question: str, data: str, row: dict | None, judge: Callable[[dict], str] | None) -> None:
        rows.append((question, data, false_goal if judge else REPORTED, rate_text(row),
                     (judge(row) if judge else "—") if row else "not measured"))

    def cover(question: str, data: str, kind: str, condition: str) -> None:
        row = find(coverage, kind=kind, condition=condition)
        rows.append((question, data, coverage_goal, rate_text(row and row["coverage"]),
                     coverage_result(row["coverage"]) if row else "not measured"))

    beats = "\"beats the baseline\" when it does not"
    claim(beats, "one encoder, independent clips", find(
        claims, kind=PAIR, scenario=f"{SINGLE}, {INDEPENDENT}", truth="null"), false_claim_result)
    claim(beats, f"one encoder, {GROUPED_TEXT}", find(
        claims, kind=PAIR, scenario=f"{SINGLE}, {GROUPED_EFFECT}", truth="null"), false_claim_result)
    grouped = {s["name"] for s in scenarios if s["n_groups"] is not None and s["speaker_share"] > 0}
    worst = max((r for r in claims if r["kind"] == PAIR and r["truth"] == "null" and r["scenario"] in grouped),
                key=lambda r: (r["rate"], r["n"]), default=None)
    if worst is not None:
        s = next(s for s in scenarios if s["name"] == worst["scenario"])
        claim(beats, f"the worst grouped scenario ({s['n_groups']} speakers, {s['n_clips']} clips)", worst,
              false_claim_result)
    family = find(summary["holm"], scenario=FAMILY_SCENARIO)
    rows.append(("any of 6 encoders \"beats the baseline\" when none does", "one run, Holm over the 6 (without "
                 f"Holm: {rate_text(family and family['family_unadjusted'], counts=False)})", false_goal,
                 rate_text(family and family["family_holm"]),
                 false_claim_result(family["family_holm"]) if family else "not measured"))
    for name, data in POWER_SCENARIOS:
        row = find(claims, kind=PAIR, scenario=name, truth="effect")
        effect = "" if row is None or row.get("mean_true_effect") is None else \
            f"; true difference {row['mean_true_effect']:+.3f}"
        claim("\"beats the baseline\" when it does (power)", data + effect, row, None)
    cover("accuracy CI covers the true accuracy", INDEPENDENT, ACC, INDEPENDENT)
    cover("accuracy CI covers the true accuracy", "near-perfect scores (most runs 1.0)", ACC, NEAR_PERFECT)
    cover("accuracy CI covers the true accuracy", GROUPED_TEXT, ACC, GROUPED_EFFECT)
    cover("difference CI covers the true difference", INDEPENDENT, DIFF, INDEPENDENT)
    cover("difference CI covers the true difference", GROUPED_TEXT, DIFF, GROUPED_EFFECT)
    claim("\"leakage present\" when there is none", "20 speakers without an effect",
          find(claims, kind=LEAKAGE, scenario="all", truth="null"), false_claim_result)
    for name, data in LEAKAGE_SCENARIOS:
        row = find(claims, kind=LEAKAGE, scenario=name, truth="effect")
        effect = "" if row is None or row.get("mean_true_effect") is None else \
            f"; true gap {row['mean_true_effect']:+.3f}"
        claim("\"leakage present\" when there is some (detection)", data + effect, row, None)
    claim("curve \"rising\" when it is flat", "curves flat at the full training size",
          find(claims, kind=RISING, scenario="all", truth="null"), false_claim_result)
    claim("curve \"flat\" when it is rising", "a curve still rising at the full training size",
          find(claims, kind=FLAT, scenario="all", truth="null"), false_claim_result)
    for name, noise in LABEL_SCENARIOS:
        row = find(summary["label_issues"], scenario=name)
        for what in ("precision", "recall"):
            claim(f"\"possibly mislabelled\": {what}", f"{noise} of labels flipped", row and row[what], None)
    return rows


def render_headline(results: dict) -> str:
    """The Markdown between the headline markers: one table and the line that says where it comes from."""
    meta, summary = results["meta"], results["summary"]
    lines = ["| question | data | goal | measured [Monte-Carlo 95 %] (k/n) | result |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in headline_rows(summary, meta["scenarios"])]
    lines += ["", f"Measured {meta['date'][:10]} on {meta['n_datasets']} simulated datasets (`{meta['command']}`, "
                  f"{meta['seconds'] / 60:.0f} min on {meta['settings']['jobs']} cores); every table, with the "
                  "reference intervals, is in [benchmarks/RESULTS.md](benchmarks/RESULTS.md)."]
    return "\n".join(lines)


def render_readme(readme_text: str, results: dict) -> str:
    """README text with its <!-- calibration:headline --> block replaced by the rendering of `results` (the saved
    calibration JSON: {"meta", "summary"}); raises ValueError naming the markers when the block is absent."""
    return replace_block(readme_text, render_headline(results), HEADLINE_START, HEADLINE_END, append=False)
