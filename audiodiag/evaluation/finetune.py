"""Rung 3: partial fine-tuning of a Hugging Face encoder on the same folds as the frozen rung, and the rule
that refuses it when the labelled data is too small for the result to mean anything.

Per fold: a fresh copy of the pretrained encoder, everything frozen except the top N transformer layers
(plus any module that runs after them, such as a final layer norm) and a linear head on the mean over frames
of real audio; AdamW, fixed seeds, early stopping on a stratified validation split taken from the training
fold only; then the fold's test clips are predicted. The preprocessing is the frozen encoder's own
(`HFEncoder.model_inputs` / `frame_mask`), so rung 2 and rung 3 see identical inputs.

>>> labels, groups = ["dog"] * 25 + ["cat"] * 25, ["ann", "bob", "cy", "dee", "eve"] * 10
>>> finetune_readiness(labels, groups).ok
True

Fine-tuning itself needs a Hugging Face model folder and minutes of training, so it is not run as a doctest::

    result = finetune_cross_validated("models/wav2vec2-base", clips, labels, comparison.folds, FinetuneSettings())
    gain_over_frozen(result, comparison.rung("models/wav2vec2-base"), labels).verdict   # "yes" / "no" / ...
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from audiodiag.errors import BadDataError, BadParameterError
from audiodiag.evaluation import evaluate
from audiodiag.evaluation.finetune_model import (
    FinetuneSettings,
    build_partial_model,
    init_head_from_probe,
    predict_logits,
    train_partial_model,
)
from audiodiag.evaluation.folds import MIN_FOLDS, Folds
from audiodiag.represent import encoders
from audiodiag.represent.encoders.base import resampled
from audiodiag.types import Clip, Readiness

MIN_TRAIN_CLIPS_PER_CLASS = 16  # per class in every training fold, before the validation split is taken out
MIN_CLIPS_PER_CLASS = 20  # floor of the rule: with 5 folds each training fold then keeps ≥ 16 per class
MIN_GROUPS_PER_CLASS = 3  # with groups (speaker/session): fewer, and the trained layers learn the groups
DEFAULT_N_SPLITS = 5

RULE = (f"Fine-tuning is refused when the smallest class has fewer than {MIN_CLIPS_PER_CLASS} labelled clips. "
        f"With fewer than {DEFAULT_N_SPLITS} folds it needs more: every training fold must keep ≥ "
        f"{MIN_TRAIN_CLIPS_PER_CLASS} clips per class, part of which is held out for early stopping. When clips "
        "have groups (speaker/session/device), it is also refused when a class comes from fewer than "
        f"{MIN_GROUPS_PER_CLASS} groups, as trainable layers would learn the groups, not the classes. The frozen "
        "encoder's learning curve sets the advice (its rule is the curve claim's). Still rising means more labels "
        "are the cheaper gain; flat means the frozen representation is the limit and fine-tuning is the lever left. "
        "A fine-tuned score counts only when the paired test on the same folds says "
        "it beats the frozen encoder.")

ProgressFn = Callable[[float, str], None]  # (fraction done 0..1, what is happening)


# ---------------------------------------------------------------- readiness

def _readiness(ok: bool, reason: str, counts: dict[str, int]) -> Readiness:
    return Readiness(ok, reason, counts, RULE)


def min_clips_per_class(n_splits: int = DEFAULT_N_SPLITS) -> int:
    """Labelled clips the smallest class needs so that every training fold keeps MIN_TRAIN_CLIPS_PER_CLASS."""
    k = max(int(n_splits), MIN_FOLDS)
    return max(MIN_CLIPS_PER_CLASS, math.ceil(MIN_TRAIN_CLIPS_PER_CLASS * k / (k - 1)))


def finetune_readiness(labels: Sequence, groups: Sequence | None = None, *,
                       n_splits: int = DEFAULT_N_SPLITS) -> Readiness:
    """Whether this labelled data supports fine-tuning, by the documented `RULE`; never raises on bad data. The
    reason is about the data only: what the learning curve says is the curve's own claim
    (`verdict.learning_curve.curve`).

    >>> finetune_readiness(["dog"] * 3 + ["cat"] * 30).reason
    "class 'dog' has only 3 labelled clips. Fine-tuning needs at least 20 per class ..."
    """
    present = [str(v) for v in labels if v is not None]
    counts = dict(sorted(Counter(present).items()))
    needed = min_clips_per_class(n_splits)
    if len(present) < len(labels):
        return _readiness(False, f"{len(labels) - len(present)} of {len(labels)} clips have no label; label every "
                         "clip before fine-tuning", counts)
    if len(counts) < 2:
        return _readiness(False, f"{len(counts)} class(es) ({', '.join(map(repr, counts)) or 'none'}); fine-tuning a "
                         "classifier needs at least two classes: add clips of another class", counts)
    smallest = min(counts, key=lambda c: (counts[c], c))
    if counts[smallest] < needed:
        short = [c for c in counts if counts[c] < needed]
        others = f" (and {len(short) - 1} more class(es) below {needed})" if len(short) > 1 else ""
        return _readiness(False, (
            f"class {smallest!r} has only {counts[smallest]} labelled clips{others}. Fine-tuning needs at least "
            f"{needed} per class with {n_splits} folds, so that each training fold keeps ≥ "
            f"{MIN_TRAIN_CLIPS_PER_CLASS} per class (part of them for early stopping). With fewer, it memorises the "
            f"training clips and its score means nothing. Label at least {needed - counts[smallest]} more clips of "
            f"{smallest!r} before fine-tuning."),
            counts)
    group_text = ""
    if groups is not None and len(groups) == len(labels) and all(g is not None for g in groups):
        per_class = {c: len({str(g) for g, y in zip(groups, present, strict=True) if y == c}) for c in counts}
        fewest = min(per_class, key=lambda c: (per_class[c], c))
        if per_class[fewest] < MIN_GROUPS_PER_CLASS:
            return _readiness(False, (
                f"class {fewest!r} comes from only {per_class[fewest]} group(s) (speaker/session/device). Fine-tuning "
                f"needs clips from at least {MIN_GROUPS_PER_CLASS} groups per class, or the trainable layers learn "
                f"the groups instead of the class. Add recordings of {fewest!r} from more groups."), counts)
        group_text = f" and every class comes from ≥ {per_class[fewest]} groups"
    reason = (f"The smallest class {smallest!r} has {counts[smallest]} labelled clips (≥ {needed}){group_text}: "
              f"enough for partial fine-tuning on {n_splits} folds. ")
    return _readiness(True, reason.rstrip(), counts)


# ---------------------------------------------------------------- result

@dataclass(frozen=True, eq=False)
class FinetuneResult:
    model: str
    predictions: np.ndarray  # out-of-fold label per clip, like compare.Rung.predictions
    probabilities: np.ndarray  # (n_clips, n_classes) softmax, in `classes` order
    classes: tuple
    train_losses: tuple[tuple[float, ...], ...]  # per fold: mean training cross-entropy of each epoch run
    val_losses: tuple[tuple[float, ...], ...]  # per fold: validation cross-entropy before training, then per epoch
    best_epochs: tuple[int, ...]  # per fold: the epoch whose weights predicted the test clips (0: the start)
    epochs_run: tuple[int, ...]
    seconds: float
    seconds_per_fold: tuple[float, ...]
    device: str
    settings: FinetuneSettings
    trainable_parameters: int  # top layers + modules after them + head
    total_parameters: int  # encoder + head
    trainable_modules: tuple[str, ...]
    notes: tuple[str, ...]  # e.g. a fold whose validation split could not be kept group-aware

    def to_dict(self) -> dict:
        return {"model": self.model, "settings": asdict(self.settings), "device": self.device,
                "seconds": self.seconds, "trainable_parameters": self.trainable_parameters,
                "total_parameters": self.total_parameters, "trainable_modules": list(self.trainable_modules),
                "best_epochs": list(self.best_epochs), "epochs_run": list(self.epochs_run),
                "seconds_per_fold": list(self.seconds_per_fold), "train_losses": [list(v) for v in self.train_losses],
                "val_losses": [list(v) for v in self.val_losses], "notes": list(self.notes)}


# ---------------------------------------------------------------- cross-validation

def load_finetunable(model_path_or_id: str | encoders.HFEncoder) -> encoders.HFEncoder:
    """The Hugging Face encoder to fine-tune; bundled encoders and the baseline raise with what to pass instead."""
    if isinstance(model_path_or_id, encoders.HFEncoder):
        return model_path_or_id
    name = str(model_path_or_id).strip()
    fix = ("pass a Hugging Face model id (e.g. 'facebook/wav2vec2-base') or a local folder written by "
           "save_pretrained / `huggingface-cli download`")
    if encoders.is_bundled(name):
        raise BadParameterError(f"{name!r} is a bundled encoder (its own runtime and weights, last layer only): it "
                                f"cannot be fine-tuned here; {fix}")
    spec = encoders.CATALOGUE.get(name)
    if spec is not None and not spec.encoder_id:
        raise BadParameterError(f"{name!r} has no pretrained weights to fine-tune here ({spec.source}); {fix}")
    encoder = encoders.load_encoder(name)
    if not isinstance(encoder, encoders.HFEncoder):
        raise BadParameterError(f"{name!r} is not a Hugging Face encoder and cannot be fine-tuned here; {fix}")
    return encoder


def _inner_split(train: np.ndarray, y: np.ndarray, groups: np.ndarray | None, fraction: float,
                 seed: int, fold: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Stratified validation split of one training fold (group-aware when the folds are); (fit, val, note)."""
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    classes, counts = np.unique(y[train], return_counts=True)
    if counts.min() < 2:
        raise BadDataError(f"fold {fold + 1}: class {str(classes[np.argmin(counts)])!r} has {counts.min()} training "
                           "clip(s); early stopping needs at least 2 per class (one to fit, one to validate): "
                           "add clips of that class or use fewer folds")
    note = ""
    if groups is not None:
        g = groups[train]
        n_inner = max(2, min(round(1 / fraction), len(np.unique(g))))  # few groups: one group validates
        try:
            fit, val = next(StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed)
                            .split(train, y[train], g))
        except ValueError:  # a single group in the training fold
            fit = val = np.array([], int)
        if len(np.unique(y[train][fit])) == len(classes) == len(np.unique(y[train][val])):
            return train[fit], train[val], note
        note = (f"fold {fold + 1}: too few groups per class for a group-aware validation split; early stopping used a "
                "stratified split by clip, so it may stop late")
    size = max(len(classes), round(fraction * len(train)))
    fit, val = train_test_split(train, test_size=size, stratify=y[train], random_state=seed)
    return np.sort(fit), np.sort(val), note


