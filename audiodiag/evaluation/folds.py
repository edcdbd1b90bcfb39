"""Which folds a comparison uses, by one rule for every caller (compare, the duplicates warnings, the pages):

1. the dataset's own folds, when every clip has one (a `fold` column, as ESC-50 and UrbanSound8K ship): used as
   given, whatever fold count was asked for; they say nothing about speakers or sources;
2. else group-aware folds (StratifiedGroupKFold) when asked for and every clip has a group;
3. else stratified random folds.

>>> from audiodiag.types import ClipInfo
>>> clips = [ClipInfo(f"{i}.wav", 800, 16000, 16000, 1, label="ab"[i % 2], fold=str(1 + i // 2 % 3))
...          for i in range(12)]
>>> chosen = choose(clips, n_splits=5)
>>> chosen.folds.strategy, chosen.folds.n_splits, chosen.use_groups
('predefined', 3, False)
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag.data.order import canonical_order, inverse
from audiodiag.errors import BadDataError, BadParameterError

MIN_FOLDS = 2


@dataclass(frozen=True, eq=False)
class Folds:
    """Which test fold each clip belongs to; the same object is reused for every rung."""

    fold_of_sample: np.ndarray  # int, shape (n_clips,), values 0..n_splits-1
    n_splits: int
    strategy: str  # "StratifiedGroupKFold" or "StratifiedKFold"
    note: str  # plain-language description, including any reduction of the fold count

    @property
    def n_samples(self) -> int:
        return len(self.fold_of_sample)

    def splits(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(train indices, test indices) for each fold, in fold order."""
        for fold in range(self.n_splits):
            test = self.fold_of_sample == fold
            yield np.flatnonzero(~test), np.flatnonzero(test)

    def take(self, positions: np.ndarray) -> Folds:
        """The same folds for the clips reordered by `positions` (clip k of the result is clip positions[k] here),
        e.g. into `order.canonical_order` and back with `order.inverse`."""
        fold_of_sample = self.fold_of_sample[np.asarray(positions, dtype=np.int64)]
        fold_of_sample.flags.writeable = False
        return Folds(fold_of_sample=fold_of_sample, n_splits=self.n_splits, strategy=self.strategy, note=self.note)


def make_folds(labels: Sequence, groups: Sequence | None = None, *, n_splits: int = 5, seed: int = 0,
               groups_ignored: bool = False) -> Folds:
    """Stratified folds; group-aware (StratifiedGroupKFold) when `groups` is given, so no speaker/session
    is in both the training and the test part of a fold.

    The fold count drops below `n_splits` (never below 2) when the smallest class has fewer clips, or
    (with groups) fewer distinct groups, than `n_splits`; `note` says so. Raises AudioDiagError for a
    single class, a class with one clip, or (with groups) a class whose clips all share one group.
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = _labels_array(labels, what="labels")
    if n_splits < MIN_FOLDS:
        raise BadParameterError(f"n_splits={n_splits}; cross-validation needs at least {MIN_FOLDS} folds")
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise BadDataError(f"all {len(y)} clips have one class ({_quoted(classes[0])} only); a classifier needs at "
                           "least two classes: add clips of another class")
    smallest = int(np.argmin(counts))
    if counts[smallest] < 2:
        raise BadDataError(f"class {_quoted(classes[smallest])} has only 1 clip; every class needs at least 2 (one "
                           "to train on, one to test): add clips of that class or remove it")
    k, reasons = n_splits, []
    if counts[smallest] < n_splits:
        k = int(counts[smallest])
        reasons.append(f"class {_quoted(classes[smallest])} has only {counts[smallest]} clips")

    if groups is None:
        g, strategy = None, "StratifiedKFold"
        described = ("stratified folds (class proportions kept; groups "
                     f"{'ignored on request' if groups_ignored else 'not given'}, so none are kept apart)")
    else:
        g = _labels_array(groups, what="groups")
        if len(g) != len(y):
            raise BadParameterError(f"{len(g)} groups for {len(y)} labels; give one group per clip")
        groups_per_class = np.array([len(np.unique(g[y == c])) for c in classes])
        fewest = int(np.argmin(groups_per_class))
        if groups_per_class[fewest] < 2:
            only_group = _quoted(g[y == classes[fewest]][0])
            raise BadDataError(
                f"all clips of class {_quoted(classes[fewest])} come from one group ({only_group}); "
                "group-aware folds cannot train and test on that class: add clips of it from another "
                "speaker/session, or drop the groups (and accept that scores may be inflated by leakage)")
        if groups_per_class[fewest] < k:
            k = int(groups_per_class[fewest])
            reasons.append(f"class {_quoted(classes[fewest])} comes from only {groups_per_class[fewest]} groups")
        strategy = "StratifiedGroupKFold"
        described = (f"stratified group folds: each of the {len(np.unique(g))} groups is kept in a single fold, "
                     "so no group is in both training and test")
    splitter = (StratifiedKFold if g is None else StratifiedGroupKFold)(n_splits=k, shuffle=True, random_state=seed)
    fold_of_sample = np.full(len(y), -1, dtype=np.int64)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y, g)):
        fold_of_sample[test] = fold
    used = np.unique(fold_of_sample)
    if len(used) < k:  # the group splitter can leave a fold empty when groups are few and uneven
        reasons.append(f"the groups fill only {len(used)} folds")
        k, fold_of_sample = len(used), np.searchsorted(used, fold_of_sample)
        if k < MIN_FOLDS:
            raise BadDataError(f"the {len(np.unique(g))} groups fit in a single fold; group-aware "
                               "cross-validation needs clips from more groups per class: add some")
    fold_of_sample.flags.writeable = False
    note = f"{k}-fold {described}; seed {seed}."
    if k < n_splits:
        note += f" Asked for {n_splits} folds, using {k}: {' and '.join(reasons)}; add clips for more folds."
    missing = []
    for f in range(k):
        absent = sorted(set(classes) - set(y[fold_of_sample != f]))
        if absent:
            missing.append(f"fold {f + 1} trains without {', '.join(map(_quoted, absent))}")
    if missing:
        note += f" Warning: {'; '.join(missing)}: those test clips cannot be classified correctly."
    return Folds(fold_of_sample=fold_of_sample, n_splits=k, strategy=strategy, note=note)


def _quoted(value: object) -> str:
    """repr of a label without numpy's wrapper: 'cat', not np.str_('cat')."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _labels_array(values: Sequence, *, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or len(array) == 0:
        raise BadParameterError(f"{what} must be a non-empty 1-D sequence (one per clip); got shape {array.shape}")
    if array.dtype == object:
        missing = sum(v is None for v in array)
        if missing:
            raise BadDataError(f"{missing} of {len(array)} clips have no {what[:-1]}; give every clip "
                               f"one" + (" or pass groups=None" if what == "groups" else ""))
        array = array.astype(str)
    return array



