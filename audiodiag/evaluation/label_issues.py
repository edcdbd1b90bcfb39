"""Clips whose label may be wrong: confident learning on the out-of-fold probabilities that Compare computes.

A clip is a candidate when the classifier trained without it (its out-of-fold model) is confidently sure of
another class, judged against per-class thresholds (cleanlab's `find_label_issues`, Northcutt et al., 2021).
Candidates are clips to re-listen to, not proven errors: a hard clip, an ambiguous sound or a weak space
produces them as well. Nothing is relabelled.

>>> labels = ["dog"] * 5 + ["cat"] * 5
>>> p_cat = np.array([.1, .2, .1, .2, .9, .8, .9, .7, .9, .8])   # out-of-fold p(cat): clip 4 sounds like a cat
>>> probabilities = np.c_[p_cat, 1 - p_cat]                      # columns in the order of classes
>>> issues = find_label_issues(labels, probabilities, ["cat", "dog"], names=[f"{i}.wav" for i in range(10)],
...                            vectors=probabilities, space="baseline")
>>> [(i.name, i.given, i.suggested) for i in issues.issues[:3]]         # most likely mislabelled first
[('4.wav', 'dog', 'cat')]
"""
from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation import retrieval

RANKED_BY = "self_confidence"  # candidates ordered by p(given label), lowest first
QUALITY_METHOD = "normalized_margin"  # quality: how far p(given) is behind the best other class, rescaled to 0..1
MIN_CLIPS_PER_CLASS = 2  # as the folds need: one clip to train on, one to test
NEIGHBOURS_K = 5  # nearest other clips kept next to each candidate
NEAREST_CHUNK = 256  # candidates whose similarities to every clip are computed at once
PROBABILITY_SUM_TOLERANCE = 1e-3  # a row of out-of-fold probabilities may sum to 1 ± this
CLEANLAB_VERSION = "2.9"


@dataclass(frozen=True)
class Neighbour:
    """One of the nearest other clips to a candidate, in the same space (standardised vectors, cosine)."""

    index: int
    name: str
    label: str | None
    cosine_similarity: float


@dataclass(frozen=True)
class LabelIssue:
    """One clip whose given label the out-of-fold model doubts."""

    index: int  # position of the clip in the dataset
    name: str
    given: str  # the label the clip has
    suggested: str  # the most probable other class
    p_suggested: float  # out-of-fold probability of the suggested class
    p_given: float  # out-of-fold probability of the given label (the ranking score: lowest first)
    quality: float  # cleanlab's label quality score (normalized margin): 0 = given label looks wrong, 1 = right
    neighbours: tuple[Neighbour, ...] = ()

    def to_dict(self) -> dict:
        """For the note: the clip by name (its position depends on the order the clips were given in)."""
        return {"name": self.name, "given": self.given, "suggested": self.suggested,
                "p_suggested": self.p_suggested, "p_given": self.p_given, "quality": self.quality,
                "neighbours": [{"name": nb.name, "label": nb.label, "cosine_similarity": nb.cosine_similarity}
                               for nb in self.neighbours]}


@dataclass(frozen=True)
class LabelIssues:
    """The ranked candidates of one space, or why there are none to show (`unavailable`)."""

    space: str
    method: str  # what found them, in words
    issues: tuple[LabelIssue, ...]  # most likely mislabelled first
    n_clips: int
    unavailable: str | None = None  # why confident learning could not run on this space; None when it ran

    @property
    def share(self) -> float:
        """Candidates as a share of all clips (NaN when it could not run)."""
        return len(self.issues) / self.n_clips if self.unavailable is None and self.n_clips else float("nan")

    def reindexed(self, positions: Sequence[int]) -> LabelIssues:
        """The same candidates with every clip index i (the candidate's and its neighbours') replaced by
        positions[i]: found on the clips in canonical order, reported in the order they were given."""
        def at(i: int) -> int:
            return int(positions[i])

        return replace(self, issues=tuple(
            replace(issue, index=at(issue.index), neighbours=tuple(replace(nb, index=at(nb.index))
                                                                   for nb in issue.neighbours))
            for issue in self.issues))

    def rows(self) -> list[dict]:
        """One row per candidate for a table, most likely first: file, labels, probabilities (3 decimals) and
        the nearest clips as 'name (label)'."""
        return [{"file": i.name, "given": i.given, "suggested": i.suggested, "p(suggested)": round(i.p_suggested, 3),
                 "p(given)": round(i.p_given, 3), "quality": round(i.quality, 3),
                 "neighbours": ", ".join(f"{nb.name} ({'—' if nb.label is None else nb.label})"
                                         for nb in i.neighbours)} for i in self.issues]

    def to_dict(self) -> dict:
        return {"space": self.space, "method": self.method, "n_clips": self.n_clips,
                "n_issues": len(self.issues), "unavailable": self.unavailable,
                "issues": [i.to_dict() for i in self.issues]}


