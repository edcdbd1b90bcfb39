"""Rates from the records: false claims, power, coverage per interval kind and condition, the Holm effect on
families of encoders, label-issue precision and recall; each rate with its Monte-Carlo error."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from benchmarks.calibration.scenarios import SCENARIOS, Scenario
from benchmarks.calibration.settings import (
    INTERVALS,
    MC_CONFIDENCE,
    NEAR_PERFECT,
    OBSERVED_ONE,
    PAIR,
    SCORE_KINDS,
    SINGLE,
)

DIGITS = 5  # rates and widths are kept to this many decimals in the JSON


def rate(k: int, n: int) -> dict:
    """k of n with its Clopper–Pearson interval (the Monte-Carlo error of the rate)."""
    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "low": None, "high": None}
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=MC_CONFIDENCE, method="exact")
    return {"k": int(k), "n": int(n), "rate": round(k / n, DIGITS), "low": round(float(ci.low), DIGITS),
            "high": round(float(ci.high), DIGITS)}


def summarise(records: Sequence[dict], scenarios: Sequence[Scenario] = SCENARIOS) -> dict:
    """{"claims", "coverage", "coverage_by_scenario", "holm", "label_issues", "checks"} from the records."""
    by_name = {s.name: s for s in scenarios}
    return {"claims": claim_rows(records, by_name), "coverage": coverage_rows(records, by_name),
            "coverage_by_scenario": coverage_by_scenario(records), "holm": holm_rows(records, by_name),
            "label_issues": label_rows(records, by_name), "checks": checks(records, by_name)}


def claim_rows(records: Sequence[dict], by_name: dict[str, Scenario]) -> list[dict]:
    """Per claim kind: the rate of "claimed" per scenario (false-claim rate where the truth is null, power where it is
    not), then pooled over all its scenarios and over each condition (independent clips, grouped ...); for "beats
    the baseline" also over the runs that compare one encoder, near-perfect scenarios left out (they never claim)."""
    claims: dict = defaultdict(lambda: defaultdict(list))
    for r in records:
        for c in r["claims"]:
            claims[c["kind"]][r["scenario"]].append(c)
    rows = []
    for kind, per_scenario in claims.items():
        pooled = defaultdict(lambda: [0, 0])
        for name, cs in per_scenario.items():
            null, s = cs[0]["null"], by_name[name]
            k = sum(c["claimed"] for c in cs)
            effects = [c["effect"] for c in cs if c["effect"] is not None]
            rows.append({"kind": kind, "scenario": name, "truth": "null" if null else "effect", **rate(k, len(cs)),
                         "mean_true_effect": round(float(np.mean(effects)), DIGITS) if effects else None,
                         "verdicts": _counts(c["verdict"] for c in cs)})
            wheres = ["all", f"all: {s.condition}"]
            if kind == PAIR and s.n_encoders == 1 and not s.near_perfect:  # one comparison per run, not trivial
                wheres.append(f"{SINGLE}, {s.condition}")
            for where in wheres:
                pooled[(null, where)][0] += k
                pooled[(null, where)][1] += len(cs)
        conditions = {where for _, where in pooled if where.startswith("all: ")}
        for (null, where), (k, n) in pooled.items():
            if where not in conditions or len(conditions) > 1:  # one condition only: its row would repeat "all"
                rows.append({"kind": kind, "scenario": where, "truth": "null" if null else "effect", **rate(k, n)})
    return rows


def coverage_rows(records: Sequence[dict], by_name: dict[str, Scenario]) -> list[dict]:
    """Per interval kind and condition: coverage of the truth (and of the two other truths), zero-width intervals,
    mean width. Conditions: all, each data condition, near-perfect scenarios, and (scores only) datasets that
    observed a score of 1.0."""
    cells: dict = defaultdict(lambda: {"hit": 0, "hit_all_n": 0, "n_all_n": 0, "hit_expected": 0, "n_expected": 0,
                                       "n": 0, "zero": 0, "width": 0.0, "min_low": 1.0})
    for r in records:
        for iv in r["intervals"]:
            keys = [(iv["kind"], "all"), (iv["kind"], r["condition"])]
            if by_name[r["scenario"]].near_perfect:
                keys.append((iv["kind"], NEAR_PERFECT))
            if iv["kind"] in SCORE_KINDS and iv["value"] == 1.0:
                keys.append((iv["kind"], OBSERVED_ONE))
            for key in keys:
                cell = cells[key]
                cell["n"] += 1
                cell["hit"] += iv["low"] <= iv["truth"] <= iv["high"]
                cell["zero"] += iv["high"] - iv["low"] == 0
                cell["width"] += iv["high"] - iv["low"]
                cell["min_low"] = min(cell["min_low"], iv["low"])
                for which in ("all_n", "expected"):
                    if iv[f"truth_{which}"] is not None:
                        cell[f"n_{which}"] += 1
                        cell[f"hit_{which}"] += iv["low"] <= iv[f"truth_{which}"] <= iv["high"]
    order = list(INTERVALS)
    return [{"kind": kind, "condition": cond, "coverage": rate(c["hit"], c["n"]),
             "coverage_all_n": rate(c["hit_all_n"], c["n_all_n"]) if c["n_all_n"] else None,
             "coverage_expected": rate(c["hit_expected"], c["n_expected"]) if c["n_expected"] else None,
             "zero_width": c["zero"], "mean_width": round(c["width"] / c["n"], DIGITS),
             "lowest_low": round(c["min_low"], DIGITS)}
            for (kind, cond), c in sorted(cells.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1] != "all",
                                                                         kv[0][1]))]


