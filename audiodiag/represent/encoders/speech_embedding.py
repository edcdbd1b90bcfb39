"""Bundled offline encoder: Google's speech_embedding ONNX model shipped in the openwakeword wheel."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audiodiag.errors import MissingDependencyError
from audiodiag.represent.encoders.base import SPEECH_EMBEDDING, check_clips, last_layer_only, package_version, resampled
from audiodiag.types import Clip

SPEECH_EMBEDDING_WINDOW_FRAMES = 76  # mel frames (10 ms hop) per embedding window (~0.78 s)
SPEECH_EMBEDDING_STEP_FRAMES = 8  # 80 ms between windows, as openwakeword does
SPEECH_EMBEDDING_MIN_SAMPLES = 512 + (SPEECH_EMBEDDING_WINDOW_FRAMES - 1) * 160  # one full window
SPEECH_EMBEDDING_SIZE = 96
SPEECH_EMBEDDING_BATCH_WINDOWS = 512
INT16_SCALE = 32_767.0  # the mel model expects 16-bit PCM values as floats


class SpeechEmbeddingEncoder:
    """Google's speech_embedding (the model behind openWakeWord): 96-d per ~0.78-s window, mean-pooled.

    Runs the ONNX exports shipped in the openwakeword wheel (melspectrogram.onnx -> embedding_model.onnx)
    on ONNX Runtime; windows of 76 mel frames every 80 ms. Clips shorter than one window are zero-padded.
    """

    sample_rate_hz = 16_000
    embedding_size = SPEECH_EMBEDDING_SIZE
    padding_policy = f"zero-pad to {SPEECH_EMBEDDING_MIN_SAMPLES} samples"

    def __init__(self) -> None:
        import importlib.util

        import onnxruntime as ort

        # locate the ONNX files without importing openwakeword: it is installed --no-deps (its tflite-runtime
        # dependency has no wheel past Python 3.11), and its package __init__ would import what it left out
        spec = importlib.util.find_spec("openwakeword")
        if spec is None or not spec.submodule_search_locations:
            raise MissingDependencyError("speech_embedding needs the openwakeword wheel, which ships its ONNX weights; "
                                         "`pip install --no-deps -r requirements-nodeps.txt`")
        models = Path(next(iter(spec.submodule_search_locations))) / "resources" / "models"
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._mel = ort.InferenceSession(str(models / "melspectrogram.onnx"), options,
                                         providers=["CPUExecutionProvider"])
        self._embedding = ort.InferenceSession(str(models / "embedding_model.onnx"), options,
                                               providers=["CPUExecutionProvider"])
        self.name = self.encoder_id = SPEECH_EMBEDDING
        self.model_bytes = sum((models / f).stat().st_size for f in ("melspectrogram.onnx", "embedding_model.onnx"))
        self.revision = f"openwakeword=={package_version('openwakeword')}"

    def embed(self, clips: Sequence[Clip], *, layer: int | None = None) -> np.ndarray:
        check_clips(clips, encoder=self.name)
        last_layer_only(layer, encoder=self.name)
        windows, owners = [], []
        for i, wave in enumerate(resampled(clips, self.sample_rate_hz)):
            mel = self.log_mel(wave)
            for start in range(0, mel.shape[0] - SPEECH_EMBEDDING_WINDOW_FRAMES + 1, SPEECH_EMBEDDING_STEP_FRAMES):
                windows.append(mel[start:start + SPEECH_EMBEDDING_WINDOW_FRAMES])
                owners.append(i)
        rows = self.window_embeddings(np.stack(windows)).astype(np.float64)
        owners_arr = np.asarray(owners)
        sums = np.zeros((len(clips), self.embedding_size), np.float64)
        np.add.at(sums, owners_arr, rows)
        return (sums / np.bincount(owners_arr, minlength=len(clips))[:, None]).astype(np.float32)

    # ---- the two model steps, public for benchmarks (P4 measures what each costs, alone and batched)

    def log_mel(self, wave: np.ndarray) -> np.ndarray:
        """Log-mel frames (frames, 32) of one 16-kHz float wave, zero-padded to at least one window.

        One clip per mel call: the mel export floors its log-mel at (the loudest value of the whole input tensor
        - 80 dB), so a louder clip in the same call raises a quieter clip's floor (its silent and padded frames;
        embeddings moved by up to 0.47). `window_embeddings` is what is batched across clips.
        """
        wave = np.pad(wave, (0, max(0, SPEECH_EMBEDDING_MIN_SAMPLES - len(wave))))
        pcm = np.clip(wave * INT16_SCALE, -INT16_SCALE - 1, INT16_SCALE)[None, :].astype(np.float32)
        return self._mel.run(None, {"input": pcm})[0][0, 0] / 10 + 2  # openwakeword's scaling to match TF

    def window_embeddings(self, windows: np.ndarray) -> np.ndarray:
        """96-d embeddings (n, 96) float32 of log-mel windows (n, 76, 32), up to SPEECH_EMBEDDING_BATCH_WINDOWS
        per model call (each window's row is the same whatever else is in the call)."""
        stacked = np.asarray(windows, np.float32)[..., None]
        rows = [self._embedding.run(None, {"input_1": stacked[s:s + SPEECH_EMBEDDING_BATCH_WINDOWS]})[0]
                for s in range(0, len(stacked), SPEECH_EMBEDDING_BATCH_WINDOWS)]
        return np.concatenate(rows).reshape(len(stacked), self.embedding_size)
