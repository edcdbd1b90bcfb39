"""Representation spaces: the spectral baseline or a frozen encoder, as one (n_clips, d) matrix per space.

Every page that needs vectors (Compare, Embeddings, Decide) asks here, so a space is computed once per
dataset and padding policy: baseline features are cheap; encoder rows come from the on-disk embedding
cache. The padding policy is applied to the clips *before* any space sees them, so every rung is compared
on the same input.

>>> t = np.arange(8000) / 16000                                  # 0.5 s at 16 kHz
>>> clips = [Clip(f"{f}.wav", np.sin(2 * np.pi * f * t).astype(np.float32), 16000, 16000, 1) for f in (440, 880)]
>>> padding = PaddingPolicy(length_s=1.0)
>>> base = space_vectors(clips, BASELINE, padding=padding)  # or an encoder: space_vectors(clips, "speech_embedding")
>>> base.vectors.shape, padded_fractions(clips, BASELINE, padding).tolist()   # half of each padded clip is zeros
((2, 218), [0.5, 0.5])
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag.data.decoding import pad_or_trim
from audiodiag.errors import AudioDiagError, BadDataError, BadParameterError
from audiodiag.represent import embedding_cache
from audiodiag.represent.encoders import Encoder, Prepared, canonical_name, get_spec, load_encoder
from audiodiag.represent.features import FeatureSettings, spectral_features
from audiodiag.types import Clip

BASELINE = "spectral baseline (MFCC/log-mel)"  # the CATALOGUE name of rung 1
MAX_PAD_LENGTH_S = 600.0
NO_CLIPS_PAD_LENGTH_S = 1.0  # the suggested pad length when there are no clips to take the median of
PAD_LENGTH_DECIMALS = 2  # the suggestion is rounded, so a widget and a link show "1.23", not "1.2345"
BYTES_PER_MB = 1e6


@dataclass(frozen=True)
class PaddingPolicy:
    """What happens to clip length before any space sees the clips.

    length_s=None: clips go in at their own length (encoders pool over real frames only). A number: every
    clip is zero-padded at the end or cut to exactly that many seconds, at its own sample rate.
    """

    length_s: float | None = None

    def __post_init__(self) -> None:
        if self.length_s is not None and not 0 < self.length_s <= MAX_PAD_LENGTH_S:
            raise BadParameterError(f"padding length {self.length_s!r} s; use a length in (0, {MAX_PAD_LENGTH_S:g}] "
                                    "s, or None for no padding")

    @property
    def label(self) -> str:
        return "none (each clip at its own length)" if self.length_s is None else \
            f"pad or trim to {self.length_s:g} s"

    def apply(self, clips: Sequence[Clip]) -> list[Clip]:
        if self.length_s is None:
            return list(clips)
        out = []
        for clip in clips:
            length = max(1, int(round(self.length_s * clip.sample_rate_hz)))
            if len(clip.samples) == length:
                out.append(clip)
            else:
                out.append(replace(clip, samples=pad_or_trim(clip.samples, length=length),
                                   content_hash=f"{clip.content_hash}:pad{length}"))
        return out

    def padded_fraction(self, clip: Clip, *, fixed_input_s: float | None = None) -> float:
        """Share of the model input that is zero padding: from this policy, then from a model's fixed window
        (Whisper's 30 s) if it has one."""
        duration_s = clip.duration_s if self.length_s is None else min(clip.duration_s, self.length_s)
        input_s = duration_s if self.length_s is None else self.length_s
        if fixed_input_s:
            input_s = max(input_s, fixed_input_s * max(1, math.ceil(input_s / fixed_input_s)))
        return float(max(0.0, 1 - duration_s / input_s)) if input_s > 0 else 0.0


def default_pad_length_s(durations_s: Sequence[float]) -> float:
    """The suggested pad-or-trim length: the median clip duration, rounded to PAD_LENGTH_DECIMALS.

    Half the clips are then padded and half cut, so neither padding nor cutting dominates. With no durations,
    NO_CLIPS_PAD_LENGTH_S.

    >>> default_pad_length_s([1.0, 2.0, 4.0])
    2.0
    """
    if len(durations_s) == 0:
        return NO_CLIPS_PAD_LENGTH_S
    return round(float(np.median(np.asarray(durations_s, dtype=np.float64))), PAD_LENGTH_DECIMALS)


@dataclass(frozen=True, eq=False)
class SpaceVectors:
    """One row per clip in one representation space, and what it cost."""

    space: str
    vectors: np.ndarray  # float32, (n_clips, embedding_size)
    seconds_per_clip: float  # extraction wall time per clip when it was computed (NaN: unknown)
    model_mb: float  # weights on disk / in memory; 0 for the baseline
    from_cache: bool  # every row came from the on-disk cache
    settings: dict  # what produced the vectors, for the decision note

    @property
    def embedding_size(self) -> int:
        return int(self.vectors.shape[1])


def is_baseline(space: str) -> bool:
    return space == BASELINE


def space_vectors(
    clips: Sequence[Clip],
    space: str,
    *,
    padding: PaddingPolicy = PaddingPolicy(),
    layer: int | None = None,
    feature_settings: FeatureSettings = FeatureSettings(),
    encoder: Encoder | None = None,
    cache_dir: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    prepared: Prepared | None = None,
) -> SpaceVectors:
    """Vectors for `clips` in `space`: BASELINE, or any name/path `encoders.load_encoder` takes.

    Parameters
    ----------
    padding : applied to every clip first (the same for all spaces).
    layer : hidden layer for Hugging Face encoders (None: the last).
    encoder : an already loaded encoder for `space` (the app keeps models loaded); loaded here if None.
    progress : progress(done, total) in clips while encoder rows are computed.
    prepared : the encoder's `preparer` output for the padded clips, where another process made it
        (`encoders.PreparingEncoder`); None: all done here.
    """
    if not clips:
        raise BadDataError(f"{space}: no clips to encode; load some clips first")
    padded = padding.apply(clips)
    settings: dict = {"space": space, "padding": padding.label}
    if is_baseline(space):
        start = time.perf_counter()
        vectors = spectral_features(padded, settings=feature_settings)
        seconds = (time.perf_counter() - start) / len(padded)
        if progress:
            progress(len(padded), len(padded))
        return SpaceVectors(space, vectors, seconds, 0.0, False, {**settings, **feature_settings.as_dict()})
    encoder = encoder or load_encoder(space)
    record = embedding_cache.Timing()
    vectors = embedding_cache.cached_embed(encoder, padded, layer=layer, cache_dir=cache_dir, progress=progress,
                                           timing=record, prepared=prepared)
    settings.update(encoder_key(encoder, layer))
    return SpaceVectors(space, vectors, record.seconds_per_clip, float(encoder.model_bytes) /
                        BYTES_PER_MB, record.clips_computed == 0, settings)


def vectors_per_space(
    names: Sequence[str],
    compute: Callable[[str], SpaceVectors],
    *,
    on_unavailable: Callable[[str, str], None] | None = None,
) -> tuple[list[SpaceVectors], list[tuple[str, str]]]:
    """`compute(name)` for every space, in order. An encoder that cannot run (not installed, hub unreachable, a
    broken folder: AudioDiagError) becomes (name, reason) instead of ending the run, so the others are still
    compared; the baseline's error propagates (nothing can be compared without it)."""
    vectors, unavailable = [], []
    for name in names:
        try:
            vectors.append(compute(name))
        except AudioDiagError as e:
            if is_baseline(name):
                raise
            unavailable.append((name, str(e)))
            if on_unavailable:
                on_unavailable(name, str(e))
    return vectors, unavailable


def encoder_key(encoder: Encoder, layer: int | None) -> dict:
    return {k: v for k, v in embedding_cache.encoder_key(encoder, layer=layer).items() if k != "class"}


def fixed_input_s(space: str) -> float | None:
    """The model's fixed input window (Whisper padded: 30 s) when `space` is a catalogue name, else None."""
    try:
        return get_spec(space).fixed_input_s
    except AudioDiagError:
        return None


def padding_seen(space: str, padding: PaddingPolicy) -> str:
    """What `space` was actually fed: the padding policy, then the model's own fixed input window where it has one
    (Whisper padded: 30 s), so nothing says "each clip at its own length" of a model that pads every clip.

    >>> padding_seen("whisper-tiny.en", PaddingPolicy()), padding_seen(BASELINE, PaddingPolicy(2.0))
    ("each clip zero-padded to the model's fixed 30-s input window", 'pad or trim to 2 s')
    """
    fixed = fixed_input_s(space)
    length = padding.length_s
    if not fixed or (length is not None and math.isclose(length, fixed * math.ceil(length / fixed))):
        return padding.label  # no window, or the policy's length already fills whole windows
    window = f"zero-padded to the model's fixed {fixed:g}-s input window"
    return f"each clip {window}" if length is None else f"{padding.label}, then {window}"


def padding_label(padding: PaddingPolicy, space_names: Sequence[str]) -> str:
    """One line for a comparison: the policy, and what each rung whose model pads further actually saw.

    >>> print(padding_label(PaddingPolicy(), [BASELINE, "whisper-tiny.en"]))
    none (each clip at its own length) for spectral baseline (MFCC/log-mel); whisper-tiny.en encoder (30 s padded): ...
    """
    seen = {canonical_name(s): padding_seen(s, padding) for s in space_names}
    plain = [s for s, what in seen.items() if what == padding.label]
    if len(plain) == len(seen):
        return padding.label
    return "; ".join(([f"{padding.label} for {', '.join(plain)}"] if plain else [])
                     + [f"{s}: {what}" for s, what in seen.items() if what != padding.label])


def padded_fractions(clips: Sequence[Clip], space: str, padding: PaddingPolicy) -> np.ndarray:
    """Per clip, the share of what `space` sees that is padding (policy and fixed model window)."""
    fixed = fixed_input_s(space)
    return np.array([padding.padded_fraction(c, fixed_input_s=fixed) for c in clips], dtype=np.float64)