PREDEFINED = "predefined"  # Folds.strategy of the dataset's own folds


@dataclass(frozen=True)
class Chosen:
    folds: Folds
    use_groups: bool  # each group is kept in one fold (the leakage check compares these folds with random ones)
    groups_given: bool  # every clip has a group
    predefined: bool  # the dataset's own folds


def predefined_folds(labels: Sequence, given: Sequence[str], *, n_splits_asked: int | None = None) -> Folds:
    """The dataset's own folds, used as given: fold k holds the clips whose `given` value is the k-th in sorted
    order (numbers sort as numbers: "2" before "10").

    Raises AudioDiagError when they are fewer than two. The note says which folds lack a class in training."""
    values = sorted(set(given), key=lambda v: (not str(v).strip().lstrip("-").isdigit(),
                                               int(v) if str(v).strip().lstrip("-").isdigit() else 0, str(v)))
    if len(values) < MIN_FOLDS:
        raise BadDataError(f"the fold column gives every clip the same fold ({values[0]!r}); cross-validation needs "
                           "at least 2 folds: fix the column or remove it to let audiodiag draw folds")
    index = {v: k for k, v in enumerate(values)}
    fold_of_sample = np.asarray([index[v] for v in given], dtype=np.int64)
    fold_of_sample.flags.writeable = False
    y = np.asarray(labels, dtype=str)
    note = (f"{len(values)} predefined folds (the dataset's 'fold' column: {', '.join(map(str, values))}), used as "
            "given")
    note += "; the fold count setting does not apply." if n_splits_asked not in (None, len(values)) else "."
    missing = [f"fold {v} trains without {', '.join(map(repr, absent))}" for k, v in enumerate(values)
               if (absent := sorted(set(y) - set(y[fold_of_sample != k])))]
    if missing:
        note += f" Warning: {'; '.join(missing)}: those test clips cannot be classified correctly."
    return Folds(fold_of_sample=fold_of_sample, n_splits=len(values), strategy=PREDEFINED, note=note)


def choose(clips: Sequence, *, n_splits: int = 5, group_aware: bool = True, seed: int = 0) -> Chosen:
    """The folds for these clips (Clips or ClipInfos, in the order given) by the module's rule."""
    labels = [c.label for c in clips]
    groups = [c.group for c in clips]
    given = [getattr(c, "fold", None) for c in clips]
    groups_given = all(g is not None for g in groups)
    if clips and all(f is not None for f in given):
        return Chosen(predefined_folds(labels, given, n_splits_asked=n_splits), False, groups_given, True)
    use_groups = group_aware and groups_given
    folds = make_folds(labels, groups if use_groups else None, n_splits=n_splits, seed=seed,
                                groups_ignored=not group_aware and groups_given)
    empty = sum(f is None for f in given)
    if empty < len(given):  # some clips have a fold, some not: say why the column is not used
        folds = replace(folds, note=f"{folds.note} The 'fold' column is empty for {empty} of {len(given)} clips, so "
                                    "it is not used: give every clip a fold to use the dataset's own folds.")
    return Chosen(folds, use_groups, groups_given, False)


def comparison_folds(clips: Sequence, *, n_splits: int = 5, group_aware: bool = True, seed: int = 0) -> Folds:
    """The folds `compare.compare` uses for these clips and settings (group-aware when asked and every clip
    has a group), drawn as it draws them on the clips in `order.canonical_order`, and returned in the order given.
    Raises AudioDiagError when the clips cannot be split (see `make_folds`)."""
    canonical = canonical_order(clips)
    return choose([clips[i] for i in canonical], n_splits=n_splits, group_aware=group_aware,
                  seed=seed).folds.take(inverse(canonical))
