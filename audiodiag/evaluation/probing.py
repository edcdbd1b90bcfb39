"""Layer and pooling sweep for Hugging Face encoders: a linear probe per hidden layer, one extraction.

Middle layers of speech encoders often carry more of what a classifier needs than the last one (the last
layers specialise in the pre-training objective). The sweep shows it when it happens.

Not run as a doctest (it needs a Hugging Face model folder, e.g. from `huggingface-cli download`)::

    sweep = layer_sweep(load_encoder("models/wav2vec2-base"), clips, comparison.folds)
    sweep.best, sweep.explanation
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from audiodiag.data.order import canonical_order
from audiodiag.errors import BadParameterError
from audiodiag.evaluation.evaluate import Estimate, cross_val_predict_folds, metrics_with_ci
from audiodiag.evaluation.fitting import rung_classifier
from audiodiag.evaluation.folds import Folds
from audiodiag.represent.encoders import LayerwiseEncoder
from audiodiag.types import Clip

POOLINGS = ("mean", "mean+std")
BETTER_THAN_LAST = 0.02  # a layer this much more accurate than the last one is called out


@dataclass(frozen=True)
class LayerScore:
    layer: int  # 0 = input to the first transformer layer
    pooling: str
    accuracy: Estimate


@dataclass(frozen=True)
class LayerSweep:
    encoder: str
    scores: tuple[LayerScore, ...]
    best: LayerScore
    last: LayerScore  # the default: last layer, mean pooling
    explanation: str


def layer_sweep(encoder, clips: Sequence[Clip], folds: Folds, *, seed: int = 0,
                hidden: dict[str, np.ndarray] | None = None) -> LayerSweep:
    """Probe accuracy for every hidden layer × pooling, on `folds` (the comparison's folds).

    hidden: precomputed `encoder.embed_all_layers(clips)` (the app caches it); computed here if None.
    """
    if hidden is None:
        if not isinstance(encoder, LayerwiseEncoder):
            raise BadParameterError(f"{encoder.name}: exposes only its final layer; the layer sweep needs a Hugging "
                                    "Face encoder (an id or a local folder)")
        hidden = encoder.embed_all_layers(clips)
    canonical = canonical_order(clips)  # fitted and resampled in one order, whatever order the clips came in
    folds = folds.take(canonical)
    y = np.asarray([clips[i].label for i in canonical]).astype(str)
    scores = []
    for pooling in POOLINGS:
        for layer, X in enumerate(hidden[pooling]):
            predictions = cross_val_predict_folds(np.asarray(X)[canonical], y, folds,
                                                  partial(rung_classifier, seed)).predictions
            scores.append(LayerScore(layer, pooling, metrics_with_ci(y, predictions, seed=seed).accuracy))
    last = next(s for s in scores if s.pooling == "mean" and s.layer == len(hidden["mean"]) - 1)
    best = max(scores, key=lambda s: (s.accuracy.value, -s.layer))
    if best.accuracy.value - last.accuracy.value >= BETTER_THAN_LAST:
        explanation = (f"layer {best.layer} with {best.pooling} pooling ({best.accuracy}) beats the default last "
                       f"layer with mean pooling ({last.accuracy}) by {best.accuracy.value - last.accuracy.value:.3f}: "
                       "use it (pass layer=… to the encoder)")
    else:
        explanation = (f"the default (last layer, mean pooling: {last.accuracy}) is within {BETTER_THAN_LAST:g} of "
                       f"the best layer ({best.layer}, {best.pooling}: {best.accuracy}); keep the default")
    return LayerSweep(encoder.name, tuple(scores), best, last, explanation)