def finetune_cross_validated(model_path_or_id: str | encoders.HFEncoder, clips: Sequence[Clip], labels: Sequence,
                             folds: Folds, settings: FinetuneSettings = FinetuneSettings(), *,
                             progress: ProgressFn | None = None, device: str | None = None,
                             require_ready: bool = True) -> FinetuneResult:
    """Fine-tune the top `settings.top_layers` layers + a linear head on each fold; predict its test clips.

    `folds` are the comparison's (`compare.Comparison.folds`), so every clip is predicted by a model that
    never saw it, exactly as the frozen rung. Uses CUDA when available (`device` overrides, e.g. "cpu").
    With `require_ready` (default) data that `finetune_readiness` refuses raises AudioDiagError with its
    reason instead of producing an impressive-looking overfit.
    """
    import torch

    y = np.asarray([str(v) for v in labels])
    if not (len(clips) == len(y) == folds.n_samples):
        raise BadParameterError(f"{len(clips)} clips, {len(y)} labels and folds for {folds.n_samples} clips; they must "
                                "describe the same clips in the same order (use the comparison's folds)")
    group_list = [c.group for c in clips]
    groups = (np.asarray([str(g) for g in group_list])
              if folds.strategy == "StratifiedGroupKFold" and all(g is not None for g in group_list) else None)
    if require_ready:
        ready = finetune_readiness(y, None if groups is None else list(groups), n_splits=folds.n_splits)
        if not ready.ok:
            raise BadDataError(f"fine-tuning refused: {ready.reason}")
    say = progress or (lambda fraction, message: None)
    say(0.0, "Loading the encoder ...")
    encoder = load_finetunable(model_path_or_id)
    run_on = device or ("cuda" if torch.cuda.is_available() else "cpu")
    limit = max(1, int(settings.max_length_s * encoder.sample_rate_hz))
    waves = [w[:limit] for w in resampled(clips, encoder.sample_rate_hz)]
    classes = tuple(np.unique(y))
    codes = np.searchsorted(np.asarray(classes), y)
    probabilities = np.full((len(y), len(classes)), np.nan, np.float32)
    train_losses, val_losses, best_epochs, fold_seconds, notes = [], [], [], [], []
    started = time.perf_counter()
    deterministic = (torch.are_deterministic_algorithms_enabled(),
                     torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        for fold, (train, test) in enumerate(folds.splits()):
            fold_started = time.perf_counter()
            fold_seed = settings.seed + fold
            fit, val, note = _inner_split(train, y, groups, settings.validation_fraction, fold_seed, fold)
            notes += [note] if note else []
            devices = [torch.device(run_on).index or 0] if torch.device(run_on).type == "cuda" else []
            with torch.random.fork_rng(devices=devices):  # seeded dropout without touching the caller's RNG
                torch.manual_seed(fold_seed)
                model = build_partial_model(encoder, len(classes), top_layers=settings.top_layers, device=run_on,
                                            seed=fold_seed)
                if settings.head_init == "probe":
                    init_head_from_probe(model, waves, codes, fit, batch_size=settings.batch_size, device=run_on,
                                         seed=fold_seed)
                losses, val_loss, best = train_partial_model(
                    model, waves, codes, fit, val, settings, device=run_on, seed=fold_seed,
                    on_epoch=lambda e, f=fold: say((f + e / settings.epochs) / folds.n_splits,
                                                   f"fold {f + 1}/{folds.n_splits}: epoch {e}"))
            logits = predict_logits(model, waves, test, settings.batch_size, run_on)
            probabilities[test] = np.exp(logits - logits.max(1, keepdims=True))
            probabilities[test] /= probabilities[test].sum(1, keepdims=True)
            train_losses.append(tuple(losses))
            val_losses.append(tuple(val_loss))
            best_epochs.append(best)
            if best == 0:
                notes.append(f"fold {fold + 1}: no epoch beat the starting weights on the validation clips, so its "
                             "test clips were predicted by the untrained start (with head_init='probe': the frozen "
                             "encoder's own classifier, fitted on the fold minus its validation clips)")
            fold_seconds.append(time.perf_counter() - fold_started)
    finally:
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
    trainable = sum(p.numel() for p in model.parameters_to_train()) + sum(p.numel() for p in model.head.parameters())
    total = sum(p.numel() for p in model.backbone.parameters()) + sum(p.numel() for p in model.head.parameters())
    say(1.0, "Fine-tuning done")
    return FinetuneResult(
        model=encoder.name, predictions=np.asarray(classes)[np.argmax(probabilities, axis=1)],
        probabilities=probabilities, classes=classes, train_losses=tuple(train_losses), val_losses=tuple(val_losses),
        best_epochs=tuple(best_epochs), epochs_run=tuple(len(v) for v in train_losses),
        seconds=time.perf_counter() - started, seconds_per_fold=tuple(fold_seconds), device=str(run_on),
        settings=settings, trainable_parameters=int(trainable), total_parameters=int(total),
        trainable_modules=(*model.trainable, "head"), notes=tuple(notes))


def gain_over_frozen(result: FinetuneResult, frozen, labels: Sequence, *, n_boot: int = 1000,
                     seed: int = 0) -> evaluate.PairedComparison:
    """Does the fine-tuned model beat the frozen encoder on the same clips and folds? Paired test + CI.

    `frozen`: the frozen encoder's `compare.Rung`, or its out-of-fold predictions (one per clip, same order).
    """
    predictions = np.asarray(getattr(frozen, "predictions", frozen))
    name = getattr(frozen, "space", result.model)
    if not (len(predictions) == len(result.predictions) == len(labels)):
        raise BadParameterError(
            f"{len(predictions)} frozen predictions, {len(result.predictions)} fine-tuned predictions "
            f"and {len(labels)} labels; compare runs on the same clips and folds")
    return evaluate.paired_comparison(
        np.asarray([str(v) for v in labels]), predictions.astype(str), result.predictions,
        name_a=f"{name} (frozen)", name_b=f"{result.model} (fine-tuned, top {result.settings.top_layers} layers)",
        n_boot=n_boot, seed=seed)
