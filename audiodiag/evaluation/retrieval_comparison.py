"""Two spaces' retrieval compared on the same queries: per-metric paired differences with bootstrap CIs, the
verdict they support (`BETTER_RULE`), and the plain-language reading of the numbers that the Embeddings page and the
retrieval note both say (`reading`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation import intervals
from audiodiag.evaluation.bootstrap import N_BOOT, Estimate
from audiodiag.evaluation.evaluate import signed
from audiodiag.evaluation.retrieval import PRECISION_K, Retrieval

APART_GAP = 0.0  # without per-query values: CIs that do not overlap (gap > 0) are called apart, nothing more

# (Retrieval field, per-query key, name in sentences); mAP first: it scores the whole ranking, so it decides
RETRIEVAL_METRICS = (("mean_average_precision", "average_precision", "mAP"),
                     ("precision_at_1", "hit_at_1", "precision@1"),
                     ("precision_at_5", "precision_at_k", f"precision@{PRECISION_K}"),
                     ("knn_accuracy", "knn_correct", "kNN accuracy"))


@dataclass(frozen=True)
class PairedRetrieval:
    """One space against the baseline on the same queries, every reported metric with a paired CI."""

    space: str
    baseline: str
    differences: dict  # metric name -> Estimate of (space − baseline), paired bootstrap over shared queries
    better: tuple[str, ...]  # metrics whose CI lies above 0
    worse: tuple[str, ...]  # metrics whose CI lies below 0
    verdict: str  # "better" | "worse" | "mixed" | "undecided"
    deciding: str  # the metric that decides ("" when undecided): mAP when it is clear, else the first clear one
    n_queries: int

    def summary(self) -> str:
        parts = ", ".join(f"{name} {signed(d.value)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"
                          for name, d in self.differences.items())
        return f"{self.space} − {self.baseline} on the same {self.n_queries} queries: {parts}"


def paired_retrieval(baseline: Retrieval, other: Retrieval, *, n_boot: int = N_BOOT, seed: int = 0) -> PairedRetrieval:
    """Per-metric differences with paired bootstrap CIs (the same resampled queries for both spaces), and the
    verdict they support: better or worse on every clear metric, mixed when clear metrics disagree."""
    if baseline.n_clips != other.n_clips:
        raise BadParameterError(f"{baseline.space} has {baseline.n_clips} queries and {other.space} {other.n_clips}; "
                                "compare spaces on the same clips")
    both = np.ones(baseline.n_clips, bool)
    for _, key, _ in RETRIEVAL_METRICS:
        both &= np.isfinite(baseline.per_query[key]) & np.isfinite(other.per_query[key])
    diffs = np.stack([other.per_query[key][both] - baseline.per_query[key][both] for _, key, _ in RETRIEVAL_METRICS])
    groups = None if baseline.query_groups is None else baseline.query_groups[both]
    estimates = dict(zip((name for *_, name in RETRIEVAL_METRICS),
                         intervals.means(diffs, groups, bounds=(-1.0, 1.0), n_boot=n_boot, seed=seed),
                         strict=True))
    better = tuple(name for name, d in estimates.items() if d.ci_low > 0)
    worse = tuple(name for name, d in estimates.items() if d.ci_high < 0)
    verdict = "mixed" if better and worse else "better" if better else "worse" if worse else "undecided"
    clear = better or worse
    deciding = "" if verdict in ("undecided", "mixed") else ("mAP" if "mAP" in clear else clear[0])
    return PairedRetrieval(other.space, baseline.space, estimates, better, worse, verdict, deciding, int(both.sum()))


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def _apart(a: Estimate, b: Estimate) -> bool:
    return a.ci_low - b.ci_high > APART_GAP or b.ci_low - a.ci_high > APART_GAP


# the one rule behind every "better" / "worse" / "inconclusive" said about two spaces (reading and note)
BETTER_RULE = ("better or worse on a metric when the paired 95 % bootstrap CI of its difference lies above or below "
               "0; inconclusive when it includes 0")


def comparison_sentence(paired: PairedRetrieval) -> str:
    """What `paired` supports, in the words of BETTER_RULE (no degree adverbs: the CI says how sure)."""
    if paired.verdict == "better":
        return (f"{paired.space} retrieves better than {paired.baseline} on {', '.join(paired.better)} (paired 95 % "
                f"CIs above 0; decided by {paired.deciding})")
    if paired.verdict == "worse":
        return (f"{paired.space} retrieves worse than {paired.baseline} on {', '.join(paired.worse)} (paired 95 % "
                f"CIs below 0; decided by {paired.deciding})")
    if paired.verdict == "mixed":
        return (f"Mixed: {paired.space} is better on {', '.join(paired.better)} but worse on "
                f"{', '.join(paired.worse)}; choose by what the search is for")
    return "Inconclusive: every metric's paired 95 % CI includes 0, so these clips cannot tell them apart"


def same_group_sentence(r: Retrieval) -> str | None:
    """Which group rule the headline uses and precision@1 under the other one; None without groups."""
    other = r.other_precision_at_1
    if other is None:
        return None
    rule, estimate = other
    pull = (f"the nearest clip is from the query's own group for {_percent(r.same_group_at_1)} of queries (a random "
            f"clip: {_percent(r.same_group_chance)})")
    if r.exclude_same_group:
        return (f"{r.space}: scored without same-group neighbours (a query's own speaker or source is not a "
                f"candidate); with them, {pull} and precision@1 is {estimate}.")
    return (f"{r.space}: scored with same-group neighbours as candidates, on request; {pull}. Without them "
            f"precision@1 is {estimate}: that is how well it retrieves across speakers or sources.")


def reading(results: Sequence[Retrieval]) -> list[str]:
    """Sentences computed from the numbers: each space against the first (the baseline) on every metric with
    paired CIs (BETTER_RULE), which group rule scored each space, and any space whose neighbours follow the
    group (speaker, source) more than the label."""
    out = []
    scored = [r for r in results if r.n_scored]
    for other in scored[1:]:
        first = scored[0]
        a, b = other.precision_at_1, first.precision_at_1
        # scores in the retrieval table's format (three decimals); shares of queries as percentages
        sentence = (f"{other.space} retrieves the same class at rank 1 with precision@1 {a.value:.3f} vs "
                    f"{b.value:.3f} for {first.space}; mAP {other.mean_average_precision.value:.3f} vs "
                    f"{first.mean_average_precision.value:.3f}")
        if not (other.per_query and first.per_query):  # results without per-query values: the intervals only
            out.append(sentence + (f"; the 95 % intervals do not overlap (higher: "
                                   f"{other.space if a.value > b.value else first.space}); without per-query "
                                   "values no paired difference is computed." if _apart(a, b) else
                                   "; the 95 % intervals overlap: inconclusive."))
            continue
        paired = paired_retrieval(first, other)
        out.append(f"{sentence}. {comparison_sentence(paired)}. {paired.summary()}.")
    for r in results:
        if r.groups_span_labels and r.group_silhouette > r.silhouette:  # False when either is NaN
            out.append(f"{r.space}: clips cluster more by group (silhouette {r.group_silhouette:.3f}) than by label "
                       f"({r.silhouette:.3f}); the space encodes the speaker or source more than the class.")
        if (groups := same_group_sentence(r)) is not None:
            out.append(groups)
        if r.unscored:
            out.append(f"{r.space}: {len(r.unscored)} of {r.n_clips} queries have no relevant candidate "
                       f"{'outside their group ' if r.exclude_same_group else ''}and are not scored.")
    return out
