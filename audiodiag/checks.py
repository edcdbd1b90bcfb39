"""Per-clip measurements and the warnings they lead to. Each measure is a small pure function.

Conventions: dBFS is relative to digital full scale (|x| = 1.0), so a full-scale sine has a peak of
0 dBFS and an RMS of -3.01 dBFS. Silence is judged on non-overlapping 25 ms frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from audiodiag.types import Clip, Finding, SpeechRegion

DBFS_FLOOR = -120.0  # reported instead of -inf for digital silence
FRAME_LENGTH_S = 0.025
# A frame is silent when its RMS is below -60 dBFS, or more than 40 dB below the clip's loudest frame
# (so quiet recordings and noisy ones are judged on their own scale).
SILENCE_FLOOR_DBFS = -60.0
SILENCE_TOP_DB = 40.0
CLIPPING_LEVEL = 0.99  # |x| at or above this, held for CLIPPED_RUN_SAMPLES equal samples, is clipped
CLIPPED_RUN_SAMPLES = 3
BANDWIDTH_ENERGY = 0.99  # effective bandwidth: frequency below which 99 % of the energy lies
BAND_LIMIT_ENERGY = 0.9999  # band limit: 99.99 %; an upsampled file has ~nothing above its old Nyquist
BAND_LIMIT_WARN_FRACTION = 0.5  # warn when the band limit is below half the file's Nyquist
MAX_SPECTRUM_SEGMENTS = 400  # Welch segments averaged for the bandwidth (evenly spread over long clips)
WELCH_SEGMENT = 2048

# Thresholds for per-clip warnings
WARN_CLIPPING_FRACTION = 0.001
WARN_DC_OFFSET = 0.01
WARN_SILENCE_RATIO = 0.5
WARN_LOW_PEAK_DBFS = -30.0
WARN_HIGH_RATE_HZ = 48_000


@dataclass(frozen=True)
class ClipStats:
    name: str
    label: str | None
    group: str | None
    sample_rate_hz: int
    channels: int
    bit_depth: int | None
    subtype: str
    duration_s: float
    peak_dbfs: float
    rms_dbfs: float
    clipping_fraction: float
    dc_offset: float
    silence_ratio: float
    leading_silence_s: float
    trailing_silence_s: float
    effective_bandwidth_hz: float
    band_limit_hz: float
    speech_fraction: float | None  # None until VAD has run
    non_finite_samples: int

    @property
    def nyquist_hz(self) -> float:
        return self.sample_rate_hz / 2


def to_dbfs(amplitude: float) -> float:
    return float(max(DBFS_FLOOR, 20 * np.log10(max(amplitude, 1e-30))))


def peak_dbfs(samples: np.ndarray) -> float:
    return to_dbfs(float(np.max(np.abs(samples)))) if len(samples) else DBFS_FLOOR


def rms_dbfs(samples: np.ndarray) -> float:
    return to_dbfs(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))) if len(samples) else DBFS_FLOOR


def dc_offset(samples: np.ndarray) -> float:
    return float(np.mean(samples, dtype=np.float64))


def clipping_fraction(samples: np.ndarray) -> float:
    """Fraction of samples in runs of >= CLIPPED_RUN_SAMPLES identical values at |x| >= CLIPPING_LEVEL.

    Requiring flat runs keeps a clean full-scale sine (which touches 1.0 but never stays there) at 0.
    """
    if len(samples) == 0:
        return 0.0
    # Only samples at |x| >= CLIPPING_LEVEL can be in a clipped run, so runs are found among those alone
    # (a run breaks where the index jumps or the value changes); on noisy audio splitting the whole signal
    # into runs allocated several index arrays as long as the clip (0.75 s for 10 minutes at 44.1 kHz).
    loud = np.flatnonzero(np.abs(samples) >= CLIPPING_LEVEL)
    if len(loud) == 0:
        return 0.0
    breaks = np.flatnonzero((np.diff(loud) != 1) | (np.diff(samples[loud]) != 0)) + 1
    lengths = np.diff(np.r_[0, breaks, len(loud)])
    return float(lengths[lengths >= CLIPPED_RUN_SAMPLES].sum() / len(samples))


def frame_rms_dbfs(samples: np.ndarray, *, sample_rate_hz: int) -> np.ndarray:
    """RMS level of each non-overlapping 25 ms frame (the last partial frame included)."""
    frame = max(1, int(round(FRAME_LENGTH_S * sample_rate_hz)))
    n_frames = -(-len(samples) // frame)
    padded = np.zeros(n_frames * frame, np.float32)
    padded[:len(samples)] = samples
    frames = padded.reshape(n_frames, frame)
    counts = np.full(n_frames, frame)
    counts[-1] = len(samples) - (n_frames - 1) * frame
    power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / counts
    return np.maximum(DBFS_FLOOR, 10 * np.log10(np.maximum(power, 1e-30)))


def silent_frames(samples: np.ndarray, *, sample_rate_hz: int) -> np.ndarray:
    """Boolean mask of silent 25 ms frames (see SILENCE_FLOOR_DBFS / SILENCE_TOP_DB)."""
    levels = frame_rms_dbfs(samples, sample_rate_hz=sample_rate_hz)
    threshold = max(SILENCE_FLOOR_DBFS, float(levels.max()) - SILENCE_TOP_DB)
    return levels < threshold


def silence_ratio(samples: np.ndarray, *, sample_rate_hz: int) -> float:
    """Fraction of 25 ms frames that are silent.

    >>> silence_ratio(np.r_[np.sin(np.arange(11200) / 3), np.zeros(4800)], sample_rate_hz=16000)  # ~0.3
    """
    return float(np.mean(silent_frames(samples, sample_rate_hz=sample_rate_hz)))


def edge_silence_s(samples: np.ndarray, *, sample_rate_hz: int) -> tuple[float, float]:
    """Seconds of silence at the start and at the end of the clip."""
    return _edge_silence_s(silent_frames(samples, sample_rate_hz=sample_rate_hz), len(samples) / sample_rate_hz)


def _edge_silence_s(silent: np.ndarray, duration_s: float) -> tuple[float, float]:
    if silent.all():
        return duration_s, duration_s
    leading = int(np.argmin(silent))
    trailing = int(np.argmin(silent[::-1]))
    return min(duration_s, leading * FRAME_LENGTH_S), min(duration_s, trailing * FRAME_LENGTH_S)


def power_spectrum(samples: np.ndarray, *, sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """Average power spectrum (Welch); long clips use MAX_SPECTRUM_SEGMENTS evenly spread segments."""
    nperseg = min(WELCH_SEGMENT, len(samples))
    n_segments = len(samples) // nperseg
    if n_segments > MAX_SPECTRUM_SEGMENTS:
        starts = np.linspace(0, len(samples) - nperseg, MAX_SPECTRUM_SEGMENTS).astype(int)
        samples = np.concatenate([samples[s:s + nperseg] for s in starts])
    return signal.welch(samples, fs=sample_rate_hz, nperseg=nperseg, noverlap=0)


def bandwidth_hz(samples: np.ndarray, *, sample_rate_hz: int, energy: float = BANDWIDTH_ENERGY) -> float:
    """Lowest frequency below which `energy` (default 99 %) of the spectral energy lies."""
    return _bandwidths_hz(*power_spectrum(samples, sample_rate_hz=sample_rate_hz), energies=(energy,))[0]


def _bandwidths_hz(freqs: np.ndarray, power: np.ndarray, *, energies: tuple[float, ...]) -> list[float]:
    total = power.sum()
    if total <= 0:
        return [0.0] * len(energies)
    cumulative = np.cumsum(power) / total
    return [float(freqs[min(len(freqs) - 1, np.searchsorted(cumulative, e))]) for e in energies]


def clip_stats(clip: Clip, *, speech: list[SpeechRegion] | None = None) -> ClipStats:
    """All per-clip measurements; `speech` is the VAD result (None: not run)."""
    from audiodiag.vad import speech_fraction

    x, sr = clip.samples, clip.sample_rate_hz
    silent = silent_frames(x, sample_rate_hz=sr)  # computed once, used for the ratio and the edges
    leading, trailing = _edge_silence_s(silent, clip.duration_s)
    bandwidth, band_limit = _bandwidths_hz(*power_spectrum(x, sample_rate_hz=sr),
                                           energies=(BANDWIDTH_ENERGY, BAND_LIMIT_ENERGY))
    return ClipStats(
        name=clip.name, label=clip.label, group=clip.group, sample_rate_hz=clip.original_sample_rate_hz,
        channels=clip.original_channels, bit_depth=clip.bit_depth, subtype=clip.subtype,
        duration_s=clip.duration_s, peak_dbfs=peak_dbfs(x), rms_dbfs=rms_dbfs(x),
        clipping_fraction=clipping_fraction(x), dc_offset=dc_offset(x),
        silence_ratio=float(np.mean(silent)), leading_silence_s=leading,
        trailing_silence_s=trailing, effective_bandwidth_hz=bandwidth, band_limit_hz=band_limit,
        speech_fraction=None if speech is None else speech_fraction(speech, duration_s=clip.duration_s),
        non_finite_samples=clip.non_finite_count,
    )


def clip_findings(s: ClipStats) -> list[Finding]:
    """Warnings for one clip. Each names the file, the measured value, what was expected and what to do."""
    out: list[Finding] = []

    def add(code: str, severity: str, message: str) -> None:
        out.append(Finding(code, severity, f"{s.name}: {message}", (s.name,)))

    if s.non_finite_samples:
        add("non_finite", "error", f"{s.non_finite_samples} NaN/Inf samples (expected none; they were set to 0 "
            "here, but a model would output NaN): fix the export or drop the file")
    if s.clipping_fraction > WARN_CLIPPING_FRACTION:
        add("clipping", "warning", f"{s.clipping_fraction:.2%} of samples are clipped at full scale (expected "
            f"< {WARN_CLIPPING_FRACTION:.1%}): re-record with less gain or drop the clip")
    if abs(s.dc_offset) > WARN_DC_OFFSET:
        add("dc_offset", "warning", f"DC offset {s.dc_offset:+.3f} (expected |offset| < {WARN_DC_OFFSET}): "
            "remove it with a high-pass filter (e.g. 20 Hz) before feature extraction")
    if s.silence_ratio >= 1.0:
        add("all_silent", "error", f"the whole clip is silent (every 25 ms frame below "
            f"{SILENCE_FLOOR_DBFS:.0f} dBFS; peak {s.peak_dbfs:.1f} dBFS): check the recording or drop it")
    elif s.silence_ratio > WARN_SILENCE_RATIO:
        add("mostly_silent", "warning", f"{s.silence_ratio:.0%} of 25 ms frames are silent (expected < "
            f"{WARN_SILENCE_RATIO:.0%}; leading {s.leading_silence_s:.2f} s, trailing {s.trailing_silence_s:.2f} s): "
            "trim silence (e.g. librosa.effects.trim) so models do not learn from the padding")
    if s.peak_dbfs < WARN_LOW_PEAK_DBFS and s.silence_ratio < 1.0:
        add("low_level", "info", f"peak level {s.peak_dbfs:.1f} dBFS (expected above {WARN_LOW_PEAK_DBFS:.0f} "
            "dBFS): very quiet; normalise loudness if other clips are much louder")
    if s.band_limit_hz < BAND_LIMIT_WARN_FRACTION * s.nyquist_hz and s.silence_ratio < 1.0:
        add("band_limited", "warning", f"content stops near {s.band_limit_hz / 1000:.1f} kHz (99 % of energy "
            f"below {s.effective_bandwidth_hz / 1000:.1f} kHz) although the file is {s.sample_rate_hz} Hz "
            f"(Nyquist {s.nyquist_hz / 1000:.1f} kHz): upsampled or band-limited audio; treat its real rate as "
            f"~{2 * s.band_limit_hz / 1000:.0f} kHz and do not expect content above {s.band_limit_hz / 1000:.1f} kHz")
    if s.bit_depth == 8:
        add("low_bit_depth", "warning", f"{s.subtype} (8-bit) audio has ~48 dB dynamic range (expected 16-bit "
            "or more): quantisation noise can mask quiet sounds; re-export at 16 bit if the source allows")
    if s.channels > 2:
        add("many_channels", "info", f"{s.channels} channels were averaged into mono (expected 1-2): "
            "if channels hold different microphones, pick one channel instead")
    if s.sample_rate_hz > WARN_HIGH_RATE_HZ:
        add("high_sample_rate", "info", f"{s.sample_rate_hz} Hz (above {WARN_HIGH_RATE_HZ} Hz): content above "
            "the target model's Nyquist is discarded when resampling; fine, but it costs memory")
    return out
