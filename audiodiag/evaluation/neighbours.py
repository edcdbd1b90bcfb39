"""The neighbour browser: one query's nearest other clips in a space, by the same standardised cosine and the same
group rule as `retrieval.retrieval_metrics`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation.retrieval import KNN_K, prepare


@dataclass(frozen=True)
class Neighbour:
    index: int  # position of the clip in the dataset
    rank: int  # 1 = nearest
    cosine_similarity: float
    cosine_distance: float  # 1 - similarity


def neighbours(vectors: np.ndarray, query: int, *, k: int = KNN_K, groups: Sequence | None = None,
               exclude_same_group: bool | None = None, standardise: bool = True) -> list[Neighbour]:
    """The k nearest other clips to clip `query` (cosine, the same standardised space as the metrics); the
    query's own group is left out as in `retrieval_metrics` (by default whenever `groups` are given).

    >>> [nb.index for nb in neighbours([[1, 0], [0.9, 0.1], [0, 1]], 0, k=2, standardise=False)]
    [1, 2]
    """
    x = prepare(vectors, standardise=standardise)
    n = len(x)
    if not 0 <= query < n:
        raise BadParameterError(f"query index {query} is outside 0..{n - 1}; pick one of the {n} clips")
    sims = (x @ x[query]).astype(np.float64)
    sims[query] = -np.inf
    if exclude_same_group is None:
        exclude_same_group = groups is not None
    if exclude_same_group:
        if groups is None:
            raise BadParameterError("exclude_same_group needs a group per clip: pass groups, or set it to False")
        g = np.asarray(groups, dtype=object)
        sims[g == g[query]] = -np.inf
    order = np.argsort(-sims, kind="stable")[:max(0, k)]
    return [Neighbour(int(i), rank, float(sims[i]), float(1 - sims[i]))
            for rank, i in enumerate(order, start=1) if np.isfinite(sims[i])]
