"""Is a representation space good to search in? Leave-one-out retrieval with cosine similarity.

Every clip is a query once; the other clips are the candidates, ranked by cosine similarity of standardised
vectors (each dimension z-scored over the dataset, as the classifier's StandardScaler does, so no dimension
dominates by its units). A candidate is relevant when it has the query's label. With `exclude_same_group`, the
query's own group (speaker, session, source recording) is removed from the candidates, so a speaker's other
takes do not count as retrieval success. It is the default whenever groups are given: another take of the
same word by the same voice is an easy match that says little about finding the word in new voices. The
figure under the other rule (precision@1 with the own group among the candidates, or without it) is kept
next to the headline, so both can be shown. One query's nearest clips are `neighbours`; two spaces are compared,
and the numbers read out in sentences, in `retrieval_comparison`.

All queries are scored at once from blocks of the similarity matrix (no Python loop over pairs); blocks run
in a few threads because numpy releases the GIL in the matrix product and the sort.

>>> vectors = np.random.default_rng(0).normal(size=(12, 8)) + 3 * np.repeat(np.eye(2, 8), 6, axis=0)
>>> labels, groups = ["dog"] * 6 + ["cat"] * 6, ["ann", "bob", "cy"] * 4
>>> result = retrieval_metrics(vectors, labels, groups=groups)          # groups given: their own is left out
>>> result.exclude_same_group, result.precision_at_1.value, result.n_scored  # nearest other-speaker clip: same label
(True, 1.0, 12)
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadDataError, BadParameterError
from audiodiag.evaluation import intervals
from audiodiag.evaluation.bootstrap import N_BOOT, Estimate

PRECISION_K = 5  # precision@5
KNN_K = 5  # neighbours voting in the kNN classifier (ties: the class of the nearest tied neighbour wins)
QUERY_BLOCK_ELEMENTS = 2_000_000  # similarity-matrix entries per block of queries (bounds memory)
MAX_THREADS = 4
MIN_CLIPS = 2
GROUP_PULL = 2.0  # nearest neighbour from the own group this many times more often than chance: say so


NAN_ESTIMATE = Estimate(float("nan"), float("nan"), float("nan"))


@dataclass(frozen=True, eq=False)
class Retrieval:
    """Leave-one-out retrieval quality of one space; Estimates carry 95 % bootstrap CIs over queries."""

    space: str
    precision_at_1: Estimate  # share of queries whose nearest candidate has their label
    precision_at_5: Estimate  # share of the 5 nearest candidates with the query's label
    mean_average_precision: Estimate  # mean over queries of the average precision of the full ranking
    knn_accuracy: Estimate  # majority vote of the KNN_K nearest candidates predicts the query's label
    silhouette: float  # cosine silhouette of the labels (sklearn's definition); NaN when undefined
    group_silhouette: float  # the same with groups as clusters; NaN without groups
    same_group_at_1: float  # share of queries whose nearest other clip (own group allowed) is from their own
    #                         group, whatever the exclusion; NaN without groups
    same_group_chance: float  # what same_group_at_1 would be for a random neighbour
    groups_span_labels: bool  # some group has clips of several labels (speakers across words), not nested
    n_clips: int
    n_scored: int  # queries with at least one relevant candidate (the others cannot be scored)
    unscored: tuple[int, ...]  # indices of the queries without any relevant candidate
    exclude_same_group: bool
    n_boot: int
    per_query: dict  # name -> (n_clips,) values per query, NaN for unscored queries
    # precision@1 under each group rule, each over the queries it can score (NaN without groups for "excluded");
    # one of them is precision_at_1, the other is the figure to show next to it
    precision_at_1_same_group_included: Estimate = NAN_ESTIMATE
    precision_at_1_same_group_excluded: Estimate = NAN_ESTIMATE
    query_groups: np.ndarray | None = None  # group code per query (clip), when the clips have groups

    @property
    def other_precision_at_1(self) -> tuple[str, Estimate] | None:
        """(rule, estimate) of precision@1 under the group rule not used for the headline; None without groups."""
        if not np.isfinite(self.same_group_chance):
            return None
        if self.exclude_same_group:
            return "same-group neighbours included", self.precision_at_1_same_group_included
        return "same-group neighbours excluded", self.precision_at_1_same_group_excluded


def standardised(vectors: np.ndarray) -> np.ndarray:
    """Each dimension z-scored over the clips (constant dimensions become 0), float64."""
    x = np.asarray(vectors, dtype=np.float64)
    spread = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def prepare(vectors: np.ndarray, *, standardise: bool = True) -> np.ndarray:
    """Rows ready for cosine similarity by a dot product: z-scored per dimension (constant dimensions → 0),
    then scaled to unit length (an all-zero row stays zero: similarity 0 with every clip). float32."""
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise BadParameterError(f"vectors must be a non-empty (n_clips, d) matrix; got shape {x.shape}")
    bad = int((~np.isfinite(x)).any(axis=1).sum())
    if bad:
        raise BadDataError(f"{bad} of {len(x)} vectors contain NaN or Inf; recompute them (check the clips for "
                           "NaN/Inf samples on the Inspect page)")
    x = np.array(x, dtype=np.float64)  # one copy, then worked on in place: memory is that copy, not five
    if standardise:  # as standardised(x), in place
        spread = x.std(axis=0)
        x -= x.mean(axis=0)
        x /= np.where(spread > 0, spread, 1.0)
    x /= np.where((norms := np.linalg.norm(x, axis=1, keepdims=True)) > 0, norms, 1.0)
    return x.astype(np.float32)


def _codes(values: Sequence, *, what: str, n: int) -> np.ndarray:
    array = np.asarray(values, dtype=object)
    if array.shape != (n,):
        raise BadParameterError(
            f"{len(array)} {what} for {n} vectors; give one {what[:-1]} per clip, in the same order")
    missing = sum(v is None for v in array)
    if missing:
        raise BadDataError(f"{missing} of {n} clips have no {what[:-1]}; retrieval needs a {what[:-1]} per clip: "
                           "add labels.csv / groups.csv (path,label,group) or one sub-folder per class")
    return np.unique(array.astype(str), return_inverse=True)[1].astype(np.int64)


@dataclass(frozen=True, eq=False)
class _Clusters:
    """Cluster codes laid out for summing a similarity row per cluster in one pass (any number of clusters)."""

    codes: np.ndarray  # (n,) 0..n_clusters-1, every code used
    order: np.ndarray  # columns sorted by cluster
    starts: np.ndarray  # first sorted column of each cluster
    sizes: np.ndarray  # clips per cluster, float

    @classmethod
    def of(cls, codes: np.ndarray) -> _Clusters:
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes).astype(np.float64)
        return cls(codes, order, np.searchsorted(codes[order], np.arange(len(sizes))), sizes)


def _silhouette_rows(sims: np.ndarray, rows: np.ndarray, clusters: _Clusters) -> np.ndarray:
    """Per-clip silhouette of the clips `rows`, from their similarity rows (before any exclusion).

    sklearn's `silhouette_samples(x, codes, metric="cosine")`, computed from the block already in memory
    instead of a second pass over all pairs: distance = 1 - cosine clipped to [0, 2]; a = mean distance to
    the rest of the own cluster, b = lowest mean distance to another cluster; (b - a) / max(a, b); 0 for a
    clip alone in its cluster.
    """
    local = np.arange(len(rows))
    distances = np.clip(1 - sims, 0, 2)
    distances[local, rows] = 0
    sums = np.add.reduceat(distances[:, clusters.order], clusters.starts, axis=1)  # (rows, clusters)
    own = clusters.codes[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sums[local, own] / (clusters.sizes[own] - 1)
        mean_to = sums / clusters.sizes
        mean_to[local, own] = np.inf
        b = mean_to.min(axis=1)
        values = (b - a) / np.maximum(a, b)
    return np.nan_to_num(np.where(clusters.sizes[own] > 1, values, 0.0), posinf=0.0, neginf=0.0)


def _mean_silhouette(values: np.ndarray, codes: np.ndarray) -> float:
    """Mean over clips, NaN where sklearn refuses it (fewer than 2 clusters, or as many clusters as clips)."""
    return float(values.mean()) if 2 <= len(np.unique(codes)) <= len(codes) - 1 else float("nan")


def _block_rows(n: int) -> int:
    return max(1, QUERY_BLOCK_ELEMENTS // max(n, 1))


def _score_block(x: np.ndarray, rows: np.ndarray, labels: np.ndarray, groups: np.ndarray | None,
                 exclude_same_group: bool, k: int, clusters: dict[str, _Clusters]) -> dict:
    """Per-query values for the queries `rows`: one block of the similarity matrix, ranked."""
    n, n_classes = len(x), len(clusters["silhouette"].sizes)
    sims = x[rows] @ x.T
    local = np.arange(len(rows))
    silhouettes = {name: _silhouette_rows(sims, rows, c) for name, c in clusters.items()}
    sims[local, rows] = -np.inf  # leave one out
    both_rules = {}
    if groups is not None:
        own_group = groups[rows][:, None] == groups[None, :]
        nearest = sims.argmax(axis=1)  # own group allowed (ties: the first clip)
        both_rules = {"same_group_at_1": (groups[nearest] == groups[rows]).astype(np.float64),
                      **_top_hit(sims, labels, rows, "included"),
                      **_top_hit(np.where(own_group, -np.inf, sims), labels, rows, "excluded")}
        if exclude_same_group:
            sims[own_group] = -np.inf
    n_candidates = np.isfinite(sims).sum(axis=1)
    order = np.argsort(sims, axis=1)[:, ::-1]  # descending (ties: any order); excluded candidates (-inf) last
    valid = np.arange(n)[None, :] < n_candidates[:, None]
    relevant = (labels[order] == labels[rows][:, None]) & valid
    n_relevant = relevant.sum(axis=1)
    hits = np.cumsum(relevant, axis=1, dtype=np.int32)
    precision_at_hit = np.where(relevant, hits / np.arange(1, n + 1, dtype=np.float32), 0.0)
    average_precision = precision_at_hit.sum(axis=1) / np.maximum(n_relevant, 1)
    top_k = min(k, n)
    at_k = relevant[:, :PRECISION_K].sum(axis=1) / np.maximum(np.minimum(PRECISION_K, n_candidates), 1)
    neighbour_labels = np.where(valid[:, :top_k], labels[order[:, :top_k]], -1)
    out = {"hit_at_1": relevant[:, 0].astype(np.float64), "precision_at_k": at_k,
           "average_precision": average_precision,
           "knn_correct": (_vote(neighbour_labels, n_classes) == labels[rows]).astype(np.float64),
           "n_relevant": n_relevant, "n_candidates": n_candidates, **silhouettes, **both_rules}
    return out


def _top_hit(sims: np.ndarray, labels: np.ndarray, rows: np.ndarray, rule: str) -> dict:
    """Whether each query's nearest candidate (most similar finite column; ties: the first) has its label, NaN
    where no candidate has it (the query cannot be scored under this rule)."""
    same_label = (labels[None, :] == labels[rows][:, None]) & np.isfinite(sims)
    hit = same_label[np.arange(len(rows)), sims.argmax(axis=1)]
    return {f"hit_at_1_{rule}": np.where(same_label.any(axis=1), hit, np.nan)}


def _vote(neighbour_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Majority class of each row of neighbour label codes (-1: no neighbour); ties go to the class whose
    first vote came earliest (the nearest). Rows without any neighbour predict -1."""
    n_rows, k = neighbour_labels.shape
    counts = np.zeros((n_rows, n_classes + 1), dtype=np.int64)
    first = np.full((n_rows, n_classes + 1), k, dtype=np.int64)
    rows = np.arange(n_rows)
    for rank in range(k - 1, -1, -1):  # k steps over ranks, never over pairs
        column = neighbour_labels[:, rank] + 1  # -1 → slot 0
        counts[rows, column] += 1
        first[rows, column] = rank
    counts[:, 0], first[:, 0] = 0, k  # "no neighbour" never wins
    score = counts * (k + 1) + (k - first)
    winner = score.argmax(axis=1)
    return np.where(counts[rows, winner] > 0, winner - 1, -1)


