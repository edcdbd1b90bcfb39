"""Loudness and signal-to-noise ratio of one clip, and the dataset's loudness outliers.

Loudness is integrated loudness in LUFS (ITU-R BS.1770-4, K-weighted and gated, measured by pyloudnorm) of the
mono mix the models see: a clip recorded as two identical channels reads about 3 LU lower here than a stereo meter
shows. A 1 kHz sine with a peak of 0.1 (-20 dBFS) reads -23 LUFS.

SNR is estimated from 25 ms frame levels (checks.frame_rms_dbfs), two ways, and the clip's stats say which:
- "speech vs pauses" (clips that are mostly speech: at least SPEECH_MAJORITY of their frames, digital silence
  left out, inside VAD speech regions): the mean power of the speech frames against the median power of the frames outside them,
  the pauses being the background. In a blender clip where VAD takes 4 % for speech, the "pauses" are the
  blender, so that ratio would mean nothing;
- "loud vs quiet frames" (any other clip): the 95th against the 10th percentile of frame power, as NIST's STNR
  does; a steady sound with no quieter part has no measurable noise floor (None).
Both report 10 log10((P_signal - P_noise) / P_noise). Digitally silent frames (zeros, e.g. padding) are not
background and are left out. Only the first method warns: a sound's "noise" may be the sound itself (rain, an
engine), so a low loud-vs-quiet contrast is shown but never called noisy.

>>> tone = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(48000) / 48000)  # 1 s at 1 kHz, peak 0.1 (-20 dBFS)
>>> round(loudness_lufs(tone, sample_rate_hz=48000), 1)
-23.0
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from audiodiag.types import SpeechRegion

LOUDNESS_BLOCK_S = 0.4  # BS.1770 gating block: shorter clips have no integrated loudness
LOUDNESS_OVERLAP = 0.75  # consecutive blocks overlap by this share
LOUDNESS_ABSOLUTE_GATE = -70.0  # LUFS: blocks below are not counted
LOUDNESS_RELATIVE_GATE_LU = 10.0  # ... nor blocks this far below the loudness of the others
DIGITAL_SILENCE_DBFS = -100.0  # frames at or below this are digital silence (zeros, padding), not background
SNR_MIN_FRAMES = 8  # 0.2 s of 25 ms frames on each side at least, or no SNR
SNR_SIGNAL_PERCENTILE = 95.0
SNR_NOISE_PERCENTILE = 10.0
SNR_MIN_CONTRAST_DB = 3.0  # loud vs quiet frames closer than this: a steady sound, no noise floor to measure
SNR_FLOOR_DB = -30.0  # reported when the signal is not above the background at all
SNR_SPEECH = "speech vs pauses"
# a clip (or a dataset: dataset.SPEECH_DATASET_MIN) counts as speech from this share of VAD speech; only then are
# its quiet stretches pauses between words (the SNR's background; long pauses worth a warning: checks.clip_findings)
SPEECH_MAJORITY = 0.5
SNR_FRAMES = "loud vs quiet frames"
# Dataset loudness outliers: outside Tukey's fences (1.5 x the interquartile range beyond the middle half) and at
# least LOUDNESS_OUTLIER_LU from the median, so a tightly normalised set does not flag 2-LU differences.
LOUDNESS_MIN_CLIPS = 5
LOUDNESS_IQR_FENCE = 1.5
LOUDNESS_OUTLIER_LU = 10.0


def loudness_lufs(samples: np.ndarray, *, sample_rate_hz: int) -> float | None:
    """Integrated loudness (LUFS, BS.1770) of a mono signal; None when shorter than one 0.4-s block or silent.

    The number `pyloudnorm.Meter(rate).integrated_loudness` returns (tests compare them): its K-weighting filters,
    with the gating's block energies summed in numpy instead of a Python loop over the blocks (1.1 s of its 1.6 s
    on a 10-minute clip).
    """
    n = len(samples)
    block = LOUDNESS_BLOCK_S * sample_rate_hz
    if n < block:
        return None
    y = np.asarray(samples, np.float64)
    for stage in _k_weighting(sample_rate_hz):
        y = stage.apply_filter(y)
    step = 1.0 - LOUDNESS_OVERLAP
    starts = np.arange(int(np.round((n / sample_rate_hz - LOUDNESS_BLOCK_S) / (LOUDNESS_BLOCK_S * step))) + 1)
    lower = (LOUDNESS_BLOCK_S * (starts * step) * sample_rate_hz).astype(int)  # pyloudnorm's block bounds
    upper = np.minimum((LOUDNESS_BLOCK_S * (starts * step + 1) * sample_rate_hz).astype(int), n)
    # energy between consecutive bounds (one pass), then each block's as a sum of those pieces
    bounds = np.unique(np.r_[lower, upper[upper < n]])
    energy = np.r_[0.0, np.cumsum(np.add.reduceat(np.square(y), bounds))]
    position = np.searchsorted(np.r_[bounds, n], np.r_[lower, upper])
    z = (energy[position[len(lower):]] - energy[position[:len(lower)]]) / block
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(z)
    above = level >= LOUDNESS_ABSOLUTE_GATE
    if not above.any():
        return None
    relative = -0.691 + 10 * np.log10(np.mean(z[above])) - LOUDNESS_RELATIVE_GATE_LU
    gated = (level > relative) & (level > LOUDNESS_ABSOLUTE_GATE)
    return float(-0.691 + 10 * np.log10(np.mean(z[gated]))) if gated.any() else None


@lru_cache(maxsize=8)
def _k_weighting(sample_rate_hz: int) -> tuple:
    """BS.1770's K-weighting as pyloudnorm's Meter builds it: a +4 dB high shelf at 1.5 kHz, then a 38 Hz high pass.
    Imported here: pyloudnorm pulls scipy.signal, seconds on a cold start."""
    from pyloudnorm.iirfilter import IIRfilter

    return (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate_hz, "high_shelf"),
            IIRfilter(0.0, 0.5, 38.0, sample_rate_hz, "high_pass"))


def speech_frames(regions: Sequence[SpeechRegion], *, n_frames: int, frame_s: float) -> np.ndarray:
    """Boolean mask of the frames whose centre lies inside a speech region."""
    centres = (np.arange(n_frames) + 0.5) * frame_s
    mask = np.zeros(n_frames, bool)
    for r in regions:
        mask |= (centres >= r.start_s) & (centres < r.end_s)
    return mask


def snr_db(frame_levels_dbfs: np.ndarray, *, speech: np.ndarray | None = None) -> tuple[float | None, str]:
    """(SNR in dB or None, the method used) from frame levels; `speech` marks the speech frames (None: no VAD).
    Speech vs pauses only when speech is at least SPEECH_MAJORITY of the frames that are not digital silence.

    >>> snr_db(np.r_[np.full(20, -20.0), np.full(20, -40.0)])  # a sound 20 dB above its background
    (19.956..., 'loud vs quiet frames')
    """
    power = 10 ** (np.asarray(frame_levels_dbfs, np.float64) / 10)
    live = frame_levels_dbfs > DIGITAL_SILENCE_DBFS
    n_speech = 0 if speech is None else int(np.sum(speech & live))
    if (n_speech >= SNR_MIN_FRAMES and np.sum(~speech & live) >= SNR_MIN_FRAMES
            and n_speech >= SPEECH_MAJORITY * np.sum(live)):
        return _ratio_db(float(np.mean(power[speech & live])), float(np.median(power[~speech & live]))), SNR_SPEECH
    if np.sum(live) < 2 * SNR_MIN_FRAMES:
        return None, SNR_FRAMES
    loud, quiet = np.percentile(power[live], [SNR_SIGNAL_PERCENTILE, SNR_NOISE_PERCENTILE])
    if loud < quiet * 10 ** (SNR_MIN_CONTRAST_DB / 10):
        return None, SNR_FRAMES
    return _ratio_db(float(loud), float(quiet)), SNR_FRAMES


def _ratio_db(signal_power: float, noise_power: float) -> float:
    return float(max(SNR_FLOOR_DB, 10 * np.log10(max(signal_power - noise_power, 1e-30) / noise_power)))


def loudness_outliers(names: Sequence[str], loudness: Sequence[float | None]) -> list[tuple[str, float, float, float, float]]:
    """(name, LUFS, dataset median, lower fence, upper fence) of each clip whose loudness is far from the rest.

    Clips without a loudness (too short, silent) are not judged; fewer than LOUDNESS_MIN_CLIPS measured: none.
    """
    measured = [(n, v) for n, v in zip(names, loudness, strict=True) if v is not None]
    if len(measured) < LOUDNESS_MIN_CLIPS:
        return []
    values = np.array([v for _, v in measured])
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    low = min(q1 - LOUDNESS_IQR_FENCE * (q3 - q1), median - LOUDNESS_OUTLIER_LU)
    high = max(q3 + LOUDNESS_IQR_FENCE * (q3 - q1), median + LOUDNESS_OUTLIER_LU)
    return [(n, float(v), float(median), float(low), float(high)) for n, v in measured if v < low or v > high]