def method_text(classifier: str) -> str:
    """What found the candidates, for captions and the note."""
    return f"confident learning (cleanlab {CLEANLAB_VERSION}) on out-of-fold probabilities from {classifier}"


def find_label_issues(labels: Sequence, probabilities: np.ndarray, classes: Sequence, *, names: Sequence[str],
                      space: str = "", classifier: str = "the classifier", vectors: np.ndarray | None = None,
                      k: int = NEIGHBOURS_K) -> LabelIssues:
    """Rank the clips whose given label the out-of-fold probabilities contradict, most likely first.

    labels: the given label per clip; probabilities: (n_clips, n_classes) out-of-fold probabilities, columns in
    `classes` order (`evaluate.OutOfFold`); names: file name per clip; vectors: the space's (n_clips, d)
    vectors, to attach each candidate's `k` nearest other clips (none when omitted).
    Data that confident learning cannot judge (missing probabilities, one class, a class with one clip) gives
    `unavailable` with the reason instead of an exception; inputs that do not describe the same clips raise
    AudioDiagError.

    >>> find_label_issues(["a", "a", "b", "b"], [[.9, .1], [.1, .9], [.2, .8], [.1, .9]], ["a", "b"],
    ...                   names=["1.wav", "2.wav", "3.wav", "4.wav"]).issues[0].name
    '2.wav'
    """
    y = np.asarray(labels).astype(str)
    p = np.asarray(probabilities, dtype=np.float64)
    classes = tuple(str(c) for c in classes)
    names = [str(n) for n in names]
    method = method_text(classifier)
    _check_shapes(y, p, classes, names, vectors)
    reason = unavailable_reason(y, p, classes)
    if reason is not None:
        return LabelIssues(space, method, (), len(y), unavailable=reason)
    column = {c: j for j, c in enumerate(classes)}
    codes = np.asarray([column[v] for v in y], dtype=np.int64)
    ranked, quality, reason = _run_cleanlab(codes, p)
    if reason is not None:
        return LabelIssues(space, method, (), len(y), unavailable=reason)
    near = (nearest(vectors, ranked, k=k) if vectors is not None and len(ranked)
            else [(np.empty(0, dtype=np.int64), np.empty(0))] * len(ranked))  # (order, similarities) per clip
    issues = []
    for i, (order, sims) in zip(ranked, near, strict=True):
        given = int(codes[i])
        others = np.where(np.arange(len(classes)) == given, -np.inf, p[i])
        best = int(np.argmax(others))
        found = tuple(Neighbour(int(j), names[j], str(y[j]), float(sim)) for j, sim in zip(order, sims, strict=True))
        issues.append(LabelIssue(int(i), names[i], classes[given], classes[best], float(p[i, best]),
                                 float(p[i, given]), float(quality[i]), found))
    return LabelIssues(space, method, tuple(issues), len(y))


def unavailable_reason(labels: np.ndarray, probabilities: np.ndarray, classes: tuple[str, ...]) -> str | None:
    """Why confident learning cannot judge these labels and probabilities, with the fix; None when it can."""
    unknown = sorted(set(map(str, labels)) - set(classes))
    if unknown:
        return (f"labels {', '.join(map(repr, unknown[:5]))} are not among the probability columns "
                f"({', '.join(map(repr, classes))}); compute the probabilities on these labels")
    if not np.all(np.isfinite(probabilities)):
        bad = int(np.sum(~np.all(np.isfinite(probabilities), axis=1)))
        return (f"{bad} of {len(labels)} clips have no out-of-fold probability (NaN); confident learning needs "
                "a classifier with predict_proba: use one that gives probabilities")
    sums = probabilities.sum(axis=1)
    if np.any(probabilities < 0) or np.any(np.abs(sums - 1) > PROBABILITY_SUM_TOLERANCE):
        worst = int(np.argmax(np.abs(sums - 1)))
        return (f"clip {worst}'s probabilities sum to {sums[worst]:.3f}, not 1; pass the classifier's "
                "predict_proba output unchanged")
    present, counts = np.unique(labels, return_counts=True)
    if len(present) < 2:
        return (f"all {len(labels)} clips have one label ({str(present[0])!r} only); there is no other class to "
                "suspect a label of: add clips of another class")
    if counts.min() < MIN_CLIPS_PER_CLASS:
        small = str(present[int(np.argmin(counts))])
        return (f"class {small!r} has only {counts.min()} clip; confident learning needs at least "
                f"{MIN_CLIPS_PER_CLASS} per class to set its threshold: add clips of that class or remove it")
    return None


