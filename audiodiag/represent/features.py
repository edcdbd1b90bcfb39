"""Rung 1 of the ladder: the spectral baseline (MFCC, delta MFCC, log-mel and spectral descriptors).

One power spectrogram per clip feeds everything: mel bands, MFCC (a DCT of the log-mel, as
`librosa.feature.mfcc`), the descriptors and their time statistics. Equal-length clips are stacked and
transformed together, which is where the speed comes from (see benchmarks/bench_compare.py, P3).

>>> t = np.arange(8000) / 16000                   # 0.5 s at 16 kHz
>>> clips = [Clip(f"{f}.wav", np.sin(2 * np.pi * f * t).astype(np.float32), 16000, 16000, 1) for f in (440, 880)]
>>> X = spectral_features(clips)                  # (n_clips, d) float32
>>> names = feature_names(FeatureSettings())      # d column names, same order
>>> X.shape, X.dtype, len(names)
((2, 218), dtype('float32'), 218)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from audiodiag.data.decoding import resample_clip
from audiodiag.errors import BadDataError, BadParameterError
from audiodiag.threads import one_blas_thread
from audiodiag.types import Clip

# The same floors as librosa.power_to_db / librosa.feature.mfcc defaults, so our MFCC equals theirs.
POWER_FLOOR = 1e-10
TOP_DB = 80.0  # log-mel is clipped to (clip's loudest bin − 80 dB)
DELTA_WIDTH_FRAMES = 9  # librosa.feature.delta default: a 9-frame (90 ms at 10 ms hops) regression
ROLLOFF_FRACTION = 0.85  # rolloff: frequency below which 85 % of the magnitude lies (librosa default)
ZERO_THRESHOLD = 1e-10  # |x| below this counts as 0 (and 0 as positive) when counting zero crossings
BATCH_ELEMENTS = 1_000_000  # frames × n_fft per STFT batch (~4 MB float32, ~20 one-second clips): stays in cache
FFT_WORKERS = -1  # scipy.fft threads: all cores, as BLAS already uses for the mel matmul
STATISTICS = ("mean", "std")
DESCRIPTORS = ("spectral_centroid_hz", "spectral_bandwidth_hz", "spectral_rolloff_hz", "spectral_flatness",
               "zero_crossing_rate")


@dataclass(frozen=True)
class FeatureSettings:
    """Analysis settings of the spectral baseline; the Compare page shows and records `as_dict()`."""

    sample_rate_hz: int = 16_000
    n_mels: int = 64
    n_mfcc: int = 20
    n_fft: int = 512  # samples per analysis window: 32 ms at 16 kHz
    hop_length: int = 160  # samples between frames: 10 ms at 16 kHz

    def __post_init__(self) -> None:
        for name in ("sample_rate_hz", "n_mels", "n_mfcc", "n_fft", "hop_length"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise BadParameterError(f"FeatureSettings.{name}={value!r}; it must be a positive integer")
        if self.n_mfcc > self.n_mels:
            raise BadParameterError(f"FeatureSettings.n_mfcc={self.n_mfcc} exceeds n_mels={self.n_mels}; the "
                                    "MFCC are the first DCT coefficients of the mel bands: lower n_mfcc")
        if self.n_fft % 2:
            raise BadParameterError(f"FeatureSettings.n_fft={self.n_fft} is odd; use an even window, e.g. 512")

    @property
    def window_s(self) -> float:
        return self.n_fft / self.sample_rate_hz

    @property
    def hop_s(self) -> float:
        return self.hop_length / self.sample_rate_hz

    def as_dict(self) -> dict[str, int | float]:
        """Every setting plus the window and hop in seconds, for display and the decision note."""
        return {**asdict(self), "window_s": self.window_s, "hop_s": self.hop_s}


def frame_feature_names(settings: FeatureSettings = FeatureSettings()) -> list[str]:
    """Names of the per-frame values whose time statistics make up the feature vector."""
    return ([f"mfcc_{i:02d}" for i in range(settings.n_mfcc)]
            + [f"delta_mfcc_{i:02d}" for i in range(settings.n_mfcc)]
            + [f"logmel_db_{i:02d}" for i in range(settings.n_mels)]
            + list(DESCRIPTORS))


def feature_names(settings: FeatureSettings = FeatureSettings()) -> list[str]:
    """One name per column of `spectral_features`: every per-frame value's mean, then every std."""
    frame_names = frame_feature_names(settings)
    return [f"{name}_{stat}" for stat in STATISTICS for name in frame_names]


