"""Rung 3's trainable model: a copy of a pretrained Hugging Face encoder with only its top transformer layers
(and what runs after them) unfrozen, a linear head on the mean over frames of real audio, and one fold's
training with AdamW and early stopping. `audiodiag.evaluation.finetune` runs it on every fold.

Not run as a doctest (it needs a Hugging Face model folder and trains for minutes)::

    encoder = encoders.load_encoder("models/wav2vec2-base")   # a Hugging Face model folder
    model = build_partial_model(encoder, n_classes=2, top_layers=2)
    train_losses, val_losses, best_epoch = train_partial_model(model, waves, codes, fit, val, FinetuneSettings())
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.evaluation.fitting import rung_classifier
from audiodiag.represent import encoders

IMPROVEMENT_MIN = 1e-6  # validation loss must drop by more than this to count as better (early stopping)
PROBE_ABSENT_LOGIT = -30.0  # head bias for a class absent from the probe's training clips: never predicted


@dataclass(frozen=True)
class FinetuneSettings:
    """How rung 3 trains, checked on construction; re-exported by `audiodiag.evaluation.finetune`, which runs it per
    fold."""

    top_layers: int = 2  # transformer layers trained from the top (0: the linear head only)
    epochs: int = 10  # at most; early stopping usually ends sooner
    learning_rate: float = 5e-5  # AdamW, for the unfrozen encoder layers
    head_learning_rate: float = 1e-3  # AdamW, for the linear head (which starts as set by head_init)
    weight_decay: float = 0.01
    batch_size: int = 8  # clips per optimiser step (gradients accumulated over equal-length micro-batches)
    patience: int = 3  # epochs without a lower validation loss before stopping; the best epoch is restored
    validation_fraction: float = 0.2  # of each training fold, stratified, for early stopping only
    seed: int = 0
    head_init: str = "probe"  # "probe": the frozen rung's classifier fitted on the fit clips (LP-FT); "random"
    pooling: str = "mean"  # mean over the frames of real audio (padding excluded), as the frozen rung
    max_length_s: float = 10.0  # longer clips are cut to their first max_length_s (bounds memory and time)

    def __post_init__(self) -> None:
        checks = [("top_layers", self.top_layers >= 0, "0 or more"), ("epochs", self.epochs >= 1, "at least 1"),
                  ("learning_rate", self.learning_rate > 0, "above 0"),
                  ("head_learning_rate", self.head_learning_rate > 0, "above 0"),
                  ("weight_decay", self.weight_decay >= 0, "0 or more"),
                  ("batch_size", self.batch_size >= 1, "at least 1"), ("patience", self.patience >= 1, "at least 1"),
                  ("validation_fraction", 0 < self.validation_fraction < 0.5, "between 0 and 0.5"),
                  ("head_init", self.head_init in ("probe", "random"), "'probe' or 'random'"),
                  ("pooling", self.pooling == "mean", "'mean' (over frames of real audio)"),
                  ("max_length_s", self.max_length_s > 0, "above 0")]
        for name, ok, expected in checks:
            if not ok:
                raise BadParameterError(f"fine-tuning setting {name}={getattr(self, name)!r}; expected {expected}")


@dataclass(frozen=True, eq=False)
class PartialModel:
    """A trainable copy of a pretrained encoder: only `trainable` modules (and the head) get gradients."""

    encoder: encoders.HFEncoder  # preprocessing (model_inputs, frame_mask); its own model is never trained
    backbone: object  # torch module, a deep copy of encoder.model
    head: object  # torch.nn.Linear(hidden size, n classes)
    trainable: tuple[str, ...]  # module names inside `backbone` that train, e.g. "encoder.layers.1"

    def parameters_to_train(self) -> list:
        return [p for p in self.backbone.parameters() if p.requires_grad]

    def train_mode(self) -> None:
        """Frozen modules stay in eval mode (no dropout, layerdrop or time masking); trained ones get dropout."""
        self.backbone.eval()
        modules = dict(self.backbone.named_modules())
        for name in self.trainable:
            modules[name].train()
        self.head.train()

    def eval_mode(self) -> None:
        self.backbone.eval()
        self.head.eval()

    def pooled(self, model_inputs: dict):
        """(batch, d): the mean of the last hidden state over frames of real audio, as the frozen rung pools."""
        hidden = self.backbone(**model_inputs).last_hidden_state  # (batch, frames, d)
        mask = self.encoder.frame_mask(model_inputs, hidden.shape[1]).to(hidden.dtype)[..., None]
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    def logits(self, model_inputs: dict):
        """(batch, n classes)."""
        return self.head(self.pooled(model_inputs))


def build_partial_model(encoder: encoders.HFEncoder, n_classes: int, *, top_layers: int, device: str = "cpu",
                        seed: int = 0) -> PartialModel:
    """Copy the encoder, freeze all of it, unfreeze its top `top_layers` transformer layers and every module
    that runs after them (found by running one probe clip: e.g. wav2vec2-large's final layer norm, but not
    wav2vec2-base's, which runs before the layers), and add a seeded linear head."""
    import torch

    backbone = copy.deepcopy(encoder.model).to(device)
    backbone.requires_grad_(False)
    layers_name, layers = _transformer_layers(backbone, encoder)
    if top_layers > len(layers):
        raise BadParameterError(f"{encoder.name}: top_layers={top_layers}, but it has only {len(layers)} transformer "
                                f"layers; choose 0 to {len(layers)}")
    trainable = [f"{layers_name}.{i}" for i in range(len(layers) - top_layers, len(layers))]
    if top_layers:
        trainable += _modules_after(backbone, encoder, layers_name, layers[-1], device)
    modules = dict(backbone.named_modules())
    for name in trainable:
        modules[name].requires_grad_(True)
    torch.manual_seed(seed)
    head = torch.nn.Linear(encoder.embedding_size, n_classes).to(device)
    return PartialModel(encoder, backbone, head, tuple(trainable))


def _transformer_layers(backbone, encoder: encoders.HFEncoder) -> tuple[str, object]:
    """The ModuleList holding the model's `num_hidden_layers` transformer layers (the largest such list)."""
    import torch

    n = encoder.num_layers
    found = [(name, m) for name, m in backbone.named_modules()
             if isinstance(m, torch.nn.ModuleList) and n and len(m) == n]
    if not found:
        raise BadParameterError(f"{encoder.name}: no list of {n} transformer layers found to unfreeze; fine-tuning "
                                "here supports transformer encoders such as wav2vec2, HuBERT, WavLM, AST or Whisper")
    return max(found, key=lambda item: sum(p.numel() for p in item[1].parameters()))


def _modules_after(backbone, encoder: encoders.HFEncoder, layers_name: str, last_layer, device: str) -> list[str]:
    """Names of modules with their own weights that first run after the last transformer layer has finished."""
    import torch

    started: dict[str, int] = {}
    finished: list[int] = []
    handles = []

    def note_start(name: str) -> None:  # a hook that returns a value would replace the module's inputs
        started.setdefault(name, len(started) + len(finished))

    for name, module in backbone.named_modules():
        if name == layers_name or name.startswith(layers_name + ".") or not list(module.parameters(recurse=False)):
            continue
        handles.append(module.register_forward_pre_hook(lambda _m, _args, name=name: note_start(name)))
    handles.append(last_layer.register_forward_hook(
        lambda *_: finished.append(len(started) + len(finished))))
    probe = np.random.default_rng(0).standard_normal(encoder.sample_rate_hz).astype(np.float32) * 0.1  # 1 s
    try:
        with torch.no_grad():
            backbone(**_to_device(encoder.model_inputs([probe]), device))
    finally:
        for handle in handles:
            handle.remove()
    return [name for name, order in started.items() if finished and order > finished[0]]


def _to_device(inputs: dict, device: str) -> dict:
    return {k: v.to(device) for k, v in inputs.items()}


# ---------------------------------------------------------------- training one fold

def _groups_for_step(indices: Sequence[int], lengths: Sequence[int], masked: bool, limit: int) -> list[list[int]]:
    """Forward passes for a set of clips: padded batches of any length (masked models), else equal lengths only."""
    if masked:
        return [list(indices[i:i + limit]) for i in range(0, len(indices), limit)]
    by_length: dict[int, list[int]] = {}
    for i in indices:
        by_length.setdefault(lengths[i], []).append(int(i))
    return [group[i:i + limit] for group in by_length.values() for i in range(0, len(group), limit)]


def predict_logits(model: PartialModel, waves: list[np.ndarray], indices: np.ndarray, batch_size: int,
                   device: str, *, pooled: bool = False) -> np.ndarray:
    """(len(indices), n classes) float32 logits of `waves[indices]` in eval mode (no dropout); with `pooled`,
    the (len(indices), d) pooled features the head takes instead."""
    import torch

    model.eval_mode()
    out = np.empty((len(indices), model.head.in_features if pooled else model.head.out_features), np.float32)
    position = {int(i): k for k, i in enumerate(indices)}
    with torch.no_grad():
        for group in _groups_for_step(indices, [len(w) for w in waves], model.encoder.uses_attention_mask,
                                      batch_size):
            inputs = _to_device(model.encoder.model_inputs([waves[i] for i in group]), device)
            values = model.pooled(inputs) if pooled else model.logits(inputs)
            out[[position[i] for i in group]] = values.float().cpu().numpy()
    return out


def init_head_from_probe(model: PartialModel, waves: list[np.ndarray], codes: np.ndarray, fit: np.ndarray, *,
                         batch_size: int, device: str = "cpu", seed: int = 0) -> None:
    """Start the head at the frozen rung's own classifier (`fitting.rung_classifier`) fitted on the `fit`
    clips, folded into one linear layer: linear probing, then fine-tuning (LP-FT; Kumar et al., ICLR 2022), so
    training starts from the frozen solution instead of distorting the features to suit a random head.
    """
    import torch

    X = predict_logits(model, waves, fit, batch_size, device, pooled=True).astype(np.float64)
    pipeline = rung_classifier(seed).fit(X, codes[fit])
    scaler, probe = pipeline.named_steps["scale"], pipeline.named_steps["clf"]
    weight = probe.coef_ / scaler.scale_  # z = coef·(x − μ)/σ + b = (coef/σ)·x + (b − (coef/σ)·μ)
    bias = probe.intercept_ - weight @ scaler.mean_
    if len(probe.classes_) == 2:  # one logit z for class 1; softmax over (−z/2, z/2) gives the same sigmoid(z)
        weight, bias = np.stack([-weight[0], weight[0]]) / 2, np.array([-bias[0], bias[0]]) / 2
    full_w = np.zeros((model.head.out_features, X.shape[1]))
    full_b = np.full(model.head.out_features, PROBE_ABSENT_LOGIT)  # a class missing from `fit` is never predicted
    full_w[probe.classes_], full_b[probe.classes_] = weight, bias
    with torch.no_grad():
        model.head.weight.copy_(torch.as_tensor(full_w, dtype=model.head.weight.dtype))
        model.head.bias.copy_(torch.as_tensor(full_b, dtype=model.head.bias.dtype))


def _cross_entropy(logits: np.ndarray, codes: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(codes)), codes].mean())


