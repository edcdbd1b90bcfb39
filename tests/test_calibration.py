"""The calibration harness (benchmarks/calibration.py): its simulator delivers the truth it promises, and its smoke
run takes every dataset through the library's own rules and reports every rate."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest

from audiodiag.evaluate import random_vs_group_split
from audiodiag.features import baseline_pipeline
from benchmarks import calibration
from benchmarks.calibration import Scenario, dataset_seed, simulate

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
    trained = [np.mean(baseline_pipeline(0).fit(x, dataset.given).predict(fresh) == given)
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
                                                             lambda: baseline_pipeline(0), seed=0).gap
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


# ---------------------------------------------------------------- the smoke run (slow lane)

@pytest.mark.slow
def test_smoke_run_reports_every_rate_through_the_library_rules(tmp_path):
    md, js = tmp_path / "RESULTS.md", tmp_path / "calibration.json"
    start = time.perf_counter()
    assert calibration.main(["--smoke", "--jobs", "1", "--results-md", str(md), "--results-json", str(js)]) == 0
    assert time.perf_counter() - start < SMOKE_LIMIT_S
    saved = json.loads(js.read_text(encoding="utf-8"))
    summary, meta = saved["summary"], saved["meta"]
    assert meta["smoke"] and meta["n_datasets"] == len(calibration.smoke_scenarios()) * calibration.SMOKE[
        "n_per_scenario"]
    assert str(tmp_path) not in meta["command"]  # output paths are not part of the command shown
    claims = {(r["kind"], r["scenario"], r["truth"]): r for r in summary["claims"]}
    null = claims[(calibration.PAIR, "all", "null")]  # the false-claim rate under "no difference" is reported
    assert null["n"] >= 8 and 0 <= null["low"] <= null["rate"] <= null["high"] <= 1
    assert claims[(calibration.PAIR, "pair-large-10c-300", "effect")]["rate"] > 0.8  # a gap of 0.2 is found
    assert (calibration.LEAKAGE, "groups-leak-4c-300-g20", "effect") in claims
    assert (calibration.RISING, "curve-flat-4c-400", "null") in claims
    kinds = {r["kind"] for r in summary["coverage"]}
    assert {calibration.ACC, calibration.F1, calibration.DIFF, calibration.GAP, calibration.SLOPE} <= kinds
    assert all(0 <= r["coverage"]["rate"] <= 1 and r["coverage"]["n"] > 0 for r in summary["coverage"])
    noisy = next(r for r in summary["label_issues"] if r["label_noise"] == 0.10)
    assert noisy["recall"]["rate"] > 0.5 and noisy["precision"]["rate"] > 0.5
    assert summary["checks"]["min_oof_agreement"] > 0.99  # the truth's refitted fold models are compare()'s
    text = md.read_text(encoding="utf-8")
    for heading in ("False claims where the truth is null", "Power where the truth is a difference",
                    "Coverage of nominal 95 % intervals", "Possibly mislabelled"):
        assert heading in text
    assert text.startswith(calibration.BLOCK_START) and text.rstrip().endswith(calibration.BLOCK_END)