def coverage_by_scenario(records: Sequence[dict]) -> list[dict]:
    """Coverage of each interval kind in each scenario: (scenario, kind, hits, intervals)."""
    cells: dict = defaultdict(lambda: [0, 0])
    for r in records:
        for iv in r["intervals"]:
            cell = cells[(r["scenario"], iv["kind"])]
            cell[0] += iv["low"] <= iv["truth"] <= iv["high"]
            cell[1] += 1
    return [{"scenario": name, "kind": kind, "k": hit, "n": n} for (name, kind), (hit, n) in cells.items()]


def holm_rows(records: Sequence[dict], by_name: dict[str, Scenario]) -> list[dict]:
    """For every scenario where no encoder beats the baseline: the share of pairs and of runs (families) with a false
    "beats the baseline", with the Holm adjustment the product applies and without it (raw paired p < 0.05)."""
    runs: dict = defaultdict(list)
    for r in records:
        if by_name[r["scenario"]].gap == 0 and r["pairs"]:
            runs[r["scenario"]].append(r["pairs"])
    rows = []
    for name, families in runs.items():
        pairs = [p for family in families for p in family]
        rows.append({"scenario": name, "n_encoders": by_name[name].n_encoders, "condition": by_name[name].condition,
                     "pair_holm": rate(sum(p["verdict"] == "yes" for p in pairs), len(pairs)),
                     "pair_unadjusted": rate(sum(p["unadjusted"] == "yes" for p in pairs), len(pairs)),
                     "family_holm": rate(sum(any(p["verdict"] == "yes" for p in f) for f in families), len(families)),
                     "family_unadjusted": rate(sum(any(p["unadjusted"] == "yes" for p in f) for f in families),
                                               len(families))})
    return rows


def label_rows(records: Sequence[dict], by_name: dict[str, Scenario]) -> list[dict]:
    """Per scenario: precision and recall of "possibly mislabelled" against the labels that were flipped."""
    cells = defaultdict(lambda: {"flipped": 0, "flagged": 0, "hits": 0, "clips": 0, "datasets": 0, "with_flags": 0})
    for r in records:
        li, cell = r["label_issues"], cells[r["scenario"]]
        cell["flipped"] += li["n_flipped"]
        cell["flagged"] += li["n_flagged"]
        cell["hits"] += li["n_hits"]
        cell["clips"] += li["n_clips"]
        cell["datasets"] += 1
        cell["with_flags"] += li["n_flagged"] > 0
    return [{"scenario": name, "label_noise": by_name[name].label_noise, "precision": rate(c["hits"], c["flagged"]),
             "recall": rate(c["hits"], c["flipped"]), "flagged_share": round(c["flagged"] / c["clips"], DIGITS),
             "datasets": c["datasets"], "datasets_with_candidates": c["with_flags"]}
            for name, c in sorted(cells.items(), key=lambda kv: -by_name[kv[0]].label_noise)]


def checks(records: Sequence[dict], by_name: dict[str, Scenario]) -> dict:
    """That the truth's refitted models are compare()'s, and that grouped data made the intervals resample groups."""
    grouped = [r for r in records if by_name[r["scenario"]].n_groups is not None]
    return {"min_oof_agreement": min(r["checks"]["oof_agreement"] for r in records),
            "min_random_agreement": min(r["checks"]["random_agreement"] for r in records),
            "grouped_datasets": len(grouped),
            "grouped_with_group_unit": sum(r["checks"]["unit"] == "groups" and
                                           all(p["unit"] == "groups" for p in r["pairs"]) for r in grouped)}


def _counts(values) -> dict:
    out: dict = defaultdict(int)
    for v in values:
        out[str(v)] += 1
    return dict(sorted(out.items()))


def find(rows: Sequence[dict], **match) -> dict | None:
    """The first row whose fields equal `match`, or None."""
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)

