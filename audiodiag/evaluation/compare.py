"""Rung 1 vs rung 2 on identical folds: one classifier per space, scored on the same out-of-fold clips.

>>> from audiodiag.represent.spaces import BASELINE
>>> clips = [Clip(f"{i}.wav", np.zeros(1600, np.float32), 16000, 16000, 1, label="ab"[i % 2]) for i in range(30)]
>>> noise = np.random.default_rng(0).normal(size=(30, 4))    # stand-ins for spaces.space_vectors(clips, BASELINE)
>>> good = noise + 3 * (np.arange(30) % 2)[:, None]          # and space_vectors(clips, "speech_embedding")
>>> spaces_ = [SpaceVectors(name, x, float("nan"), 0.0, False, {}) for name, x in ((BASELINE, noise), ("enc", good))]
>>> result = compare(clips, spaces_, n_splits=5)
>>> result.paired[0].verdict                  # does the encoder beat the baseline? "yes" / "no" / "inconclusive"
'yes'
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from audiodiag.data.order import canonical_order, inverse, is_identity
from audiodiag.errors import AudioDiagError, BadDataError, BadParameterError
from audiodiag.evaluation import evaluate, label_issues
from audiodiag.evaluation.fitting import rung_classifier
from audiodiag.evaluation.folds import Folds, make_folds
from audiodiag.evaluation.folds import choose as choose_folds
from audiodiag.measure import speakers as voices
from audiodiag.represent.spaces import PaddingPolicy, SpaceVectors, is_baseline, padded_fractions, padding_label
from audiodiag.types import Clip

PADDING_BINS = (0.0, 0.25, 0.5, 0.75, 1.0)  # padded-fraction bins of the accuracy-vs-padding plot
TOP_CONFUSED = 5
CLASSIFIER = "StandardScaler + LogisticRegression(C=1, max_iter=2000)"


@dataclass(frozen=True)
class PaddingBin:
    low: float
    high: float
    n_clips: int
    accuracy: float  # NaN when the bin is empty
    mean_fraction: float = float("nan")  # mean padded fraction of the clips in the bin (where to plot it)


@dataclass(frozen=True, eq=False)
class Rung:
    """One space's out-of-fold result."""

    space: str
    predictions: np.ndarray
    metrics: evaluate.Metrics
    confusion: evaluate.Confusion
    per_class_f1: dict
    confused_pairs: tuple[evaluate.ConfusedPair, ...]
    seconds_per_clip: float
    embedding_size: int
    model_mb: float
    padded_fraction: np.ndarray  # per clip: share of what this space saw that was padding
    accuracy_by_padding: tuple[PaddingBin, ...]
    split_check: evaluate.SplitComparison | None  # random vs group-aware folds (None without groups)
    settings: dict
    probabilities: np.ndarray | None = None  # out-of-fold, (n_clips, n_classes) in Comparison.classes order
    label_issues: label_issues.LabelIssues | None = None  # clips whose label these probabilities doubt
    estimated_split_check: evaluate.SplitComparison | None = None  # random vs inferred-voice folds (no groups)


@dataclass(frozen=True, eq=False)
class Comparison:
    labels: np.ndarray  # true label per clip
    classes: tuple  # fixed class order of every confusion matrix
    class_counts: dict
    folds: Folds
    padding: PaddingPolicy
    rungs: tuple[Rung, ...]  # the baseline first when it was included
    paired: tuple[evaluate.PairedComparison, ...]  # each other rung vs the first (the baseline)
    settings: dict
    speakers: voices.SpeakerEstimate | None = None  # voices inferred for the estimated leakage check, or why not

    def rung(self, space: str) -> Rung:
        for r in self.rungs:
            if r.space == space:
                return r
        raise BadParameterError(f"{space!r} is not in this comparison; it has {', '.join(r.space for r in self.rungs)}")


def class_counts(clips: Sequence[Clip]) -> dict:
    labels = [c.label for c in clips if c.label is not None]
    values, counts = np.unique(np.asarray(labels, dtype=str), return_counts=True) if labels else ([], [])
    return {str(v): int(n) for v, n in zip(values, counts, strict=True)}


def check_labels(clips: Sequence[Clip]) -> None:
    """Refuse, with the reason, datasets that cannot be compared at all."""
    unlabelled = [c.name for c in clips if c.label is None]
    if unlabelled:
        shown = ", ".join(unlabelled[:5]) + (f" and {len(unlabelled) - 5} more" if len(unlabelled) > 5 else "")
        raise BadDataError(f"{len(unlabelled)} of {len(clips)} clips have no label ({shown}); a comparison needs a "
                           "label per clip: upload a zip with one sub-folder per class, or add labels.csv "
                           "(path,label[,group])")
    counts = class_counts(clips)
    if len(counts) < 2:
        only = next(iter(counts), "none")
        raise BadDataError(f"all {len(clips)} clips have one class ({only!r}); a classifier needs at least two "
                           "classes: add clips of another class")


