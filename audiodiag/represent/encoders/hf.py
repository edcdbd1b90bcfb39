"""Any Hugging Face audio model by hub id or local folder, pooled over frames of real audio only."""
from __future__ import annotations

import hashlib
import inspect
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from audiodiag.errors import BadParameterError
from audiodiag.represent.encoders.base import check_clips, chunks, resampled
from audiodiag.types import Clip

DEVICE_ENV = "AUDIODIAG_DEVICE"  # torch device for Hugging Face encoders (default cpu); Ray sets cuda per GPU actor

HF_BATCH_MAX_CLIPS = 32
HF_BATCH_MAX_SAMPLES = 16_000 * 160  # padded samples per forward pass (~160 s at 16 kHz): bounds memory


class HFEncoder:
    """Any Hugging Face audio model (wav2vec2, HuBERT, WavLM, AST, ...) with its own feature extractor.

    Clips are resampled to the feature extractor's `sampling_rate` and go through the feature extractor
    (so its normalisation applies). Mean pooling covers only frames of real audio: models whose feature
    extractor gives no attention mask (wav2vec2-base, HuBERT: group norm over time, so zero padding changes
    every frame) run each group of equal-length clips unpadded; models with an attention mask and layer
    norm are padded within length-sorted batches and pooled over `_get_feat_extract_output_lengths` frames.
    """

    padding_policy = "none: equal-length groups, or attention mask + valid-frame pooling"

    def __init__(self, name_or_path: str, *, name: str | None = None, local_files_only: bool = False) -> None:
        import torch
        from transformers import AutoFeatureExtractor, AutoModel

        self._torch = torch
        self.encoder_id = name_or_path
        self.name = name or name_or_path
        self._features = AutoFeatureExtractor.from_pretrained(
            name_or_path, trust_remote_code=False, local_files_only=local_files_only)
        model = AutoModel.from_pretrained(name_or_path, trust_remote_code=False, local_files_only=local_files_only)
        if getattr(model.config, "is_encoder_decoder", False):
            model = model.get_encoder()
        self.device = os.environ.get(DEVICE_ENV) or "cpu"  # "cuda" in a Ray actor given a GPU
        self._model = model.eval().to(self.device)
        config = model.config
        self.sample_rate_hz = int(self._features.sampling_rate)
        self.embedding_size = int(getattr(config, "hidden_size", 0) or getattr(config, "d_model"))
        self.num_layers = int(getattr(config, "num_hidden_layers", 0) or 0)
        self._forward_args = set(inspect.signature(model.forward).parameters)
        self._masked = (bool(getattr(self._features, "return_attention_mask", False))
                        and getattr(config, "feat_extract_norm", "") == "layer"
                        and hasattr(model, "_get_feat_extract_output_lengths")
                        and "attention_mask" in self._forward_args)
        self.revision = getattr(config, "_commit_hash", None) or _folder_revision(Path(name_or_path))
        self.model_bytes = sum(p.numel() * p.element_size() for p in model.parameters())

    def embed(self, clips: Sequence[Clip], *, layer: int | None = None) -> np.ndarray:
        check_clips(clips, encoder=self.name)
        self._check_layer(layer)
        waves = resampled(clips, self.sample_rate_hz)
        out = np.empty((len(clips), self.embedding_size), np.float32)
        for batch in self._batches([len(w) for w in waves]):
            out[batch] = self._embed_batch([waves[i] for i in batch], layer)
        return out

    def _check_layer(self, layer: int | None) -> None:
        n = self.num_layers
        if layer is not None and n and not -(n + 1) <= layer <= n:
            raise BadParameterError(f"{self.name}: layer={layer} out of range; it has hidden states 0..{n} "
                                    f"(0: before the first transformer layer, {n} or -1: the last)")

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Length-sorted batches: identical lengths only (unmasked models) or any, padded (masked models)."""
        order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
        if not self._masked:
            groups: dict[int, list[int]] = defaultdict(list)
            for i in order:
                groups[lengths[i]].append(i)
            for length, group in groups.items():
                yield from chunks(group, max(1, min(HF_BATCH_MAX_CLIPS, HF_BATCH_MAX_SAMPLES // length)))
            return
        batch: list[int] = []
        for i in order:  # ascending: the newest clip is the longest, so the padded size is len(batch) * it
            if batch and (len(batch) >= HF_BATCH_MAX_CLIPS or (len(batch) + 1) * lengths[i] > HF_BATCH_MAX_SAMPLES):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def embed_all_layers(self, clips: Sequence[Clip]) -> dict[str, np.ndarray]:
        """Every hidden state pooled two ways, from one forward pass per batch (for the layer/pooling sweep).

        Returns {"mean": (n_layers + 1, n, d), "mean+std": (n_layers + 1, n, 2d)}; index 0 is the input to
        the first transformer layer, -1 the last layer (what `embed` returns by default).
        """
        check_clips(clips, encoder=self.name)
        waves = resampled(clips, self.sample_rate_hz)
        means = stds = None
        for batch in self._batches([len(w) for w in waves]):
            mean, std = self._pool_batch([waves[i] for i in batch], layers="all")
            if means is None:
                means = np.empty((mean.shape[0], len(clips), mean.shape[-1]), np.float32)
                stds = np.empty_like(means)
            means[:, batch], stds[:, batch] = mean, std
        return {"mean": means, "mean+std": np.concatenate([means, stds], axis=-1)}

    # ---- public preprocessing steps, shared with audiodiag.evaluation.finetune (which trains a copy of `model`)

    @property
    def model(self):
        """The torch module in eval mode, shared by every call: copy it before training it."""
        return self._model

    @property
    def uses_attention_mask(self) -> bool:
        """True when clips of different lengths may share a padded batch (attention mask + layer norm);
        otherwise only clips of identical length may be batched together."""
        return self._masked

    def model_inputs(self, waves: list[np.ndarray]) -> dict:
        """The feature extractor's tensors for `waves` (float32 at `sample_rate_hz`), keyed as forward takes them."""
        kwargs = {"return_attention_mask": True} if self._masked else {}
        inputs = self._features(waves, sampling_rate=self.sample_rate_hz, return_tensors="pt", padding=True,
                                **kwargs)
        return {k: v.to(self.device) for k, v in inputs.items() if k in self._forward_args}

    def frame_mask(self, model_inputs: dict, n_frames: int):
        """(batch, n_frames) bool tensor: True for output frames of real audio, False for padding."""
        torch = self._torch
        if not self._masked:
            first = next(iter(model_inputs.values()))
            return torch.ones((len(first), n_frames), dtype=torch.bool, device=first.device)
        attention = model_inputs["attention_mask"]
        valid = self._model._get_feat_extract_output_lengths(attention.sum(-1))
        return torch.arange(n_frames, device=attention.device)[None, :] < valid[:, None]

    def _embed_batch(self, waves: list[np.ndarray], layer: int | None) -> np.ndarray:
        return self._pool_batch(waves, layers=layer)[0]

    def _pool_batch(self, waves: list[np.ndarray], *, layers: int | None | str) -> tuple[np.ndarray, np.ndarray | None]:
        """Mean (and for layers="all" also std) over the frames of real audio: (batch, d), or (L+1, batch, d)."""
        torch = self._torch
        model_inputs = self.model_inputs(waves)
        with torch.inference_mode():
            outputs = self._model(**model_inputs, output_hidden_states=layers is not None)
            # the last index is the model's output: after its final layer norm where it has one (wav2vec2-large
            # style), so layer=-1, layer=None and the sweep's last row are the same vectors
            states = None if layers is None else (*outputs.hidden_states[:-1], outputs.last_hidden_state)
            if layers is None:
                hidden = outputs.last_hidden_state[None]
            elif layers == "all":
                hidden = torch.stack(states)
            else:
                hidden = states[layers][None]
            mask = self.frame_mask(model_inputs, hidden.shape[2]).to(hidden.dtype)[None, ..., None]
            count = mask.sum(2).clamp(min=1)
            mean = (hidden * mask).sum(2) / count
            std = (((hidden - mean[:, :, None]) ** 2 * mask).sum(2) / count).sqrt() if layers == "all" else None
        mean = mean.float().cpu().numpy()
        if layers != "all":
            return mean[0], None
        return mean, std.float().cpu().numpy()


def _folder_revision(path: Path) -> str:
    """Content hash of the config files plus size and mtime of the weight files: changes when they do."""
    if not path.is_dir():
        return ""
    digest = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.suffix == ".json" and f.is_file():
            digest.update(f.name.encode() + f.read_bytes())
        elif f.is_file():
            stat = f.stat()
            digest.update(f"{f.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


