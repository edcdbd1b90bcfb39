"""Percentile bootstrap confidence intervals, shared by evaluate, retrieval, wer and curves.

One way to draw resamples (seeded, chunked so memory stays bounded) and one way to turn the resampled
statistics into an interval, so every CI in audiodiag is computed the same way and reproduces exactly.

>>> gain = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
>>> boot = bootstrap_distribution(lambda idx: gain[idx].mean(axis=1), len(gain), n_boot=1000, seed=0)
>>> percentile_ci(float(gain.mean()), boot)
Estimate(value=0.6, ci_low=0.2, ci_high=1.0)
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadDataError, BadParameterError

CONFIDENCE = 0.95  # two-sided percentile bootstrap intervals
N_BOOT = 1000  # resamples per interval
BOOT_CHUNK_ELEMENTS = 2_000_000  # resampled indices held at once (n_boot × n is drawn in chunks of rows)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile bootstrap confidence interval."""

    value: float
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}]"


def resample_indices(n: int, n_boot: int = N_BOOT, *, seed: int, chunk_rows: int | None = None
                     ) -> Iterator[np.ndarray]:
    """(rows, n) matrices of indices drawn with replacement from range(n), n_boot rows in all.

    One generator seeded with `seed` draws every chunk in turn, so the rows do not depend on the chunking.
    chunk_rows: resamples per chunk; by default as many as fit in BOOT_CHUNK_ELEMENTS indices.

    >>> np.concatenate(list(resample_indices(3, 4, seed=0))).shape
    (4, 3)
    """
    if n < 1:
        raise BadDataError(f"n={n} items to resample; a bootstrap needs at least 1: pass non-empty data")
    if n_boot < 1:
        raise BadParameterError(f"n_boot={n_boot}; use at least 1 ({N_BOOT} is the usual choice)")
    if chunk_rows is not None and chunk_rows < 1:
        raise BadParameterError(f"chunk_rows={chunk_rows}; use at least 1, or None for the memory-bounded default")
    rng = np.random.default_rng(seed)
    per_chunk = chunk_rows or max(1, BOOT_CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, per_chunk):
        yield rng.integers(0, n, size=(min(per_chunk, n_boot - start), n))


def bootstrap_distribution(statistic: Callable[[np.ndarray], np.ndarray], n: int, *, n_boot: int = N_BOOT,
                           seed: int, chunk_rows: int | None = None) -> np.ndarray:
    """The statistic of every resample: `statistic` maps a (rows, n) index matrix to values whose last axis
    has one entry per row; the chunks are joined along that axis, giving (..., n_boot).

    >>> x = np.arange(4.0)
    >>> bootstrap_distribution(lambda idx: x[idx].mean(axis=1), 4, n_boot=10, seed=0).shape
    (10,)
    """
    return np.concatenate([statistic(idx) for idx in resample_indices(n, n_boot, seed=seed, chunk_rows=chunk_rows)],
                          axis=-1)


def tail_percentiles(confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The lower and upper percentiles (0-100) of a two-sided interval at `confidence`.

    Computed as 100 * (1 - confidence) / 2, as every interval here always was (so not exactly 2.5 at 0.95):

    >>> tail_percentiles(0.95)
    (2.500000000000002, 97.5)
    """
    if not 0 < confidence < 1:
        raise BadParameterError(f"confidence={confidence!r}; use a share between 0 and 1, e.g. {CONFIDENCE}")
    tail = 100 * (1 - confidence) / 2
    return tail, 100 - tail


def percentile_ci(value: float, boot: np.ndarray, *, confidence: float = CONFIDENCE,
                  percentiles: tuple[float, float] | None = None) -> Estimate:
    """`value` with the percentile interval of its bootstrap distribution `boot` (1-D).

    percentiles: explicit (low, high) percentiles instead of those of `confidence`.

    >>> percentile_ci(0.5, np.linspace(0, 1, 101), percentiles=(2.5, 97.5))
    Estimate(value=0.5, ci_low=0.025, ci_high=0.975)
    """
    boot = np.asarray(boot)
    if boot.ndim != 1 or len(boot) == 0:
        raise BadParameterError(f"bootstrap values of shape {boot.shape}; pass one non-empty row of resampled "
                                "statistics (percentile_cis takes one row per statistic)")
    low, high = np.percentile(boot, percentiles or tail_percentiles(confidence))
    return Estimate(float(value), float(low), float(high))


def percentile_cis(values: np.ndarray, boot: np.ndarray, *, confidence: float = CONFIDENCE) -> list[Estimate]:
    """percentile_ci for several statistics at once: values (k,), boot (k, n_boot), one Estimate per row.

    >>> [e.ci_low for e in percentile_cis(np.zeros(2), np.zeros((2, 5)))]
    [0.0, 0.0]
    """
    values, boot = np.asarray(values), np.asarray(boot)
    if boot.ndim != 2 or boot.shape[0] != len(values) or boot.shape[1] == 0:
        raise BadParameterError(f"{len(values)} values but bootstrap values of shape {boot.shape}; pass one non-empty "
                                "row of resampled statistics per value")
    low, high = np.percentile(boot, tail_percentiles(confidence), axis=1)
    return [Estimate(float(v), float(lo), float(hi)) for v, lo, hi in zip(values, low, high, strict=True)]