def compare(clips: Sequence[Clip], spaces: Sequence[SpaceVectors], *, n_splits: int = 5, group_aware: bool = True,
            padding: PaddingPolicy = PaddingPolicy(), seed: int = 0, n_boot: int = 1000,
            progress: Callable[[float, str], None] | None = None,
            speakers: voices.SpeakerEstimate | None = None) -> Comparison:
    """Score every space with the same classifier on the same folds and compare each with the first.

    Folds are group-aware (StratifiedGroupKFold) when `group_aware` and every clip has a group; then each
    rung also gets the random-split score, so the user sees how much leakage would inflate it.
    progress(fraction done, what is running) before each space's cross-validation and split check.
    Only the clips' names, labels, groups and durations are read: `types.ClipInfo`s (no samples) do as well.
    speakers: voices inferred from the audio (`speakers.estimate_speakers`); with status "estimated" and no groups
    or fold column given, each rung also gets the random-split score against folds that keep each inferred voice
    apart (`Rung.estimated_split_check`): the estimated leakage, never presented as measured.
    Each rung keeps its out-of-fold probabilities and, from them, the clips whose given label they doubt
    (`label_issues`: confident learning, with each candidate's nearest clips in that space).
    The clips are put in `order.canonical_order` (by content) before folds are drawn, models fitted and clips
    resampled, and every per-clip result is put back in the order given: the same clips in another order (a
    folder walk, a table's rows, a zip) give the same scores, intervals and verdicts.
    """
    say = progress or (lambda fraction, message: None)
    check_labels(clips)
    if not spaces:
        raise BadParameterError("no spaces to compare; include the spectral baseline and at least one encoder")
    for s in spaces:
        if len(s.vectors) != len(clips):
            raise BadParameterError(f"{s.space}: {len(s.vectors)} vectors for {len(clips)} clips; compute the vectors "
                                    "for exactly these clips")
    canonical = canonical_order(clips)  # clip k in canonical order is clips[canonical[k]]
    if not is_identity(canonical):
        clips = [clips[i] for i in canonical]
        spaces = [replace(s, vectors=np.asarray(s.vectors)[canonical]) for s in spaces]
    y = np.asarray([c.label for c in clips], dtype=str)
    groups = [c.group for c in clips]
    chosen = choose_folds(clips, n_splits=n_splits, group_aware=group_aware, seed=seed)
    folds, use_groups = chosen.folds, chosen.use_groups
    units = groups if chosen.groups_given else None  # clips of one speaker/source are not independent: intervals
    classes = tuple(sorted(set(y)))
    speakers, voice_folds = _voice_folds(speakers, canonical, y, chosen, n_splits=n_splits, seed=seed)

    model = partial(rung_classifier, seed)  # picklable: fits may go to other processes (fitting.spread_over)
    # the leakage check's random folds: as many as the group-aware ones, so only the grouping differs
    random_folds = make_folds(y, None, n_splits=folds.n_splits, seed=seed) if use_groups else None
    rungs = []
    for i, s in enumerate(spaces):
        checks = [what for what, kept in (("random folds (the leakage check)", use_groups),
                                          ("inferred-voice folds", voice_folds is not None)) if kept]
        say(i / len(spaces), f"Cross-validating {s.space} ({i + 1}/{len(spaces)}): {folds.n_splits} folds"
            + "".join(f", and {what}" for what in checks))
        # the rung's folds and its checks' folds, fitted as one batch (evaluate.cross_val_predict_each)
        out, *rest = evaluate.cross_val_predict_each(s.vectors, y, [folds, *([random_folds] if use_groups else []),
                                                                    *([voice_folds.folds] if voice_folds else [])],
                                                     model)
        random_out = rest.pop(0) if use_groups else None
        voice_out = rest.pop(0) if voice_folds is not None else None
        fractions = padded_fractions(clips, s.space, padding)
        split = (evaluate.random_vs_group_split(s.vectors, y, groups, model, n_splits=folds.n_splits, seed=seed,
                                                group_folds=folds, group_predictions=out.predictions,
                                                random_folds=random_folds, random_predictions=random_out.predictions)
                 if use_groups else None)
        rungs.append(Rung(
            space=s.space, predictions=out.predictions,
            metrics=evaluate.metrics_with_ci(y, out.predictions, groups=units, n_boot=n_boot, seed=seed),
            confusion=evaluate.confusion(y, out.predictions, labels=classes),
            per_class_f1=evaluate.per_class_f1(y, out.predictions, labels=classes),
            confused_pairs=tuple(evaluate.most_confused_pairs(y, out.predictions, labels=classes, top=TOP_CONFUSED)),
            seconds_per_clip=s.seconds_per_clip, embedding_size=s.embedding_size, model_mb=s.model_mb,
            padded_fraction=fractions, accuracy_by_padding=accuracy_by_padding(out.predictions == y, fractions),
            split_check=split, settings=s.settings, probabilities=out.probabilities,
            label_issues=label_issues.find_label_issues(y, out.probabilities, out.classes,
                                                        names=[c.name for c in clips], space=s.space,
                                                        classifier=CLASSIFIER, vectors=s.vectors),
            estimated_split_check=None if voice_folds is None else evaluate.random_vs_group_split(
                s.vectors, y, voice_folds.groups, model, seed=seed, group_folds=voice_folds.folds,
                group_predictions=voice_out.predictions,
                random_folds=folds, random_predictions=out.predictions)))  # the scores the note shows
    adjusted = evaluate.holm_leakage([r.split_check for r in rungs])
    rungs = [replace(r, split_check=c) for r, c in zip(rungs, adjusted, strict=True)]
    rungs = [replace(r, estimated_split_check=c)
             for r, c in zip(rungs, evaluate.holm_leakage([r.estimated_split_check for r in rungs]), strict=True)]
    first = rungs[0]
    paired = evaluate.holm_family([evaluate.paired_comparison(y, first.predictions, r.predictions, name_a=first.space,
                                                              name_b=r.space, groups=units) for r in rungs[1:]])
    settings = {"n_splits_asked": n_splits, "n_splits": folds.n_splits, "strategy": folds.strategy,
                "folds_note": folds.note, "seed": seed, "n_boot": n_boot, "classifier": CLASSIFIER,
                "padding": padding_label(padding, [r.space for r in rungs]),  # what each rung saw
                "group_aware": use_groups, "groups_given": chosen.groups_given,
                "group_aware_requested": group_aware, "predefined_folds": chosen.predefined,
                "n_groups": len(set(groups)) if all(g is not None for g in groups) else None,
                "baseline_first": is_baseline(first.space),
                "speakers": None if speakers is None else speakers.to_dict()}
    return in_given_order(Comparison(labels=y, classes=classes, class_counts=class_counts(clips), folds=folds,
                                     padding=padding, rungs=tuple(rungs), paired=paired, settings=settings,
                                     speakers=speakers), canonical)


