"""Per-clip measurements and the warnings they lead to. Each measure is a small pure function.

Conventions: dBFS is relative to digital full scale (|x| = 1.0), so a full-scale sine has a peak of
0 dBFS and an RMS of -3.01 dBFS. Silence is judged on non-overlapping 25 ms frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audiodiag.findings import Code
from audiodiag.measure import levels
from audiodiag.types import Clip, Finding, SpeechRegion

DBFS_FLOOR = -120.0  # reported instead of -inf for digital silence
FRAME_LENGTH_S = 0.025
# A frame is silent when its RMS is below -60 dBFS, or more than 40 dB below the clip's loudest frame
# (so quiet recordings and noisy ones are judged on their own scale).
SILENCE_FLOOR_DBFS = -60.0
SILENCE_TOP_DB = 40.0
CLIPPING_LEVEL = 0.99  # a flat top (see below) at |x| >= this is clipped
CLIPPED_RUN_SAMPLES = 3  # ... when at least this many samples sit on it
CLIPPING_RIPPLE = 0.004  # a clipped top may ripple by this much (~130 LSB at 16 bit: -32712, -32762, -32768 ...)
CLIPPING_WIDE_BAND = 9  # a top is flat when widening the band under it 9x adds few samples: a plateau adds only
CLIPPING_MAX_GROWTH = 2.0  # its steep edges, a smooth peak (e.g. a full-scale sine) triples its count (sqrt law)
CEILING_MIN_LEVEL = 0.5  # a file whose loudest samples sit flat at its own lower ceiling (a limiter, a clipping
CEILING_FRACTION = 0.99  # stage before a gain change) is checked at this fraction of that ceiling, when at
CEILING_MIN_RUNS = 3  # least this many flat tops sit there (one flat top is not a ceiling)
BANDWIDTH_ENERGY = 0.99  # effective bandwidth: frequency below which 99 % of the energy lies
# Band limit: a steep edge in the spectrum above which nothing comes back (an upsampled file, an MP3-style
# low-pass). A sound whose spectrum merely rolls off (a hum, a thud) has no such edge and is not band-limited.
BAND_EDGE_DROP_DB = 30.0  # the level just below the edge is >= this above everything above it ...
BAND_EDGE_WIDTH = 0.06  # ... once past a transition of this fraction of the edge frequency (filters: < 5 %)
BAND_EDGE_CONTEXT = 0.2  # "just below": the band from (1 - this) x edge up to the edge
BAND_EDGE_SMOOTH_BINS = 5  # the level above is smoothed over this many bins (one noisy bin is not content)
BAND_EDGE_MIN_HZ = 200.0  # edges are looked for between this and BAND_EDGE_MAX_FRACTION x Nyquist
BAND_EDGE_MAX_FRACTION = 0.92  # (an ADC's own anti-alias filter sits above)
BAND_EDGE_SUSTAINED = 0.75  # the edge is in at least this share of the clip's segments with sound ...
BAND_EDGE_SEGMENT_DROP_DB = 15.0  # ... each with at least this drop (one segment's spectrum is noisier)
BAND_EDGE_ACTIVE_DB = 40.0  # a segment "with sound" is within this of the clip's loudest segment
BAND_LIMIT_WARN_FRACTION = 0.85  # warn when the edge is below this fraction of the file's Nyquist
MAX_SPECTRUM_SEGMENTS = 400  # Welch segments averaged for the bandwidth (evenly spread over long clips)
WELCH_SEGMENT = 2048

# Thresholds for per-clip warnings
WARN_CLIPPING_FRACTION = 0.001
WARN_DC_OFFSET = 0.01
WARN_SILENCE_RATIO = 0.5
EDGE_SILENCE_TRIM_S = 0.05  # leading + trailing silence from which trimming is worth advising ...
EDGE_SILENCE_SHARE = 0.5  # ... when it is at least this share of the clip's silence (else it is pauses inside)
WARN_LOW_PEAK_DBFS = -30.0
WARN_INTERNAL_SILENCE_S = 2.0  # a silence this long inside a clip (not at its ends): a dropout, an edit, a gap
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
    band_limit_hz: float  # frequency of a steep, sustained spectral edge; the Nyquist frequency when there is none
    band_edge_drop_db: float  # how far the level falls across that edge (0 without an edge)
    speech_fraction: float | None  # None until VAD has run
    non_finite_samples: int
    internal_silence_s: float = 0.0  # the longest silence inside the clip, not touching either end
    internal_silence_start_s: float = 0.0  # ... where it starts
    loudness_lufs: float | None = None  # BS.1770 integrated loudness; None: shorter than 0.4 s or silent
    snr_db: float | None = None  # None: not measurable (see audiodiag.measure.levels)
    snr_method: str = ""  # levels.SNR_SPEECH or levels.SNR_FRAMES
    container: str = ""  # libsndfile's major format of the source file (WAV, FLAC, OGG, MP3 ...)

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
    """Fraction of samples on clipped tops: >= CLIPPED_RUN_SAMPLES samples within CLIPPING_RIPPLE of a run's top at
    |x| >= CLIPPING_LEVEL (or at the file's own flat ceiling), where the top is flat rather than a smooth peak.

    Real clipped tops ripple (e.g. -32712, -32762, -32768), so equality is not required. A smooth peak is told
    apart by its shape: the samples within 9x the ripple band of its top are about 3x those within the band
    (a parabola), while a plateau gains only its steep edges. A clean full-scale sine scores 0 at any frequency.
    """
    if len(samples) == 0:
        return 0.0
    magnitude = np.abs(samples)
    clipped = _flat_tops(samples, magnitude, CLIPPING_LEVEL)
    ceiling = float(magnitude.max())
    if not clipped.size and CEILING_MIN_LEVEL <= ceiling < CLIPPING_LEVEL:
        at_ceiling = _flat_tops(samples, magnitude, CEILING_FRACTION * ceiling)
        clipped = at_ceiling if at_ceiling.size >= CEILING_MIN_RUNS else clipped
    return float(clipped.sum() / len(samples))


def _flat_tops(samples: np.ndarray, magnitude: np.ndarray, level: float) -> np.ndarray:
    """Samples on each flat top whose top is at >= level (one count per top)."""
    wide = CLIPPING_WIDE_BAND * CLIPPING_RIPPLE
    # Only samples near the level can be on a top, so runs are found among those alone (a run breaks where the
    # index jumps or the sign flips); splitting the whole signal would allocate clip-long arrays.
    loud = np.flatnonzero(magnitude >= level - wide)
    if len(loud) == 0:
        return np.zeros(0, int)
    breaks = np.flatnonzero((np.diff(loud) != 1) | (np.diff(np.sign(samples[loud])) != 0)) + 1
    starts = np.r_[0, breaks]
    values = magnitude[loud]
    top = np.repeat(np.maximum.reduceat(values, starts), np.diff(np.r_[starts, len(loud)]))
    on_top = np.add.reduceat((values >= top - CLIPPING_RIPPLE).astype(int), starts)
    near_top = np.add.reduceat((values >= top - wide).astype(int), starts)
    flat = ((top[starts] >= level) & (on_top >= CLIPPED_RUN_SAMPLES)
            & (near_top < CLIPPING_MAX_GROWTH * on_top))
    return on_top[flat]


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
    return _silent(frame_rms_dbfs(samples, sample_rate_hz=sample_rate_hz))


def _silent(frame_levels: np.ndarray) -> np.ndarray:
    return frame_levels < max(SILENCE_FLOOR_DBFS, float(frame_levels.max()) - SILENCE_TOP_DB)


def silence_ratio(samples: np.ndarray, *, sample_rate_hz: int) -> float:
    """Fraction of 25 ms frames that are silent.

    >>> silence_ratio(np.r_[np.sin(np.arange(11200) / 3), np.zeros(4800)], sample_rate_hz=16000)  # 0.3 s of zeros
    0.3
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


def internal_silence_s(silent: np.ndarray) -> tuple[float, float]:
    """(length, start) in seconds of the longest run of silent frames that touches neither end of the clip.

    >>> length_s, start_s = internal_silence_s(np.array([0, 1, 1, 1, 0], bool))  # three 25 ms frames from 25 ms
    >>> round(length_s, 3), round(start_s, 3)
    (0.075, 0.025)
    """
    edges = np.flatnonzero(np.diff(np.r_[0, silent.astype(np.int8), 0]))
    starts, ends = edges[::2], edges[1::2]  # runs of silent frames [start, end)
    inside = (starts > 0) & (ends < len(silent))
    if not inside.any():
        return 0.0, 0.0
    longest = int(np.argmax(np.where(inside, ends - starts, -1)))
    return float((ends[longest] - starts[longest]) * FRAME_LENGTH_S), float(starts[longest] * FRAME_LENGTH_S)


def power_spectrum(samples: np.ndarray, *, sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """Average power spectrum (Welch); long clips use MAX_SPECTRUM_SEGMENTS evenly spread segments."""
    freqs, segments = segment_spectra(samples, sample_rate_hz=sample_rate_hz)
    return freqs, segments.mean(axis=1)


def segment_spectra(samples: np.ndarray, *, sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrum of each (non-overlapping, Hann-windowed) segment: (freqs, power of shape (bins, segments)).

    The numbers of scipy.signal.spectrogram(window="hann", noverlap=0, detrend="constant", scaling="density")
    (tests/test_checks.py compares them), in numpy: importing scipy.signal takes seconds, and this runs before
    the first waveform is drawn.
    """
    nperseg = max(1, min(WELCH_SEGMENT, len(samples)))
    n_segments = len(samples) // nperseg
    if n_segments > MAX_SPECTRUM_SEGMENTS:
        starts = np.linspace(0, len(samples) - nperseg, MAX_SPECTRUM_SEGMENTS).astype(int)
        samples = np.concatenate([samples[s:s + nperseg] for s in starts])
    n_segments = max(1, len(samples) // nperseg)
    segments = samples[:n_segments * nperseg].reshape(n_segments, nperseg).astype(np.float64)
    segments -= segments.mean(axis=1, keepdims=True)
    window = _hann(nperseg)
    power = np.abs(np.fft.rfft(segments * window, axis=1)) ** 2 / (sample_rate_hz * np.sum(window ** 2))
    power[:, 1:(-1 if nperseg % 2 == 0 else None)] *= 2  # one-sided: fold the negative frequencies in
    return np.fft.rfftfreq(nperseg, 1 / sample_rate_hz), power.T.astype(samples.dtype, copy=False)


def _hann(n: int) -> np.ndarray:
    """Periodic Hann window, as scipy.signal.get_window("hann", n)."""
    return np.ones(1) if n == 1 else 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def bandwidth_hz(samples: np.ndarray, *, sample_rate_hz: int, energy: float = BANDWIDTH_ENERGY) -> float:
    """Lowest frequency below which `energy` (default 99 %) of the spectral energy lies."""
    return _bandwidths_hz(*power_spectrum(samples, sample_rate_hz=sample_rate_hz), energies=(energy,))[0]


def _bandwidths_hz(freqs: np.ndarray, power: np.ndarray, *, energies: tuple[float, ...]) -> list[float]:
    total = power.sum()
    if total <= 0:
        return [0.0] * len(energies)
    cumulative = np.cumsum(power) / total
    return [float(freqs[min(len(freqs) - 1, np.searchsorted(cumulative, e))]) for e in energies]


def band_edge(freqs: np.ndarray, segments: np.ndarray) -> tuple[float, float]:
    """(edge frequency in Hz, level drop in dB) of the steepest sustained edge, or (Nyquist, 0.0) without one.

    An edge at bin k: the mean level over [(1 - BAND_EDGE_CONTEXT) k, k] is at least BAND_EDGE_DROP_DB above the
    highest (smoothed) level anywhere past (1 + BAND_EDGE_WIDTH) k, in the average spectrum and in at least
    BAND_EDGE_SUSTAINED of the segments that hold sound.
    """
    nyquist = float(freqs[-1]) if len(freqs) else 0.0
    if len(freqs) < 16 or segments.size == 0:
        return nyquist, 0.0
    level = 10 * np.log10(segments.mean(axis=1) + 1e-20)
    half = BAND_EDGE_SMOOTH_BINS // 2  # pad with the edge values: zeros (0 dB) would invent content at the ends
    smooth = np.convolve(np.pad(level, half, mode="edge"), np.ones(2 * half + 1) / (2 * half + 1), mode="valid")
    ceiling_above = np.maximum.accumulate(smooth[::-1])[::-1]  # highest smoothed level from each bin up
    bins = np.arange(len(freqs))
    lo = np.floor((1 - BAND_EDGE_CONTEXT) * bins).astype(int)
    hi = np.ceil((1 + BAND_EDGE_WIDTH) * bins).astype(int) + 1
    valid = (freqs >= BAND_EDGE_MIN_HZ) & (freqs <= BAND_EDGE_MAX_FRACTION * nyquist) & (hi < len(freqs)) & (lo < bins)
    if not valid.any():
        return nyquist, 0.0
    cumulative = np.r_[0.0, np.cumsum(level)]
    below = (cumulative[bins] - cumulative[lo]) / np.maximum(bins - lo, 1)
    drop = np.where(valid, below - ceiling_above[np.minimum(hi, len(freqs) - 1)], -np.inf)
    k = int(np.argmax(drop))
    if drop[k] < BAND_EDGE_DROP_DB:
        return nyquist, 0.0
    per_segment = 10 * np.log10(segments + 1e-20)
    seg_below = per_segment[lo[k]:k].mean(axis=0)
    seg_above = per_segment[hi[k]:].max(axis=0)
    total = 10 * np.log10(segments.sum(axis=0) + 1e-20)
    sounding = total > total.max() - BAND_EDGE_ACTIVE_DB  # segments with sound, not the silent gaps
    if not sounding.any() or np.mean(seg_below[sounding] - seg_above[sounding] >= BAND_EDGE_SEGMENT_DROP_DB) < \
            BAND_EDGE_SUSTAINED:
        return nyquist, 0.0
    # report where the level actually falls (half the drop), not where the search window started
    falls = np.flatnonzero(smooth[k:hi[k] + 1] < below[k] - drop[k] / 2)
    return float(freqs[k + (falls[0] if falls.size else 0)]), float(drop[k])


def clip_stats(clip: Clip, *, speech: list[SpeechRegion] | None = None, loudness: bool = True) -> ClipStats:
    """All per-clip measurements; `speech` is the VAD result (None: not run). loudness False leaves out the one
    measure that needs scipy.signal (seconds to import): Inspect's one-clip view draws its waveform first."""
    from audiodiag.measure.vad import speech_fraction

    x, sr = clip.samples, clip.sample_rate_hz
    frame_levels = frame_rms_dbfs(x, sample_rate_hz=sr)  # computed once: silence, its edges and pauses, SNR
    silent = _silent(frame_levels)
    leading, trailing = _edge_silence_s(silent, clip.duration_s)
    pause_s, pause_start_s = internal_silence_s(silent)
    in_speech = None if speech is None else levels.speech_frames(speech, n_frames=len(frame_levels),
                                                                frame_s=FRAME_LENGTH_S)
    snr, snr_method = levels.snr_db(frame_levels, speech=in_speech)
    freqs, segments = segment_spectra(x, sample_rate_hz=sr)
    (bandwidth,) = _bandwidths_hz(freqs, segments.mean(axis=1), energies=(BANDWIDTH_ENERGY,))
    band_limit, edge_drop = band_edge(freqs, segments)
    return ClipStats(
        name=clip.name, label=clip.label, group=clip.group, sample_rate_hz=clip.original_sample_rate_hz,
        channels=clip.original_channels, bit_depth=clip.bit_depth, subtype=clip.subtype,
        duration_s=clip.duration_s, peak_dbfs=peak_dbfs(x), rms_dbfs=rms_dbfs(x),
        clipping_fraction=clipping_fraction(x), dc_offset=dc_offset(x),
        silence_ratio=float(np.mean(silent)), leading_silence_s=leading,
        trailing_silence_s=trailing, effective_bandwidth_hz=bandwidth, band_limit_hz=band_limit,
        band_edge_drop_db=edge_drop,
        speech_fraction=None if speech is None else speech_fraction(speech, duration_s=clip.duration_s),
        non_finite_samples=clip.non_finite_count, internal_silence_s=pause_s, internal_silence_start_s=pause_start_s,
        loudness_lufs=levels.loudness_lufs(x, sample_rate_hz=sr) if loudness else None, snr_db=snr,
        snr_method=snr_method, container=clip.container,
    )


def speech_share_of_sound(s: ClipStats) -> float | None:
    """Share of the clip's sounding (not silent) audio that VAD calls speech; None when VAD did not run.

    Unlike `speech_fraction`, a long pause does not dilute it: a 1-s sentence with a 3-s gap is still speech.
    """
    if s.speech_fraction is None:
        return None
    sounding = 1.0 - s.silence_ratio
    return min(1.0, s.speech_fraction / sounding) if sounding > 0 else 0.0


def pauses_matter(s: ClipStats) -> bool:
    """Whether the clip's quiet stretches are pauses worth a warning: in speech (at least levels.SPEECH_MAJORITY
    of its sounding audio, the same share that makes a dataset a speech dataset), or when VAD did not run. In
    footsteps or birdsong they are the sound's own rhythm, and nothing to fix."""
    share = speech_share_of_sound(s)
    return share is None or share >= levels.SPEECH_MAJORITY


def clip_findings(s: ClipStats) -> list[Finding]:
    """Warnings for one clip. Each names the file, the measured value, what was expected and what to do.
    Long or many pauses are warned about only where they mean something (`pauses_matter`)."""
    out: list[Finding] = []

    def add(code: Code, severity: str, message: str) -> None:
        out.append(Finding(code, severity, f"{s.name}: {message}", (s.name,)))

    if s.non_finite_samples:
        add(Code.NON_FINITE, "error", f"{s.non_finite_samples} NaN/Inf samples (expected none). They were set to 0 "
            "here, but a model would output NaN. Fix the export or drop the file")
    if s.clipping_fraction > WARN_CLIPPING_FRACTION:
        add(Code.CLIPPING, "warning", f"{s.clipping_fraction:.2%} of samples are clipped at full scale (expected "
            f"< {WARN_CLIPPING_FRACTION:.1%}): re-record with less gain or drop the clip")
    if abs(s.dc_offset) > WARN_DC_OFFSET:
        add(Code.DC_OFFSET, "warning", f"DC offset {s.dc_offset:+.3f} (expected |offset| < {WARN_DC_OFFSET}): "
            "remove it with a high-pass filter (e.g. 20 Hz) before feature extraction")
    if s.silence_ratio >= 1.0:
        add(Code.ALL_SILENT, "error", f"the whole clip is silent (every 25 ms frame below "
            f"{SILENCE_FLOOR_DBFS:.0f} dBFS; peak {s.peak_dbfs:.1f} dBFS): check the recording or drop it")
    elif s.silence_ratio > WARN_SILENCE_RATIO:
        edges = s.leading_silence_s + s.trailing_silence_s
        silent_s = s.silence_ratio * s.duration_s
        at_ends = edges >= EDGE_SILENCE_TRIM_S and edges >= EDGE_SILENCE_SHARE * silent_s
        fix = ("Fix: trim the leading/trailing silence (e.g. librosa.effects.trim) so models do not learn from it"
               if at_ends else
               "The silence is inside the clip (pauses), not at its ends. Fix: check the recording level, or cut the "
               "clip into its sounding parts")
        if at_ends or pauses_matter(s):  # gaps between footsteps or bird calls are the sound, not a fault
            add(Code.MOSTLY_SILENT, "warning", f"{s.silence_ratio:.0%} of 25 ms frames are silent (expected < "
                f"{WARN_SILENCE_RATIO:.0%}; leading {s.leading_silence_s:.2f} s, trailing "
                f"{s.trailing_silence_s:.2f} s). " + fix)
    if s.internal_silence_s >= WARN_INTERNAL_SILENCE_S and s.silence_ratio < 1.0 and pauses_matter(s):
        end = s.internal_silence_start_s + s.internal_silence_s
        add(Code.INTERNAL_SILENCE, "warning", f"{s.internal_silence_s:.2f} s of silence inside the clip, from "
            f"{s.internal_silence_start_s:.2f} s to {end:.2f} s (expected pauses under {WARN_INTERNAL_SILENCE_S:g} s). "
            "Silence dilutes mean-pooled embeddings and invites hallucinated words in ASR. Fix: listen for a dropout "
            "or an edit; if the gap is real, split the clip there")
    if s.peak_dbfs < WARN_LOW_PEAK_DBFS and s.silence_ratio < 1.0:
        add(Code.LOW_LEVEL, "info", f"peak level {s.peak_dbfs:.1f} dBFS (expected above {WARN_LOW_PEAK_DBFS:.0f} "
            "dBFS): very quiet; normalise loudness if other clips are much louder")
    if s.band_limit_hz < BAND_LIMIT_WARN_FRACTION * s.nyquist_hz and s.silence_ratio < 1.0:
        add(Code.BAND_LIMITED, "warning", f"content stops near {s.band_limit_hz / 1000:.1f} kHz (a steep edge: the "
            f"level falls by {s.band_edge_drop_db:.0f} dB within {BAND_EDGE_WIDTH:.0%} above it and stays down), "
            f"although the file is {s.sample_rate_hz} Hz (Nyquist {s.nyquist_hz / 1000:.1f} kHz). It is upsampled "
            f"or band-limited audio. Treat its real rate as ~{2 * s.band_limit_hz / 1000:.0f} kHz and do not expect "
            f"content above {s.band_limit_hz / 1000:.1f} kHz")
    if s.bit_depth == 8:
        add(Code.LOW_BIT_DEPTH, "warning", f"{s.subtype} (8-bit) audio has ~48 dB dynamic range (expected 16-bit "
            "or more). Quantisation noise can mask quiet sounds. Fix: re-export at 16 bit if the source allows")
    if s.channels > 2:
        add(Code.MANY_CHANNELS, "info", f"{s.channels} channels were averaged into mono (expected 1-2): "
            "if channels hold different microphones, pick one channel instead")
    if s.sample_rate_hz > WARN_HIGH_RATE_HZ:
        # no target model here: what resampling to one discards is the sample-rate finding's to say (dataset.check)
        add(Code.HIGH_SAMPLE_RATE, "info", f"{s.sample_rate_hz} Hz (above {WARN_HIGH_RATE_HZ} Hz): more than the "
            "audio models here are trained at (16-48 kHz); fine, but it costs memory and disk")
    return out