def train_partial_model(model: PartialModel, waves: list[np.ndarray], codes: np.ndarray, fit: np.ndarray,
                        val: np.ndarray, settings: FinetuneSettings, *, device: str = "cpu", seed: int = 0,
                        on_epoch: Callable[[int], None] | None = None) -> tuple[list[float], list[float], int]:
    """AdamW on `fit` clips, early stopping on `val` clips' cross-entropy; restores the best epoch's weights.

    Returns (training loss per epoch run, validation loss before training and after each epoch, best epoch);
    best epoch 0 means no epoch beat the starting weights on the validation clips, so those are kept.
    """
    import torch

    optimizer = torch.optim.AdamW([
        {"params": model.parameters_to_train(), "lr": settings.learning_rate},
        {"params": list(model.head.parameters()), "lr": settings.head_learning_rate}],
        weight_decay=settings.weight_decay)
    params = model.parameters_to_train() + list(model.head.parameters())
    targets = torch.as_tensor(codes, dtype=torch.long, device=device)
    lengths = [len(w) for w in waves]
    rng = np.random.default_rng(seed)
    val_losses = [_cross_entropy(predict_logits(model, waves, val, settings.batch_size, device), codes[val])]
    best = (val_losses[0] if math.isfinite(val_losses[0]) else math.inf, 0)
    best_state, train_losses = [p.detach().clone() for p in params], []
    for epoch in range(1, settings.epochs + 1):
        model.train_mode()
        total = 0.0
        order = rng.permutation(fit)
        for start in range(0, len(order), settings.batch_size):
            step = order[start:start + settings.batch_size]
            optimizer.zero_grad(set_to_none=True)
            for group in _groups_for_step(step, lengths, model.encoder.uses_attention_mask, settings.batch_size):
                logits = model.logits(_to_device(model.encoder.model_inputs([waves[i] for i in group]), device))
                loss = torch.nn.functional.cross_entropy(logits, targets[group], reduction="sum")
                (loss / len(step)).backward()  # accumulated: one step = the mean over `step`, however it was split
                total += float(loss.detach())
            optimizer.step()
        train_losses.append(total / len(fit))
        val_losses.append(_cross_entropy(predict_logits(model, waves, val, settings.batch_size, device), codes[val]))
        if val_losses[-1] < best[0] - IMPROVEMENT_MIN:
            best, best_state = (val_losses[-1], epoch), [p.detach().clone() for p in params]
        if on_epoch is not None:
            on_epoch(epoch)
        if epoch - best[1] >= settings.patience:
            break
    with torch.no_grad():
        for p, saved in zip(params, best_state, strict=True):
            p.copy_(saved)
    return train_losses, val_losses, best[1]