@dataclass(frozen=True)
class VoiceFolds:
    groups: list[str]  # inferred voice per clip, in canonical order
    folds: Folds  # group-aware folds on them


def _voice_folds(speakers: voices.SpeakerEstimate | None, canonical: np.ndarray, y: np.ndarray, chosen, *,
                 n_splits: int, seed: int) -> tuple[voices.SpeakerEstimate | None, VoiceFolds | None]:
    """Folds that keep each inferred voice apart, when the estimate may be used (no groups, no fold column); an
    estimate whose folds cannot be drawn (a class heard in one voice only) comes back refused, with the reason."""
    if speakers is None or speakers.groups is None or chosen.groups_given or chosen.predefined:
        return speakers, None
    groups = [speakers.groups[i] for i in canonical]
    try:
        return speakers, VoiceFolds(groups, make_folds(y, groups, n_splits=n_splits, seed=seed))
    except AudioDiagError as e:
        return speakers.refused(voices.NO_FOLDS, str(e)), None


def in_given_order(comparison: Comparison, canonical: np.ndarray) -> Comparison:
    """A comparison computed on clips in canonical order (`canonical = order.canonical_order(clips)`) with every
    per-clip result (labels, folds, predictions, probabilities, padded fractions, label-issue indices) back in
    the order the clips were given; scores, intervals and verdicts do not depend on the order."""
    if is_identity(canonical):
        return comparison
    back = inverse(canonical)
    rungs = tuple(replace(r, predictions=r.predictions[back], padded_fraction=r.padded_fraction[back],
                          probabilities=None if r.probabilities is None else r.probabilities[back],
                          label_issues=None if r.label_issues is None else r.label_issues.reindexed(canonical))
                  for r in comparison.rungs)
    return replace(comparison, labels=comparison.labels[back], folds=comparison.folds.take(back), rungs=rungs)


def accuracy_by_padding(correct: np.ndarray, fractions: np.ndarray,
                        bins: Sequence[float] = PADDING_BINS) -> tuple[PaddingBin, ...]:
    """Out-of-fold accuracy of the clips in each padded-fraction bin (the last bin includes 1.0)."""
    edges = np.asarray(bins, dtype=np.float64)
    which = np.clip(np.searchsorted(edges, fractions, side="right") - 1, 0, len(edges) - 2)
    out = []
    for b in range(len(edges) - 1):
        members = correct[which == b]
        out.append(PaddingBin(float(edges[b]), float(edges[b + 1]), int(len(members)),
                              float(members.mean()) if len(members) else float("nan"),
                              float(fractions[which == b].mean()) if len(members) else float("nan")))
    return tuple(out)


def per_class_f1_differences(comparison: Comparison, space: str) -> dict:
    """F1(space) − F1(first rung) per class, in class order."""
    base, other = comparison.rungs[0].per_class_f1, comparison.rung(space).per_class_f1
    return {c: other[c] - base[c] for c in comparison.classes}
