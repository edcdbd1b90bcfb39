"""Bundled speaker encoder: Resemblyzer's GE2E voice encoder, whose weights ship in the `resemblyzer` wheel.

The model (Wan et al., "Generalized end-to-end loss for speaker verification", 2018; the package does not state
what it was trained on) is a 3-layer LSTM (256 units) over 40 mel bands of power (not log) at 16 kHz, 25-ms
windows every 10 ms; the last layer's final hidden state goes through a linear
layer and a ReLU and is L2-normalised: 256 numbers per 1.6-s partial utterance. A clip's embedding is the
L2-normalised mean of its partials, one every 77 frames (1.3 per second); a last partial with less than 75 % real
audio is dropped unless it is the only one, and the clip is zero-padded to cover the partials it keeps.

`resemblyzer` 0.1.4 is installed with `--no-deps` (requirements-nodeps.txt): importing it needs webrtcvad (no
wheel: built from source, and it imports pkg_resources, gone from setuptools 81) and the deprecated
`scipy.ndimage.morphology`, and its metadata requires the Python 2 `typing` backport. Nothing of it is imported here: `pretrained.pt` is checked against the wheel's sha256 and loaded with `torch.load(...,
weights_only=True)` into the small module below; the front end and the partials are written from the method and
match the package's numbers (tests/test_speakers.py, against tools/make_speaker_reference.py). As the package's
`preprocess_wav` does, quiet clips are raised to -30 dBFS RMS first (never lowered); its webrtcvad trimming of
long silences is not done.

Not run as a doctest (importing torch and loading the weights takes a second)::

    encoder = SpeakerEncoder()
    encoder.embed(clips).shape            # (len(clips), 256), float32, rows of unit length
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audiodiag.errors import MissingDependencyError
from audiodiag.represent.encoders.base import (
    check_clips,
    chunks,
    last_layer_only,
    package_version,
    resampled,
    verify_weights,
)
from audiodiag.represent.features import FeatureSettings, mel_filters, power_of_frames, stft_frames
from audiodiag.types import Clip

SPEAKER_ENCODER = "speaker encoder (resemblyzer)"
RESEMBLYZER_VERSION = "0.1.4"
RESEMBLYZER_INSTALL = f"pip install --no-deps resemblyzer=={RESEMBLYZER_VERSION}"
RESEMBLYZER_WEIGHTS = "pretrained.pt"  # inside the installed package
RESEMBLYZER_WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"  # wheel RECORD
RESEMBLYZER_LICENCE = "Apache-2.0 (the wheel's classifier and LICENSE file)"
SPEAKER_SAMPLE_RATE_HZ = 16_000
SPEAKER_WINDOW_SAMPLES = 400  # 25 ms
SPEAKER_HOP_SAMPLES = 160  # 10 ms: one mel frame
SPEAKER_N_MELS = 40
SPEAKER_PARTIAL_FRAMES = 160  # 1.6 s per partial utterance
SPEAKER_PARTIALS_PER_S = 1.3
SPEAKER_MIN_COVERAGE = 0.75  # a last partial with less real audio than this is dropped (unless it is the only one)
SPEAKER_TARGET_DBFS = -30.0  # quieter clips are raised to this RMS level; louder ones are left as they are
SPEAKER_HIDDEN = 256
SPEAKER_LAYERS = 3
SPEAKER_EMBEDDING_SIZE = 256
SPEAKER_BATCH_PARTIALS = 64
SPEAKER_BATCH_CLIPS = 64  # clips whose spectrograms are computed together (memory: their frames × 400 floats)
INT16_MAX = 2 ** 15 - 1  # the package measures RMS on the 16-bit scale
NORM_FLOOR = 1e-12  # an all-zero row stays zero instead of dividing by zero


def weights_path() -> Path:
    """Where the installed wheel keeps `pretrained.pt` (found without importing the package)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"the speaker encoder needs the resemblyzer wheel, which ships its weights: run "
            f"`{RESEMBLYZER_INSTALL}` (--no-deps: its own requirements do not install on Python 3.11)")
    return Path(next(iter(spec.submodule_search_locations))) / RESEMBLYZER_WEIGHTS


def partial_starts(n_samples: int) -> list[int]:
    """First mel frame of each 160-frame partial utterance of a clip of `n_samples` (at 16 kHz).

    >>> partial_starts(16_000), partial_starts(40_000), partial_starts(70_240)   # 1 s, 2.5 s, 4.39 s
    ([0], [0, 77], [0, 77, 154, 231, 308])
    """
    n_frames = int(np.ceil((n_samples + 1) / SPEAKER_HOP_SAMPLES))
    step = int(np.round(SPEAKER_SAMPLE_RATE_HZ / SPEAKER_PARTIALS_PER_S / SPEAKER_HOP_SAMPLES))
    starts = list(range(0, max(1, n_frames - SPEAKER_PARTIAL_FRAMES + step + 1), step))
    last = starts[-1] * SPEAKER_HOP_SAMPLES
    coverage = (n_samples - last) / (SPEAKER_PARTIAL_FRAMES * SPEAKER_HOP_SAMPLES)
    if coverage < SPEAKER_MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def raised_to_target(wave: np.ndarray) -> np.ndarray:
    """The clip scaled up to -30 dBFS RMS when it is quieter; louder (and silent) clips unchanged."""
    rms = float(np.sqrt(np.mean(np.square(wave.astype(np.float64) * INT16_MAX))))
    if rms <= 0.0:
        return wave
    change_db = SPEAKER_TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    return wave if change_db < 0 else (wave * 10 ** (change_db / 20)).astype(np.float32)


