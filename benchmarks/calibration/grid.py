"""Running the grid: each scenario's truth, then every dataset through `records.run_one`, in one or more processes;
then the summary and its Markdown."""
from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import asdict

from benchmarks.calibration.records import run_one
from benchmarks.calibration.scenarios import SCENARIOS, Scenario
from benchmarks.calibration.settings import (
    CURVE_TRUTH_REPEATS,
    EXPECTED_TRUTH_REPEATS,
    N_BOOT,
    N_DATASETS,
    N_SPLITS,
    SMOKE,
    TRUTH_CLIPS,
)
from benchmarks.calibration.summary import summarise
from benchmarks.calibration.tables import render_markdown
from benchmarks.calibration.truth import scenario_truth
from benchmarks.harness import machine


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one process per core: no BLAS threads on top


def _scenario_truth_task(task: tuple[Scenario, int, int, int]) -> tuple[str, dict]:
    scenario, repeats, curve_repeats, truth_clips = task
    return scenario.name, scenario_truth(scenario, repeats=repeats, curve_repeats=curve_repeats,
                                         truth_clips=truth_clips)


def run(scenarios: Sequence[Scenario] = SCENARIOS, *, n_per_scenario: int | dict[str, int], jobs: int = 1,
        n_boot: int = N_BOOT, truth_clips: int = TRUTH_CLIPS, curve_repeats: int = CURVE_TRUTH_REPEATS,
        expected_repeats: int = EXPECTED_TRUTH_REPEATS, progress=None) -> dict:
    """The scenarios' truths, then every dataset of every scenario through `run_one`; returns {"records", "truths",
    "settings"}. jobs > 1 runs them in that many processes; the results do not depend on it."""
    say = progress or (lambda message: None)
    if isinstance(n_per_scenario, int):
        n_per_scenario = {s.name: n_per_scenario for s in scenarios}
    truth_tasks = [(s, expected_repeats, curve_repeats, truth_clips) for s in scenarios]
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_init_worker) if jobs > 1 else None
    mapped = pool.imap_unordered if pool is not None else map
    try:
        truths = {}
        for name, truth in mapped(_scenario_truth_task, truth_tasks):
            truths[name] = truth
            say(f"truth of {name}: expected accuracy {truth['expected']['accuracy']}")
        # the slowest scenarios first, so no process is left with a long one at the end
        tasks = sorted(((s, i, truths[s.name], n_boot, truth_clips) for s in scenarios
                        for i in range(n_per_scenario[s.name])), key=lambda t: -t[0].n_clips * len(t[0].spaces))
        records = []
        for done, record in enumerate(mapped(run_one, tasks), start=1):
            records.append(record)
            if done % 25 == 0 or done == len(tasks):
                say(f"{done}/{len(tasks)} datasets")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    order = {s.name: k for k, s in enumerate(scenarios)}
    records.sort(key=lambda r: (order[r["scenario"]], r["index"]))
    return {"records": records, "truths": {s.name: truths[s.name] for s in scenarios},
            "settings": {"n_per_scenario": n_per_scenario, "n_boot": n_boot, "truth_clips": truth_clips,
                         "curve_repeats": curve_repeats, "expected_repeats": expected_repeats, "n_splits": N_SPLITS,
                         "jobs": jobs}}


def datasets_per_scenario(scenarios: Sequence[Scenario], n_datasets: int) -> dict[str, int]:
    """n_datasets shared by the scenarios in proportion to their weight (rounded up: at least n_datasets in all)."""
    base = n_datasets / sum(s.weight for s in scenarios)
    return {s.name: max(1, math.ceil(base * s.weight)) for s in scenarios}


def calibrate(*, smoke: bool = False, n_datasets: int = N_DATASETS, jobs: int = 1, n_boot: int | None = None,
              scenarios: Sequence[Scenario] = SCENARIOS, command: str = "", progress=None) -> dict:
    """Run the grid (or its smoke version) and summarise: {"summary", "markdown", "meta", "records"}."""
    start = time.perf_counter()
    if smoke:
        settings = {**SMOKE, "n_per_scenario": {s.name: SMOKE["n_per_scenario"] for s in scenarios}}
    else:
        settings = {"n_per_scenario": datasets_per_scenario(scenarios, n_datasets), "n_boot": N_BOOT,
                    "truth_clips": TRUTH_CLIPS, "curve_repeats": CURVE_TRUTH_REPEATS,
                    "expected_repeats": EXPECTED_TRUTH_REPEATS}
    if n_boot is not None:
        settings["n_boot"] = n_boot
    result = run(scenarios, jobs=jobs, progress=progress, **settings)
    summary = summarise(result["records"], scenarios)
    meta = {"date": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "machine": machine(),
            "command": command or "benchmarks.calibration.calibrate()", "seconds": time.perf_counter() - start,
            "n_datasets": len(result["records"]), "settings": result["settings"], "truths": result["truths"],
            "scenarios": [asdict(s) for s in scenarios], "smoke": smoke,
            "seconds_per_scenario": {s.name: round(sum(r["seconds"] for r in result["records"]
                                                       if r["scenario"] == s.name), 1) for s in scenarios}}
    return {"summary": summary, "markdown": render_markdown(summary, meta, scenarios), "meta": meta,
            "records": result["records"]}