def retrieval_metrics(vectors: np.ndarray, labels: Sequence, *, groups: Sequence | None = None,
                      exclude_same_group: bool | None = None, k: int = KNN_K, n_boot: int = N_BOOT, seed: int = 0,
                      standardise: bool = True, space: str = "") -> Retrieval:
    """Leave-one-out retrieval metrics of one space, with bootstrap CIs over queries.

    Parameters
    ----------
    vectors : (n_clips, d) rows in one space (baseline features or encoder embeddings).
    labels : one label per clip: a candidate with the query's label is relevant.
    groups : one group per clip (speaker / session / source); needed for `exclude_same_group`.
    exclude_same_group : drop the query's own group from its candidates; None (the default): whenever `groups`
        are given. Either way the result also holds precision@1 under the other rule.
    k : neighbours voting in the kNN accuracy.

    Queries without any relevant candidate (the only clip of a class, or, with the exclusion, a class heard
    from one group only) are not scored; `unscored` lists them. CIs resample queries (1,000 times by
    default), or whole groups of queries when `groups` are given; they do not cover the dependence between
    queries that share candidates.

    >>> retrieval_metrics(np.eye(2).repeat(3, axis=0), list("aaabbb")).precision_at_1.value
    1.0
    """
    x = prepare(vectors, standardise=standardise)
    n = len(x)
    if n < MIN_CLIPS:
        raise BadDataError(f"{n} clip(s); leave-one-out retrieval needs at least {MIN_CLIPS}: add clips")
    if k < 1:
        raise BadParameterError(f"k={k}; the kNN vote needs at least 1 neighbour (5 is usual)")
    label_codes = _codes(labels, what="labels", n=n)
    group_codes = None if groups is None else _codes(groups, what="groups", n=n)
    if exclude_same_group is None:
        exclude_same_group = group_codes is not None
    if exclude_same_group and group_codes is None:
        raise BadParameterError("exclude_same_group needs a group per clip (speaker / session / source): pass groups, "
                                "or set exclude_same_group=False")
    clusters = {"silhouette": _Clusters.of(label_codes)}
    if group_codes is not None:
        clusters["group_silhouette"] = _Clusters.of(group_codes)
    blocks = [np.arange(s, min(s + _block_rows(n), n)) for s in range(0, n, _block_rows(n))]
    threads = max(1, min(MAX_THREADS, os.cpu_count() or 1, len(blocks)))
    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(lambda rows: _score_block(x, rows, label_codes, group_codes, exclude_same_group, k,
                                                        clusters), blocks))
    per = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    scored = per["n_relevant"] > 0
    names = ("hit_at_1", "precision_at_k", "average_precision", "knn_correct")
    scored_groups = None if group_codes is None else group_codes[scored]
    estimates = _means_with_ci(np.stack([per[m][scored] for m in names]), scored_groups, n_boot=n_boot, seed=seed)
    same_group, chance = float("nan"), float("nan")
    by_rule = {"included": estimates[0], "excluded": NAN_ESTIMATE}
    if group_codes is not None:
        same_group = float(per["same_group_at_1"].mean())
        sizes = np.bincount(group_codes)[group_codes]
        chance = float(((sizes - 1) / (n - 1)).mean())
        headline, other = ("excluded", "included") if exclude_same_group else ("included", "excluded")
        hits = per[f"hit_at_1_{other}"]
        by_rule = {headline: estimates[0],
                   other: _means_with_ci(hits[np.isfinite(hits)][None, :], group_codes[np.isfinite(hits)],
                                         n_boot=n_boot, seed=seed)[0]}
    return Retrieval(
        space=space, precision_at_1=estimates[0], precision_at_5=estimates[1],
        mean_average_precision=estimates[2], knn_accuracy=estimates[3],
        silhouette=_mean_silhouette(per["silhouette"], label_codes),
        group_silhouette=float("nan") if group_codes is None else _mean_silhouette(per["group_silhouette"],
                                                                                   group_codes),
        same_group_at_1=same_group, same_group_chance=chance,
        groups_span_labels=group_codes is not None and _spans(group_codes, label_codes), n_clips=n,
        n_scored=int(scored.sum()),
        unscored=tuple(int(i) for i in np.flatnonzero(~scored)), exclude_same_group=exclude_same_group,
        n_boot=n_boot, per_query={m: np.where(scored, per[m], np.nan) for m in names},
        precision_at_1_same_group_included=by_rule["included"], precision_at_1_same_group_excluded=by_rule["excluded"],
        query_groups=group_codes)


def _spans(group_codes: np.ndarray, label_codes: np.ndarray) -> bool:
    """True when some group holds clips of more than one label (distinct (group, label) pairs > groups)."""
    pairs = np.unique(group_codes * (int(label_codes.max()) + 1) + label_codes)
    return len(pairs) > len(np.unique(group_codes))


def _means_with_ci(values: np.ndarray, groups: np.ndarray | None = None, *, bounds: tuple[float, float] = (0.0, 1.0),
                   n_boot: int, seed: int) -> list[Estimate]:
    """Mean of each row of `values` (metrics × queries) with its 95 % CI (`intervals.means`): queries resampled,
    or whole groups of queries when the clips have groups (a speaker's queries are not independent)."""
    return intervals.means(values, groups, bounds=bounds, n_boot=n_boot, seed=seed)