SPEAKER_FEATURES = FeatureSettings(sample_rate_hz=SPEAKER_SAMPLE_RATE_HZ, n_mels=SPEAKER_N_MELS, n_mfcc=1,
                                   n_fft=SPEAKER_WINDOW_SAMPLES, hop_length=SPEAKER_HOP_SAMPLES)


def mel_power(wave: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram: 25-ms Hann windows every 10 ms, centred, Slaney mel filters (what
    `librosa.feature.melspectrogram` computes; the baseline's own STFT and mel bank, without importing librosa)."""
    return mel_powers([wave])[0]


def mel_powers(waves: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`mel_power` of each wave, with the frames of all of them in one FFT and one mel product."""
    frames = [stft_frames(np.asarray(w, np.float32), settings=SPEAKER_FEATURES) for w in waves]
    if not frames:
        return []
    mel = power_of_frames(np.concatenate(frames), settings=SPEAKER_FEATURES) @ mel_filters(SPEAKER_FEATURES).T
    return np.split(mel.astype(np.float32), np.cumsum([len(f) for f in frames])[:-1])


def partials(wave: np.ndarray) -> np.ndarray:
    """(partials, 160, 40) mel windows of one 16-kHz clip, zero-padded to cover the last partial kept."""
    return partials_of([wave])[0]


def partials_of(waves: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`partials` of each wave (the spectrograms of SPEAKER_BATCH_CLIPS waves at a time computed together)."""
    out = []
    for chunk in chunks(list(waves), SPEAKER_BATCH_CLIPS):
        starts = [partial_starts(len(w)) for w in chunk]
        padded = [np.pad(w, (0, max(0, (s[-1] + SPEAKER_PARTIAL_FRAMES) * SPEAKER_HOP_SAMPLES - len(w))))
                  for w, s in zip(chunk, starts, strict=True)]
        out += [np.stack([mel[s:s + SPEAKER_PARTIAL_FRAMES] for s in first])
                for mel, first in zip(mel_powers(padded), starts, strict=True)]
    return out


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), NORM_FLOOR)


class SpeakerEncoder:
    """Resemblyzer's voice encoder: one 256-d unit vector per clip; clips of one voice point the same way.

    Every partial has the same shape (160 frames), so partials of many clips are batched and batched ==
    one by one up to float rounding.
    """

    sample_rate_hz = SPEAKER_SAMPLE_RATE_HZ
    embedding_size = SPEAKER_EMBEDDING_SIZE

    def __init__(self) -> None:
        import torch

        path = weights_path()
        state = _weights(path, torch)
        self._torch = torch
        self._lstm = torch.nn.LSTM(SPEAKER_N_MELS, SPEAKER_HIDDEN, SPEAKER_LAYERS, batch_first=True)
        self._linear = torch.nn.Linear(SPEAKER_HIDDEN, SPEAKER_EMBEDDING_SIZE)
        self._lstm.load_state_dict({k[len("lstm."):]: v for k, v in state.items() if k.startswith("lstm.")})
        self._linear.load_state_dict({k[len("linear."):]: v for k, v in state.items() if k.startswith("linear.")})
        self._lstm.eval()
        self._linear.eval()
        self.name = self.encoder_id = SPEAKER_ENCODER
        self.model_bytes = path.stat().st_size
        self.revision = f"resemblyzer=={package_version('resemblyzer')}"
        self.padding_policy = (f"raise to {SPEAKER_TARGET_DBFS:g} dBFS; {SPEAKER_PARTIAL_FRAMES}-frame partials every "
                               f"{SPEAKER_PARTIALS_PER_S:g}/s, zero-padded; mean of unit rows")

    def embed(self, clips: Sequence[Clip], *, layer: int | None = None) -> np.ndarray:
        check_clips(clips, encoder=self.name)
        last_layer_only(layer, encoder=self.name)
        waves = [raised_to_target(wave) for wave in resampled(clips, self.sample_rate_hz)]
        windows = partials_of(waves)
        owners = np.repeat(np.arange(len(clips)), [len(w) for w in windows])
        stacked = np.concatenate(windows)
        rows = np.concatenate([self._embed_partials(stacked[idx])
                               for idx in chunks(list(range(len(stacked))), SPEAKER_BATCH_PARTIALS)])
        sums = np.zeros((len(clips), self.embedding_size), np.float64)
        np.add.at(sums, owners, rows.astype(np.float64))
        return unit_rows(sums / np.bincount(owners, minlength=len(clips))[:, None]).astype(np.float32)

    def _embed_partials(self, mels: np.ndarray) -> np.ndarray:
        """(partials, 256) unit rows: the last layer's final hidden state → linear → ReLU → L2 norm."""
        torch = self._torch
        with torch.inference_mode():
            _, (hidden, _) = self._lstm(torch.from_numpy(np.ascontiguousarray(mels, np.float32)))
            raw = torch.relu(self._linear(hidden[-1])).numpy().astype(np.float64)
        return unit_rows(raw)


def _weights(path: Path, torch) -> dict:
    """The model's tensors from the wheel's checkpoint, loaded without running pickled code."""
    verify_weights(path, sha256=RESEMBLYZER_WEIGHTS_SHA256, what=f"resemblyzer {RESEMBLYZER_VERSION}",
                   install=RESEMBLYZER_INSTALL)
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    return checkpoint["model_state"]
