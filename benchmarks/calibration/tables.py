"""The calibration block of benchmarks/RESULTS.md: Markdown tables of the summary, and the PASS/FAIL of each goal."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audiodiag.evaluation import curves
from benchmarks.calibration.scenarios import SCENARIOS, Scenario
from benchmarks.calibration.settings import (
    BLOCK_END,
    BLOCK_START,
    GOAL_COVERAGE,
    GOAL_FALSE_CLAIM,
    GROUPED_EFFECT,
    GROUPED_NULL,
    INDEPENDENT,
    INTERVALS,
    OBSERVED_ONE,
    PRODUCT_INTERVALS,
    REFERENCE_INTERVALS,
    SHORT_NAMES,
    SINGLE,
    TRUTH_TEXT,
)

WITHIN_MC = "PASS (within MC error)"
CONDITIONS = (INDEPENDENT, GROUPED_NULL, GROUPED_EFFECT)


def pct(x: float | None, digits: int = 1) -> str:
    """A share as a percentage: 0.0312 → "3.1 %"; None or NaN → "—"."""
    return "—" if x is None or x != x else f"{100 * x:.{digits}f} %"


def rate_text(r: dict | None, *, counts: bool = True) -> str:
    """`rate [95 % Clopper–Pearson] (k/n)`: the bracket is the Monte-Carlo error of the rate."""
    if not r or not r["n"]:
        return "—"
    text = f"{pct(r['rate'])} [{pct(r['low'])}, {pct(r['high'])}]"
    return f"{text} ({r['k']}/{r['n']})" if counts else text


def false_claim_result(r: dict) -> str:
    """PASS when the rate is at most the goal; PASS (within MC error) when it is above but its Monte-Carlo interval
    reaches the goal; FAIL when the whole interval is above it."""
    if not r or not r["n"]:
        return "—"
    if r["rate"] <= GOAL_FALSE_CLAIM:
        return "PASS"
    return WITHIN_MC if r["low"] <= GOAL_FALSE_CLAIM else "**FAIL**"


def coverage_result(r: dict) -> str:
    """PASS when the coverage lies in the goal; PASS (within MC error) when it does not but its Monte-Carlo interval
    overlaps the goal; FAIL (too narrow / too wide) when the whole interval misses it."""
    low, high = GOAL_COVERAGE
    if not r or not r["n"]:
        return "—"
    if low <= r["rate"] <= high:
        return "PASS"
    if r["high"] >= low and r["low"] <= high:
        return WITHIN_MC
    return "**FAIL** (too narrow)" if r["high"] < low else "**FAIL** (too wide)"


def goals_text() -> str:
    return (f"false-claim rate ≤ {pct(GOAL_FALSE_CLAIM, 0)}; coverage {pct(GOAL_COVERAGE[0], 0)}–"
            f"{pct(GOAL_COVERAGE[1], 0)} for a nominal 95 % interval")


def render_markdown(summary: dict, meta: dict, scenarios: Sequence[Scenario] = SCENARIOS) -> str:
    """The calibration block for RESULTS.md: header, then one table per question."""
    settings, checks = meta["settings"], summary["checks"]
    by_name = {s.name: s for s in scenarios}
    lines = [
        "## Calibration (`python -m benchmarks.calibration`)", "",
        f"- date: {meta['date']}", f"- machine: {meta['machine']}",
        f"- command: `{meta['command']}` (whole run {meta['seconds']:.0f} s, {meta['n_datasets']} simulated datasets, "
        f"{per_scenario(settings['n_per_scenario'])} per scenario, {settings['jobs']} process(es))",
        f"- bootstrap: {settings['n_boot']} resamples for the bootstrap intervals compare() computes (macro-F1, "
        "balanced accuracy; the library default is 1000); accuracy, paired differences and the leakage gap have "
        "closed forms (audiodiag.evaluation.intervals); the curve step uses the library's fixed count; 95 % intervals "
        "everywhere",
        "- truth: " + TRUTH_TEXT.format(truth_clips=settings["truth_clips"], curve_repeats=settings["curve_repeats"],
                                        expected_repeats=settings["expected_repeats"],
                                        rising=curves.RISING_PER_DOUBLING),
        f"- rates read `rate [95 % Clopper–Pearson interval] (k/n)`: the bracket is the Monte-Carlo error. Goals: "
        f"{goals_text()}. PASS: the rate meets the goal; {WITHIN_MC}: it misses it, but its bracket reaches the "
        "goal; **FAIL**: the whole bracket misses it.",
        f"- sanity: refitted fold models reproduce compare()'s out-of-fold predictions on ≥ "
        f"{pct(checks['min_oof_agreement'])} of clips in every dataset; {checks['grouped_with_group_unit']} of "
        f"{checks['grouped_datasets']} grouped datasets had every interval and pair test treat speakers as the unit.",
        "", "### False claims where the truth is null", "",
        f"'pooled: {SINGLE}, …' pools the runs that compare one encoder with the baseline (no Holm adjustment), "
        "near-perfect scenarios left out (they never claim); the other pooled rows take every comparison.", "",
        "| claim | scenario | n clips | classes | groups | false-claim rate | verdicts | result |",
        "|---|---|---|---|---|---|---|---|"]
    for row in summary["claims"]:
        if row["truth"] != "null":
            continue
        s = by_name.get(row["scenario"])
        pooled = "its null scenarios" if row["scenario"] == "all" else row["scenario"].split(": ", 1)[-1]
        where = (f"**pooled: {pooled}**", "", "", "") if s is None else (
            row["scenario"], str(s.n_clips), str(s.n_classes), str(s.n_groups or "—"))
        lines.append(f"| {row['kind']} | {' | '.join(where)} | {rate_text(row)} | "
                     f"{verdicts(row.get('verdicts'))} | {false_claim_result(row)} |")
    lines += ["", "### Holm across the encoders of a run: false \"beats the baseline\" per pair and per run", "",
              "Scenarios where no encoder beats the baseline. The rule adjusts the run's paired p-values with Holm; "
              "'unadjusted' reads each raw p < 0.05 (what the rule would say without the adjustment). The goal "
              "applies to the rule's per-run rate: a run says a false \"beats the baseline\" for any encoder.", "",
              "| scenario | encoders | data | per pair, Holm (the rule) | per pair, unadjusted | per run, Holm (the rule) "
              "| per run, unadjusted | result |", "|---|---|---|---|---|---|---|---|"]
    for row in sorted(summary["holm"], key=lambda r: (r["n_encoders"], r["scenario"])):
        lines.append(f"| {row['scenario']} | {row['n_encoders']} | {row['condition']} | {rate_text(row['pair_holm'])} "
                     f"| {rate_text(row['pair_unadjusted'])} | {rate_text(row['family_holm'])} | "
                     f"{rate_text(row['family_unadjusted'])} | {false_claim_result(row['family_holm'])} |")
    lines += ["", "### Power where the truth is a difference", "",
              "| claim | scenario | n clips | classes | groups | simulated | mean true effect | claimed (power) | "
              "verdicts |", "|---|---|---|---|---|---|---|---|---|"]
    for row in summary["claims"]:
        s = by_name.get(row["scenario"])
        if row["truth"] != "effect" or s is None:
            continue
        lines.append(f"| {row['kind']} | {row['scenario']} | {s.n_clips} | {s.n_classes} | {s.n_groups or '—'} | "
                     f"{design(row['kind'], s)} | {effect(row)} | {rate_text(row)} | {verdicts(row['verdicts'])} |")
    for title, kinds, note in (
            ("Coverage of the intervals the product reports (nominal 95 %)", PRODUCT_INTERVALS,
             f"'{OBSERVED_ONE}' rows are conditional on the data (datasets that scored 1.0), shown for the lower bound "
             "and the zero-width count; the goal applies to the other rows."),
            ("Coverage of reference intervals (no rule uses them; computed on the same predictions)",
             REFERENCE_INTERVALS, "They show what the product's choice of interval buys: the clip bootstrap was the "
             "rule before audiodiag.evaluation.intervals; the unclustered intervals ignore the speakers.")):
        rows = [row for row in summary["coverage"] if row["kind"] in kinds]
        lines += ["", f"### {title}", "", note, ""]
        lines += [f"- {SHORT_NAMES[k]}: {definition(k)}" for k in kinds if any(row["kind"] == k for row in rows)]
        lines += ["", "| interval | data | coverage (truth: fold models) | result | truth: one model on all n | "
                  "truth: expected over training sets | zero-width | mean width | lowest lower bound |",
                  "|---|---|---|---|---|---|---|---|---|"]
        everywhere = {row["kind"]: row["coverage"]["n"] for row in rows if row["condition"] == "all"}
        for row in rows:
            if row["condition"] in CONDITIONS and row["coverage"]["n"] == everywhere[row["kind"]]:
                continue  # the same intervals as its "all" row
            result = "info" if row["condition"] == OBSERVED_ONE else coverage_result(row["coverage"])
            lines.append(f"| {SHORT_NAMES[row['kind']]} | {row['condition']} | {rate_text(row['coverage'])} | "
                         f"{result} | {rate_text(row['coverage_all_n'])} | {rate_text(row['coverage_expected'])} | "
                         f"{row['zero_width']} | {row['mean_width']:.3f} | {row['lowest_low']:.3f} |")
    lines += coverage_by_scenario_table(summary, scenarios)
    lines += ["", "### Possibly mislabelled (cleanlab on the most accurate rung; a flag on a clean label is false)", "",
              "| scenario | injected label noise | precision | recall | share of clips flagged | datasets with "
              "candidates |", "|---|---|---|---|---|---|"]
    for row in summary["label_issues"]:
        lines.append(f"| {row['scenario']} | {pct(row['label_noise'], 0)} | {rate_text(row['precision'])} | "
                     f"{rate_text(row['recall'])} | {pct(row['flagged_share'])} | "
                     f"{row['datasets_with_candidates']}/{row['datasets']} |")
    curve_rows = [(name, t) for name, t in meta["truths"].items() if "curve" in t]
    if curve_rows:
        lines += ["", "### Expected learning curves (truth of the curve scenarios)", "",
                  "| scenario | expected accuracy by clips per class | saturates at (gain < +0.02/doubling) | rule "
                  "compares | true slope/doubling | truth |", "|---|---|---|---|---|---|"]
        for name, t in curve_rows:
            points = ", ".join(f"{k}: {v:.3f}" for k, v in t["curve"].items())
            lines.append(f"| {name} | {points} | {t['saturates_at_per_class'] or '> 200'} per class | {t['cap']} vs "
                         f"{t['full_per_class']:.0f} per class | {t['slope']:+.4f} | {t['trend']} |")
    return "\n".join(lines) + "\n"


def coverage_by_scenario_table(summary: dict, scenarios: Sequence[Scenario]) -> list[str]:
    cells = {(row["scenario"], row["kind"]): row for row in summary["coverage_by_scenario"]}
    kinds = [k for k in INTERVALS if any(kind == k for _, kind in cells)]
    lines = ["", "### Coverage by scenario (truth: fold models; share of intervals that cover, and their number)", "",
             "| scenario | data | " + " | ".join(SHORT_NAMES[k] for k in kinds) + " |", "|---|---|" + "---|" * len(kinds)]
    for s in scenarios:
        if not any((s.name, k) in cells for k in kinds):
            continue
        shown = [f"{pct(cells[(s.name, k)]['k'] / cells[(s.name, k)]['n'], 0)} ({cells[(s.name, k)]['n']})"
                 if (s.name, k) in cells else "" for k in kinds]
        lines.append(f"| {s.name} | {s.condition} | " + " | ".join(shown) + " |")
    return lines


def definition(kind: str) -> str:
    """What an interval kind is, without the name its table row already shows."""
    text = INTERVALS[kind]
    return text.split(" — ", 1)[1] if kind in PRODUCT_INTERVALS else text.split(": ", 1)[1]


def design(kind: str, s: Scenario) -> str:
    """What was simulated, for the claim's kind: the Bayes gap, the speaker effect, or the curve's scenario."""
    if kind.startswith(("encoder", "any encoder")):
        return f"Bayes accuracy {s.baseline_accuracy:g} → {s.encoder_accuracy:g} ({s.n_encoders} encoder(s))"
    if kind.startswith("leakage"):
        return f"speaker share {s.speaker_share:g}, home share {s.home_share:g}"
    return f"{s.noise_dims} noise dimensions"


def per_scenario(counts: int | dict) -> str:
    if isinstance(counts, int):
        return str(counts)
    low, high = min(counts.values()), max(counts.values())
    return str(low) if low == high else f"{low}–{high}"


def verdicts(counts: dict | None) -> str:
    return "" if not counts else ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def effect(row: dict) -> str:
    value = row.get("mean_true_effect")
    return "—" if value is None else f"{value:+.3f}"


def replace_block(text: str, block: str, start: str, end: str, *, append: bool) -> str:
    """`text` with `block` between the markers `start` and `end`; where they are absent, appended at the end
    (append) or refused with the markers to add."""
    wrapped = f"{start}\n{block.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + wrapped + rest.split(end, 1)[1]
    if not append:
        raise ValueError(f"no {start} ... {end} block to replace; add the two markers where the block belongs")
    return (text.rstrip() + "\n\n" if text.strip() else "") + wrapped + "\n"


def write_block(path: Path, block: str) -> None:
    """Put `block` between the calibration markers of `path`: replaced where they are, appended at the end where
    they are not (the file is created if needed)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_block(text, block, BLOCK_START, BLOCK_END, append=True), encoding="utf-8")