def spectral_features(clips: Sequence[Clip], *, settings: FeatureSettings = FeatureSettings()) -> np.ndarray:
    """Spectral baseline features, one row per clip.

    Each clip is resampled to `settings.sample_rate_hz`; then MFCC, delta MFCC, log-mel band levels (dB)
    and five descriptors (centroid, bandwidth, rolloff in Hz; flatness; zero-crossing rate) are computed
    per frame and summarised by their mean and std over time. Columns are named by `feature_names`.

    Returns
    -------
    np.ndarray, shape (len(clips), len(feature_names(settings))), float32; deterministic, and the same on any
    number of cores: BLAS runs single-threaded here (its threads split sums differently, up to 4e-6 apart), so
    a Ray worker and this process give identical rows.

    >>> clip = Clip("a.wav", np.sin(np.arange(8000, dtype=np.float32) / 5), 8000, 8000, 1)  # 1 s at 8 kHz
    >>> X = spectral_features([clip])
    >>> X.shape
    (1, 218)
    """
    with one_blas_thread():
        return _spectral_features(clips, settings)


def _spectral_features(clips: Sequence[Clip], settings: FeatureSettings) -> np.ndarray:
    n_columns = len(feature_names(settings))
    signals = []
    for clip in clips:
        resampled = resample_clip(clip, target_sample_rate_hz=settings.sample_rate_hz).samples
        if len(resampled) == 0:
            raise BadDataError(f"{clip.name}: has no samples; remove it from the dataset")
        signals.append(np.asarray(resampled, dtype=np.float32))
    out = np.empty((len(signals), n_columns), dtype=np.float32)
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(signals):
        by_length.setdefault(len(x), []).append(i)
    for length, indices in by_length.items():
        n_frames = 1 + length // settings.hop_length
        per_batch = max(1, BATCH_ELEMENTS // (n_frames * settings.n_fft))
        for start in range(0, len(indices), per_batch):
            rows = indices[start:start + per_batch]
            out[rows] = _batch_features(np.stack([signals[i] for i in rows]), settings)
    return out


# ---------------------------------------------------------------- per-frame maths on a batch

def _batch_features(batch: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """(n_clips, n_samples) equal-length signals -> (n_clips, n_columns) time statistics."""
    power = power_spectrogram(batch, settings=settings)  # (B, frames, bins)
    log_mel = log_mel_db(power, settings=settings)
    import scipy.fft  # ~0.5 s to import: only once features are computed

    mfcc = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=-1)[..., :settings.n_mfcc]
    per_frame = np.concatenate(
        [mfcc, _delta(mfcc), log_mel, _spectral_descriptors(power, settings),
         _zero_crossing_rate(batch, settings)[..., None]], axis=-1)
    return np.concatenate([per_frame.mean(axis=1), per_frame.std(axis=1)], axis=-1)


def power_spectrogram(batch: np.ndarray, *, settings: FeatureSettings = FeatureSettings()) -> np.ndarray:
    """|STFT|² of equal-length signals, as librosa.stft(center=True, pad_mode="constant", window="hann").

    batch: (n_clips, n_samples) float32 at settings.sample_rate_hz. Returns (n_clips, frames, n_fft/2 + 1)
    float32, time-major so mel and DCT are plain matmuls over the last axis.
    """
    n_clips, n_samples = batch.shape
    half = settings.n_fft // 2
    padded = np.zeros((n_clips, n_samples + 2 * half), dtype=np.float32)
    padded[:, half:half + n_samples] = batch
    return power_of_frames(sliding_window_view(padded, settings.n_fft, axis=1)[:, ::settings.hop_length],
                           settings=settings)


def stft_frames(wave: np.ndarray, *, settings: FeatureSettings = FeatureSettings()) -> np.ndarray:
    """The centred, zero-padded analysis frames of one signal of any length: (frames, n_fft), a view."""
    half = settings.n_fft // 2
    padded = np.zeros(len(wave) + 2 * half, dtype=np.float32)
    padded[half:half + len(wave)] = wave
    return sliding_window_view(padded, settings.n_fft)[::settings.hop_length]


def power_of_frames(frames: np.ndarray, *, settings: FeatureSettings = FeatureSettings()) -> np.ndarray:
    """|rFFT|² of Hann-windowed frames (..., n_fft) → (..., n_fft/2 + 1) float32."""
    import scipy.fft

    spectrum = scipy.fft.rfft(frames * _window(settings.n_fft), axis=-1, overwrite_x=True, workers=FFT_WORKERS)
    parts = spectrum.view(np.float32)  # re, im interleaved: square in place, then add the pairs
    parts *= parts
    return parts[..., 0::2] + parts[..., 1::2]


def log_mel_db(power: np.ndarray, *, settings: FeatureSettings = FeatureSettings()) -> np.ndarray:
    """Mel band power in dB (librosa.power_to_db(ref=1, amin=1e-10, top_db=80), top_db per clip)."""
    mel = power @ mel_filters(settings).T
    db = 10.0 * np.log10(np.maximum(mel, POWER_FLOOR))
    loudest = db.max(axis=(1, 2), keepdims=True)
    return np.maximum(db, loudest - TOP_DB)


def _delta(values: np.ndarray) -> np.ndarray:
    """librosa.feature.delta along time (axis 1); shorter clips use the widest odd window that fits."""
    n_frames = values.shape[1]
    width = min(DELTA_WIDTH_FRAMES, n_frames if n_frames % 2 else n_frames - 1)
    if width < 3:  # fewer than 3 frames (< 20 ms at 10 ms hops): no slope to measure
        return np.zeros_like(values)
    from scipy import signal  # scipy.signal costs ~1.5 s to import; only the baseline needs it

    return signal.savgol_filter(values, width, deriv=1, polyorder=1, axis=1, mode="interp").astype(np.float32)


def _spectral_descriptors(power: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Centroid, bandwidth, rolloff (Hz, magnitude-weighted as librosa) and flatness (on power), per frame."""
    freqs = _frequencies_hz(settings)
    magnitude = np.sqrt(power)
    # one matmul gives the magnitude sum and the first two frequency moments of every frame
    total, first, second = np.moveaxis(magnitude @ _moment_matrix(settings), -1, 0)
    silent = total <= 0
    safe_total = np.where(silent, 1.0, total)
    centroid = first / safe_total
    bandwidth = np.sqrt(np.maximum(second / safe_total - np.square(centroid), 0.0))
    cumulative = np.cumsum(magnitude, axis=-1, out=magnitude)
    rolloff = freqs[np.argmax(cumulative >= ROLLOFF_FRACTION * total[..., None], axis=-1)]
    floored = np.maximum(power, POWER_FLOOR)
    bin_average = _bin_average(settings)
    arithmetic_mean = floored @ bin_average
    geometric_mean = np.exp(np.log(floored, out=floored) @ bin_average)
    centroid[silent] = bandwidth[silent] = rolloff[silent] = 0.0
    return np.stack([centroid, bandwidth, rolloff, geometric_mean / arithmetic_mean], axis=-1).astype(np.float32)


def _zero_crossing_rate(batch: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Sign changes per sample in each n_fft window on the same frame grid (edge-padded, as librosa)."""
    half = settings.n_fft // 2
    negative = np.pad(batch < -ZERO_THRESHOLD, ((0, 0), (half, half)), mode="edge")  # |x| ≤ threshold is +
    crossings = np.zeros(negative.shape, dtype=np.int32)  # crossings[:, j]: sign changes among samples 0..j
    np.cumsum(negative[:, 1:] != negative[:, :-1], axis=1, out=crossings[:, 1:])
    starts = np.arange(0, batch.shape[1] + 1, settings.hop_length)
    return (crossings[:, starts + settings.n_fft - 1] - crossings[:, starts]) / np.float32(settings.n_fft)


@lru_cache(maxsize=8)
def _window(n_fft: int) -> np.ndarray:
    """Periodic Hann window, as scipy.signal.get_window("hann", n_fft) (without importing scipy.signal)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


# Slaney's mel scale (librosa's default, htk=False): linear up to 1 kHz, logarithmic above
_MEL_LINEAR_HZ_PER_MEL = 200.0 / 3
_MEL_BREAK_HZ = 1000.0
_MEL_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    break_mel = _MEL_BREAK_HZ / _MEL_LINEAR_HZ_PER_MEL
    above = break_mel + np.log(np.maximum(hz, _MEL_BREAK_HZ) / _MEL_BREAK_HZ) / _MEL_LOG_STEP
    return np.where(hz >= _MEL_BREAK_HZ, above, hz / _MEL_LINEAR_HZ_PER_MEL)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    break_mel = _MEL_BREAK_HZ / _MEL_LINEAR_HZ_PER_MEL
    above = _MEL_BREAK_HZ * np.exp(_MEL_LOG_STEP * (np.maximum(mel, break_mel) - break_mel))
    return np.where(mel >= break_mel, above, mel * _MEL_LINEAR_HZ_PER_MEL)


def mel_frequencies(*, n_mels: int, fmax: float, fmin: float = 0.0) -> np.ndarray:
    """n_mels frequencies (Hz) evenly spaced on the mel scale from fmin to fmax, as librosa.mel_frequencies."""
    return mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels))


@lru_cache(maxsize=8)
def mel_filters(settings: FeatureSettings) -> np.ndarray:
    """Triangular, area-normalised (Slaney) mel filter bank, shape (n_mels, n_fft/2 + 1), float32.

    Equal to librosa.filters.mel(sr=, n_fft=, n_mels=) (tests/test_features.py checks it), built here because
    importing librosa.filters pulls in scipy.signal and numba: seconds before the first spectrogram.
    """
    bins_hz = np.linspace(0.0, settings.sample_rate_hz / 2, settings.n_fft // 2 + 1)
    edges_hz = mel_frequencies(n_mels=settings.n_mels + 2, fmax=settings.sample_rate_hz / 2)
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz - lower) / (centre - lower)
    falling = (upper - bins_hz) / (upper - centre)
    triangles = np.maximum(0.0, np.minimum(rising, falling))
    return (triangles * (2.0 / (upper - lower))).astype(np.float32)


@lru_cache(maxsize=8)
def _moment_matrix(settings: FeatureSettings) -> np.ndarray:
    freqs = _frequencies_hz(settings)
    return np.stack([np.ones_like(freqs), freqs, np.square(freqs)], axis=1)


@lru_cache(maxsize=8)
def _bin_average(settings: FeatureSettings) -> np.ndarray:
    return np.full(settings.n_fft // 2 + 1, 1.0 / (settings.n_fft // 2 + 1), dtype=np.float32)


@lru_cache(maxsize=8)
def _frequencies_hz(settings: FeatureSettings) -> np.ndarray:
    return np.fft.rfftfreq(settings.n_fft, d=1.0 / settings.sample_rate_hz).astype(np.float32)
