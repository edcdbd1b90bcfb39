"""The calibration harness (benchmarks/calibration/): its simulator delivers the truth it promises, its rates and
verdicts on the goals are right on known records, README's headline is the rendering of the committed results, and
its smoke run takes every dataset through the library's own rules and reports every rate."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest

from audiodiag.evaluation import intervals
from audiodiag.evaluation.evaluate import random_vs_group_split
from audiodiag.evaluation.fitting import rung_classifier
from benchmarks import calibration
from benchmarks.calibration import Scenario, dataset_seed, settings, simulate, summary, tables
from benchmarks.calibration import records as calibration_records

SMOKE_LIMIT_S = 60  # the smoke run's budget on 2 cores (the slow lane runs it)


def bayes_rule_accuracy(vectors: tuple[np.ndarray, ...], given: np.ndarray, n_classes: int) -> list[float]:
    """Accuracy of the best classifier for classes N(s·e_c, I): the largest of the class coordinates wins."""
    return [float(np.mean(np.argmax(x[:, :n_classes], axis=1) == given)) for x in vectors]


# ---------------------------------------------------------------- the simulator (fast lane)

def test_separation_gives_the_requested_bayes_accuracy():
    from scipy.stats import norm

    two = calibration.separation_for(0.8, 2)
    assert norm.cdf(two / np.sqrt(2)) == pytest.approx(0.8, abs=1e-6)  # two classes: the closed form
    assert calibration.bayes_accuracy(calibration.separation_for(0.7, 10), 10) == pytest.approx(0.7, abs=1e-6)


def test_spaces_reach_the_requested_accuracies_and_gap():
    scenario = Scenario("known gap", "test", 3000, 5, 0.70, 0.85)
    dataset = simulate(scenario, seed=1)
    vectors, given, _ = dataset.world.fresh(40_000, np.random.default_rng(2))
    best = bayes_rule_accuracy(vectors, given, 5)
    assert best[0] == pytest.approx(0.70, abs=0.01) and best[1] == pytest.approx(0.85, abs=0.01)
    assert best[1] - best[0] == pytest.approx(scenario.gap, abs=0.015)
    # the rungs' classifier, trained on the 3,000 simulated clips, comes close to the best possible
    trained = [np.mean(rung_classifier(0).fit(x, dataset.given).predict(fresh) == given)
               for x, fresh in zip(dataset.vectors, vectors)]
    assert trained[0] == pytest.approx(0.70, abs=0.03) and trained[1] == pytest.approx(0.85, abs=0.03)


def test_speaker_offsets_keep_the_accuracy_for_new_speakers_and_make_random_folds_leak():
    leaking = Scenario("leak", "test", 300, 4, 0.75, 0.75, n_groups=15, speaker_share=0.6)
    vectors, given, _ = simulate(leaking, seed=4).world.fresh(40_000, np.random.default_rng(5))
    assert bayes_rule_accuracy(vectors, given, 4)[0] == pytest.approx(0.75, abs=0.01)  # variance shared, not added
    gaps = {}
    for scenario in (leaking, replace(leaking, speaker_share=0.0)):
        d = simulate(scenario, seed=6)
        gaps[scenario.speaker_share] = random_vs_group_split(d.vectors[0], d.label_names, d.speaker,
                                                             lambda: rung_classifier(0), seed=0).gap
    assert gaps[0.6] > 0.05  # random folds score higher: clips of a test speaker were in training
    assert abs(gaps[0.0]) < 0.04  # groups that carry nothing leak nothing


def test_label_noise_flips_exactly_the_requested_share_to_another_class():
    d = simulate(Scenario("noisy", "test", 400, 4, 0.8, 0.8, label_noise=0.10), seed=3)
    assert d.flipped.sum() == 40
    assert np.all(d.given[d.flipped] != d.labels[d.flipped]) and np.all(d.given[~d.flipped] == d.labels[~d.flipped])


def test_grouped_datasets_give_every_class_two_speakers():
    scenario = Scenario("few speakers", "test", 90, 2, 0.8, 0.8, n_groups=3, speaker_share=0.5)
    for index in range(5):
        d = simulate(scenario, dataset_seed(scenario, index))
        assert all(len(np.unique(d.speaker[d.given == c])) >= 2 for c in range(2))


def test_datasets_are_reproducible_from_scenario_and_index():
    scenario, other = calibration.SCENARIOS[1], calibration.SCENARIOS[2]
    a, b = simulate(scenario, dataset_seed(scenario, 3)), simulate(scenario, dataset_seed(scenario, 3))
    assert all(np.array_equal(x, y) for x, y in zip(a.vectors, b.vectors)) and np.array_equal(a.given, b.given)
    assert dataset_seed(scenario, 3) != dataset_seed(scenario, 4) != dataset_seed(other, 4)


def test_scenario_refuses_an_accuracy_at_chance_with_the_value():
    with pytest.raises(ValueError, match="baseline_accuracy=0.2.*chance"):
        Scenario("bad", "test", 100, 5, 0.2, 0.8)


def test_results_block_is_replaced_between_its_markers_or_appended(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nother table\n", encoding="utf-8")
    calibration.write_block(path, "first")
    calibration.write_block(path, "second")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n\nother table\n")
    assert text.count(calibration.BLOCK_START) == 1 and "second" in text and "first" not in text


# ---------------------------------------------------------------- rates, goals and the README (fast lane)

def test_reference_intervals_are_labelled_and_differ_from_the_products_at_a_perfect_score():
    right = np.ones(60, dtype=bool)
    references = calibration_records.reference_accuracy(right, None, n_boot=200, seed=0)
    assert set(references) <= set(settings.REFERENCE_INTERVALS) and not set(references) & set(
        settings.PRODUCT_INTERVALS)
    assert references[settings.REF_CLIP_BOOT] == (1.0, 1.0, 1.0)  # the old clip bootstrap: zero width at 60/60
    assert intervals.proportion(right).ci_low == pytest.approx(0.940, abs=1e-3)  # the product's: Wilson
    grouped = calibration_records.reference_accuracy(right, np.arange(60) % 6, n_boot=200, seed=0)
    assert {settings.REF_WILSON_CLIPS, settings.REF_GROUP_ACC} <= set(grouped)


def _record(scenario: str, pairs: list[tuple[str, str]]) -> dict:
    """A record with (verdict, unadjusted verdict) per encoder and nothing else measured."""
    return {"scenario": scenario, "condition": settings.INDEPENDENT, "intervals": [], "claims": [],
            "pairs": [{"space": f"encoder {i + 1}", "verdict": v, "unadjusted": u, "unit": "clips"}
                      for i, (v, u) in enumerate(pairs)]}


def test_holm_rows_count_false_claims_per_pair_and_per_run_with_and_without_the_adjustment():
    family = Scenario("family", "test", 300, 5, 0.75, 0.75, n_encoders=3)
    records = [_record("family", [("inconclusive", "yes"), ("inconclusive", "inconclusive"), ("no", "no")]),
               _record("family", [("yes", "yes"), ("inconclusive", "yes"), ("inconclusive", "inconclusive")]),
               _record("family", [("inconclusive", "inconclusive")] * 3),
               _record("family", [("no", "no")] * 3)]
    (row,) = summary.holm_rows(records, {"family": family})
    assert row["n_encoders"] == 3
    assert (row["pair_holm"]["k"], row["pair_holm"]["n"]) == (1, 12)
    assert (row["pair_unadjusted"]["k"], row["pair_unadjusted"]["n"]) == (3, 12)
    assert (row["family_holm"]["k"], row["family_holm"]["n"]) == (1, 4)
    assert (row["family_unadjusted"]["k"], row["family_unadjusted"]["n"]) == (2, 4)


def test_rates_carry_their_monte_carlo_interval_and_the_goals_read_it():
    assert summary.rate(0, 0)["rate"] is None and tables.rate_text(summary.rate(0, 0)) == "—"
    three = summary.rate(3, 100)
    assert three["low"] < 0.03 < three["high"] and tables.false_claim_result(three) == "PASS"
    assert tables.false_claim_result(summary.rate(8, 100)) == tables.WITHIN_MC  # 8 %, but its interval reaches 5 %
    assert tables.false_claim_result(summary.rate(30, 100)) == "**FAIL**"
    assert tables.coverage_result(summary.rate(95, 100)) == "PASS"
    assert tables.coverage_result(summary.rate(70, 100)) == "**FAIL** (too narrow)"
    assert tables.coverage_result(summary.rate(1000, 1000)) == "**FAIL** (too wide)"
    assert tables.coverage_result(summary.rate(91, 100)) == tables.WITHIN_MC


def test_readme_headline_is_the_rendering_of_the_committed_results():
    """README's "How much to trust a verdict" figures are generated (python -m benchmarks.calibration
    --render-readme), never typed by hand."""
    results = json.loads(settings.RESULTS_JSON.read_text(encoding="utf-8"))
    readme = settings.README.read_text(encoding="utf-8")
    assert calibration.render_readme(readme, results) == readme
    block = readme.split(settings.HEADLINE_START, 1)[1].split(settings.HEADLINE_END, 1)[0]
    assert "not measured" not in block and "PASS" in block  # the committed results are a full grid
    assert not results["meta"]["smoke"] and results["meta"]["n_datasets"] >= 500
    assert len(settings.RESULTS_JSON.read_bytes()) < 150_000  # rates only


def test_render_readme_refuses_a_readme_without_the_markers_and_names_them():
    results = json.loads(settings.RESULTS_JSON.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="calibration:headline"):
        calibration.render_readme("# a README without the block\n", results)


def test_the_committed_results_cover_every_claim_and_interval_of_the_product():
    saved = json.loads(settings.RESULTS_JSON.read_text(encoding="utf-8"))["summary"]
    claims = {(r["kind"], r["truth"]) for r in saved["claims"]}
    assert {(calibration.PAIR, "null"), (calibration.PAIR, "effect"), (calibration.FAMILY, "null"),
            (calibration.LEAKAGE, "null"), (calibration.LEAKAGE, "effect"), (calibration.RISING, "null"),
            (calibration.FLAT, "null")} <= claims
    covered = {(r["kind"], r["condition"]) for r in saved["coverage"]}
    for kind in settings.PRODUCT_INTERVALS:
        assert (kind, "all") in covered
    for condition in (settings.INDEPENDENT, settings.GROUPED_EFFECT, settings.NEAR_PERFECT):
        assert (settings.ACC, condition) in covered and (settings.DIFF, condition) in covered
    assert {r["n_encoders"] for r in saved["holm"]} >= {1, 3, 6}


# ---------------------------------------------------------------- the smoke run (slow lane)

@pytest.mark.slow
def test_smoke_run_reports_every_rate_through_the_library_rules(tmp_path):
    md, js, readme = tmp_path / "RESULTS.md", tmp_path / "calibration.json", tmp_path / "README.md"
    readme.write_text(f"# x\n\n{calibration.HEADLINE_START}\n{calibration.HEADLINE_END}\n", encoding="utf-8")
    start = time.perf_counter()
    assert calibration.main(["--smoke", "--jobs", "1", "--results-md", str(md), "--results-json", str(js),
                             "--readme", str(readme)]) == 0
    assert time.perf_counter() - start < SMOKE_LIMIT_S
    saved = json.loads(js.read_text(encoding="utf-8"))
    summary_, meta = saved["summary"], saved["meta"]
    assert meta["smoke"] and meta["n_datasets"] == len(calibration.smoke_scenarios()) * calibration.SMOKE[
        "n_per_scenario"]
    assert str(tmp_path) not in meta["command"]  # output paths are not part of the command shown
    claims = {(r["kind"], r["scenario"], r["truth"]): r for r in summary_["claims"]}
    null = claims[(calibration.PAIR, "all", "null")]  # the false-claim rate under "no difference" is reported
    assert null["n"] >= 8 and 0 <= null["low"] <= null["rate"] <= null["high"] <= 1
    assert claims[(calibration.PAIR, "pair-large-10c-300", "effect")]["rate"] > 0.8  # a gap of 0.2 is found
    assert (calibration.FAMILY, "pair-null-6enc-5c-300", "null") in claims
    assert (calibration.LEAKAGE, "groups-leak-4c-300-g20", "effect") in claims
    assert (calibration.RISING, "curve-flat-4c-400", "null") in claims
    kinds = {r["kind"] for r in summary_["coverage"]}
    assert set(settings.PRODUCT_INTERVALS) <= kinds
    assert all(0 <= r["coverage"]["rate"] <= 1 and r["coverage"]["n"] > 0 for r in summary_["coverage"])
    product = [r for r in summary_["coverage"] if r["kind"] in settings.PRODUCT_INTERVALS]
    assert sum(r["zero_width"] for r in product) == 0  # no interval the product reports is zero-width
    family = next(r for r in summary_["holm"] if r["n_encoders"] == 6)
    assert family["pair_holm"]["n"] == 6 * family["family_holm"]["n"]
    noisy = next(r for r in summary_["label_issues"] if r["label_noise"] == 0.10)
    assert noisy["recall"]["rate"] > 0.5 and noisy["precision"]["rate"] > 0.5
    assert summary_["checks"]["min_oof_agreement"] > 0.99  # the truth's refitted fold models are compare()'s
    assert summary_["checks"]["grouped_with_group_unit"] == summary_["checks"]["grouped_datasets"] > 0
    text = md.read_text(encoding="utf-8")
    for heading in ("False claims where the truth is null", "Holm across the encoders of a run",
                    "Power where the truth is a difference", "Coverage of the intervals the product reports",
                    "Coverage of reference intervals", "Possibly mislabelled"):
        assert heading in text
    assert text.startswith(calibration.BLOCK_START) and text.rstrip().endswith(calibration.BLOCK_END)
    assert "\"beats the baseline\" when it does not" in readme.read_text(encoding="utf-8")