def _run_cleanlab(codes: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(candidate indices ranked most likely first, quality per clip, None) or ((), (), reason).

    cleanlab's warnings and prints (about small classes, progress) are swallowed: the checks before this call
    already refuse what they warn about, and a page or the CLI's stdout must stay clean. An error it raises
    becomes the reason."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        from cleanlab.filter import find_label_issues as cleanlab_find  # slow import (seconds): only when used
        from cleanlab.rank import get_label_quality_scores

        try:
            ranked = cleanlab_find(labels=codes, pred_probs=probabilities, return_indices_ranked_by=RANKED_BY,
                                   n_jobs=1)
            quality = get_label_quality_scores(codes, probabilities, method=QUALITY_METHOD)
        except (ValueError, TypeError, AssertionError) as e:
            return np.empty(0, dtype=np.int64), np.empty(0), (
                f"cleanlab could not rank these labels ({e}); the comparison itself is unaffected")
    return np.asarray(ranked, dtype=np.int64), np.asarray(quality, dtype=np.float64), None


def _check_shapes(labels: np.ndarray, probabilities: np.ndarray, classes: tuple[str, ...], names: Sequence[str],
                  vectors: np.ndarray | None) -> None:
    n = len(labels)
    if probabilities.ndim != 2 or probabilities.shape != (n, len(classes)):
        raise BadParameterError(f"probabilities have shape {probabilities.shape} for {n} labels and {len(classes)} "
                                f"classes; expected ({n}, {len(classes)}): one row per clip, one column per class")
    if len(names) != n:
        raise BadParameterError(f"{len(names)} names for {n} labels; give one file name per clip")
    if vectors is not None and len(vectors) != n:
        raise BadParameterError(f"{len(vectors)} vectors for {n} labels; give the space's vectors of these clips")


def neighbours(vectors: np.ndarray, index: int, labels: Sequence, names: Sequence[str], *,
               k: int = NEIGHBOURS_K) -> tuple[Neighbour, ...]:
    """The `k` nearest other clips to clip `index` with their labels, by cosine similarity of standardised
    vectors (the similarity the Embeddings page and the retrieval metrics use).

    >>> [nb.name for nb in neighbours(np.array([[1, 0], [.9, .1], [0, 1]]), 0, ["a", "a", "b"],
    ...                               ["x.wav", "y.wav", "z.wav"], k=1)]
    ['y.wav']
    """
    n = len(vectors)
    if not 0 <= index < n:
        raise BadParameterError(f"clip index {index} is outside 0..{n - 1}; pick one of the {n} clips")
    (order, sims), = nearest(vectors, [index], k=k)
    return tuple(Neighbour(int(j), str(names[j]), None if labels[j] is None else str(labels[j]), float(sim))
                 for j, sim in zip(order, sims, strict=True))


def nearest(vectors: np.ndarray, indices: Sequence[int], *, k: int = NEIGHBOURS_K) -> list[tuple[np.ndarray,
                                                                                              np.ndarray]]:
    """For each clip in `indices`: (the `k` nearest other clips' indices, their cosine similarities), nearest
    first, on standardised vectors; one matrix product per chunk of clips, so thousands of candidates in a
    large dataset cost seconds, not a pass over the data each."""
    x = retrieval.prepare(vectors)
    k = max(0, min(k, len(x) - 1))
    out = []
    for start in range(0, len(indices), NEAREST_CHUNK):
        rows = np.asarray(indices[start:start + NEAREST_CHUNK], dtype=np.int64)
        sims = (x[rows] @ x.T).astype(np.float64)
        sims[np.arange(len(rows)), rows] = -np.inf  # never a clip's own neighbour
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if 0 < k < sims.shape[1] else \
            np.tile(np.arange(sims.shape[1]), (len(rows), 1))[:, :k]
        for row, candidates in zip(sims, top, strict=True):
            order = candidates[np.argsort(-row[candidates], kind="stable")]
            out.append((order, row[order]))
    return out
