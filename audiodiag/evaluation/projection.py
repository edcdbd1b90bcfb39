"""2-D maps of a representation space with UMAP (umap-learn), for looking at cluster structure.

The vectors are standardised (each dimension z-scored over the dataset, as for retrieval), compared by
cosine distance, and laid out with a fixed random_state, so the same vectors and settings always give the
same map. A map is for looking: distances between far-apart clusters mean little; the retrieval metrics are
the numbers.

Not run as a doctest (fitting a map imports umap-learn, whose numba start-up takes seconds)::

    umap_2d(vectors, n_neighbors=15, min_dist=0.1).coordinates.shape      # (n_clips, 2)

Inputs are checked before umap-learn is imported:

>>> umap_2d(np.zeros((3, 8)))
Traceback (most recent call last):
audiodiag.errors.BadDataError: 3 clip(s) (vectors of shape (3, 8)); a UMAP map needs at least 4 clips: add clips
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadDataError, BadParameterError
from audiodiag.evaluation.retrieval import standardised

DEFAULT_N_NEIGHBORS = 15  # umap-learn's default: local (small) vs global (large) structure
DEFAULT_MIN_DIST = 0.1  # umap-learn's default: how tightly points may pack
RANDOM_STATE = 0
METRIC = "cosine"
MIN_CLIPS = 4  # umap-learn's spectral initialisation fails below n_components + 2 points
MIN_NEIGHBORS = 2
MAX_MIN_DIST = 1.0  # umap-learn requires min_dist <= spread (1.0)


@dataclass(frozen=True, eq=False)
class Projection:
    """UMAP coordinates of one space and the settings that made them."""

    coordinates: np.ndarray  # float32, (n_clips, 2)
    n_neighbors: int  # as used (capped at n_clips - 1)
    min_dist: float
    metric: str
    random_state: int
    n_epochs: int | None  # None: umap-learn's default (500 below 10,000 clips)

    @property
    def settings(self) -> dict:
        return {"n_neighbors": self.n_neighbors, "min_dist": self.min_dist, "metric": self.metric,
                "random_state": self.random_state, "n_epochs": self.n_epochs, "standardised": True}


def umap_2d(vectors: np.ndarray, *, n_neighbors: int = DEFAULT_N_NEIGHBORS, min_dist: float = DEFAULT_MIN_DIST,
            random_state: int = RANDOM_STATE, n_epochs: int | None = None) -> Projection:
    """UMAP of standardised `vectors` to 2-D with cosine distance.

    Parameters
    ----------
    n_neighbors : neighbourhood size (capped at n_clips - 1); small values show local structure.
    min_dist : minimum distance between points in the map, in [0, 1].
    n_epochs : optimisation epochs; None for umap-learn's default (fewer are faster and rougher).
    """
    x = np.asarray(vectors)
    if x.ndim != 2 or len(x) < MIN_CLIPS:
        raise BadDataError(f"{len(x) if x.ndim else 0} clip(s) (vectors of shape {x.shape}); a UMAP map needs at "
                           f"least {MIN_CLIPS} clips: add clips")
    if not np.isfinite(x).all():
        raise BadDataError(f"{int((~np.isfinite(x)).any(axis=1).sum())} of {len(x)} vectors contain NaN or Inf; "
                           "recompute them (check the clips for NaN/Inf samples on the Inspect page)")
    if n_neighbors < MIN_NEIGHBORS:
        raise BadParameterError(f"n_neighbors={n_neighbors}; use at least {MIN_NEIGHBORS} (15 is usual)")
    if not 0 <= min_dist <= MAX_MIN_DIST:
        raise BadParameterError(f"min_dist={min_dist}; use a value in [0, {MAX_MIN_DIST:g}] (0.1 is usual)")
    if n_epochs is not None and n_epochs < 1:
        raise BadParameterError(f"n_epochs={n_epochs}; use at least 1, or None for umap-learn's default")
    import umap  # slow to import (numba): only when a map is asked for

    used = min(n_neighbors, len(x) - 1)
    # n_jobs=1: a fixed random_state makes umap-learn single-threaded anyway (and warn if asked otherwise)
    reducer = umap.UMAP(n_components=2, n_neighbors=used, min_dist=min_dist, metric=METRIC,
                        random_state=random_state, n_epochs=n_epochs, n_jobs=1)
    coordinates = reducer.fit_transform(standardised(x).astype(np.float32)).astype(np.float32)
    return Projection(coordinates, used, float(min_dist), METRIC, random_state, n_epochs)
