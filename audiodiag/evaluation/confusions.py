"""Confusions of a classifier in a fixed class order: counts, row shares, per-class F1 and the most confused
(true, predicted) pairs with example clips to listen to.

>>> confusion(["a", "b", "b"], ["a", "a", "b"], labels=["a", "b"]).counts
array([[1, 0],
       [1, 1]])
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadParameterError

MAX_EXAMPLES = 5  # clip indices kept per confused pair


@dataclass(frozen=True, eq=False)
class Confusion:
    labels: tuple  # class order of rows (true) and columns (predicted)
    counts: np.ndarray  # int, (n_classes, n_classes)
    normalized: np.ndarray  # counts / row sums: the share of each true class predicted as each column;
    # a class with no true clips has a row of zeros


@dataclass(frozen=True)
class ConfusedPair:
    true_label: object
    predicted_label: object
    count: int
    example_indices: tuple[int, ...]  # up to MAX_EXAMPLES clip indices, in clip order


def confusion(y_true: Sequence, y_pred: Sequence, *, labels: Sequence) -> Confusion:
    """Confusion counts and row-normalised shares in the fixed class order `labels`."""
    t, p = _codes_in_order(y_true, y_pred, labels)
    k = len(labels)
    counts = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
    totals = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    return Confusion(labels=tuple(labels), counts=counts, normalized=normalized)


def cell_members(y_true: Sequence, y_pred: Sequence, *, labels: Sequence) -> list[list[list[int]]]:
    """The clips behind each confusion cell: cells[i][j] lists, in clip order, the indices of the clips of true class
    labels[i] predicted as labels[j] (so len(cells[i][j]) == confusion(...).counts[i, j]).

    >>> cell_members(["a", "b", "b"], ["a", "a", "b"], labels=["a", "b"])
    [[[0], []], [[1], [2]]]
    """
    t, p = _codes_in_order(y_true, y_pred, labels)
    cells: list[list[list[int]]] = [[[] for _ in labels] for _ in labels]
    for clip, (i, j) in enumerate(zip(t.tolist(), p.tolist(), strict=True)):
        cells[i][j].append(clip)
    return cells


def per_class_f1(y_true: Sequence, y_pred: Sequence, *, labels: Sequence) -> dict:
    """F1 of each class in `labels` order (0 for a class neither true nor predicted anywhere)."""
    counts = confusion(y_true, y_pred, labels=labels).counts
    tp = np.diag(counts)
    denominator = counts.sum(axis=0) + counts.sum(axis=1)
    f1 = np.divide(2 * tp, denominator, out=np.zeros(len(tp)), where=denominator > 0)
    return {label: float(v) for label, v in zip(labels, f1, strict=True)}


def most_confused_pairs(y_true: Sequence, y_pred: Sequence, *, labels: Sequence | None = None,
                        top: int = 5) -> list[ConfusedPair]:
    """The `top` (true, predicted) mistakes by count, with example clip indices to listen to."""
    labels = list(np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))) if labels is None \
        else list(labels)
    t, p = _codes_in_order(y_true, y_pred, labels)
    counts = confusion(y_true, y_pred, labels=labels).counts.copy()
    np.fill_diagonal(counts, 0)
    order = np.argsort(-counts, axis=None, kind="stable")[:top]
    pairs = []
    for flat in order:
        i, j = divmod(int(flat), len(labels))
        if counts[i, j] == 0:
            break
        examples = np.flatnonzero((t == i) & (p == j))[:MAX_EXAMPLES]
        pairs.append(ConfusedPair(labels[i], labels[j], int(counts[i, j]), tuple(int(e) for e in examples)))
    return pairs


def _codes_in_order(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> tuple[np.ndarray, np.ndarray]:
    t, p, order = np.asarray(y_true), np.asarray(y_pred), list(labels)
    if len(t) != len(p):
        raise BadParameterError(f"{len(t)} true labels but {len(p)} predictions; pass one of each per clip")
    if len(set(order)) != len(order):
        raise BadParameterError(f"labels {order} repeat a class; list each class once")
    position = {label: i for i, label in enumerate(order)}
    unknown = sorted({str(v) for v in np.concatenate([t, p]) if v not in position})
    if unknown:
        raise BadParameterError(f"labels {order} do not include {', '.join(unknown)}, found in the labels or "
                                "predictions: add them to `labels`")
    return np.array([position[v] for v in t], dtype=np.int64), np.array([position[v] for v in p], dtype=np.int64)
