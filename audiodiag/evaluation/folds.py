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

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag.errors import BadDataError
from audiodiag.evaluation import evaluate

PREDEFINED = "predefined"  # Folds.strategy of the dataset's own folds


@dataclass(frozen=True)
class Chosen:
    folds: evaluate.Folds
    use_groups: bool  # each group is kept in one fold (the leakage check compares these folds with random ones)
    groups_given: bool  # every clip has a group
    predefined: bool  # the dataset's own folds


def predefined_folds(labels: Sequence, given: Sequence[str], *, n_splits_asked: int | None = None) -> evaluate.Folds:
    """The dataset's own folds, used as given: fold k holds the clips whose `given` value is the k-th in sorted
    order (numbers sort as numbers: "2" before "10").

    Raises AudioDiagError when they are fewer than two. The note says which folds lack a class in training."""
    values = sorted(set(given), key=lambda v: (not str(v).strip().lstrip("-").isdigit(),
                                               int(v) if str(v).strip().lstrip("-").isdigit() else 0, str(v)))
    if len(values) < evaluate.MIN_FOLDS:
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
    return evaluate.Folds(fold_of_sample=fold_of_sample, n_splits=len(values), strategy=PREDEFINED, note=note)


def choose(clips: Sequence, *, n_splits: int = 5, group_aware: bool = True, seed: int = 0) -> Chosen:
    """The folds for these clips (Clips or ClipInfos, in the order given) by the module's rule."""
    labels = [c.label for c in clips]
    groups = [c.group for c in clips]
    given = [getattr(c, "fold", None) for c in clips]
    groups_given = all(g is not None for g in groups)
    if clips and all(f is not None for f in given):
        return Chosen(predefined_folds(labels, given, n_splits_asked=n_splits), False, groups_given, True)
    use_groups = group_aware and groups_given
    folds = evaluate.make_folds(labels, groups if use_groups else None, n_splits=n_splits, seed=seed,
                                groups_ignored=not group_aware and groups_given)
    empty = sum(f is None for f in given)
    if empty < len(given):  # some clips have a fold, some not: say why the column is not used
        folds = replace(folds, note=f"{folds.note} The 'fold' column is empty for {empty} of {len(given)} clips, so "
                                    "it is not used: give every clip a fold to use the dataset's own folds.")
    return Chosen(folds, use_groups, groups_given, False)
