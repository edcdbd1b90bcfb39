"""Inspect-page speed and size: the issue's targets P1 (one long clip), P1b (VAD) and P2 (header scan).

Every figure is printed next to a naive reference measured in the same run, so a slow or shared machine
moves both. All audio is synthesised into a temporary folder (removed at exit); nothing is downloaded.
Run with `python -m benchmarks.run_all` (all modules) or `python -m benchmarks.bench_inspect` (this one).
"""
from __future__ import annotations

import atexit
import shutil
import statistics
import tempfile
import time
import tracemalloc
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf

from audiodiag.data import decoding
from audiodiag.data.sample_sets import SAMPLE_ROOT
from audiodiag.measure import levels, per_clip, vad
from audiodiag.plots.audio import log_mel, spectrogram_figure, waveform_figure
from audiodiag.types import Clip
from benchmarks.harness import Row, markdown_table, warm_median

MB = 1e6

# P1: one 10-minute 44.1 kHz stereo file through load + per-clip stats + waveform and spectrogram figures
LONG_CLIP_S = 600  # decoding.MAX_CLIP_DURATION_S: the longest clip the app accepts
LONG_CLIP_RATE_HZ = 44_100
LONG_CLIP_TONES_HZ = ((441, 1050, 3000), (882, 2205, 6000))  # per channel; integer Hz so 1 s tiles exactly
LONG_CLIP_SILENT_STRETCHES = 60  # digital-silence gaps of SILENT_STRETCH_S, like pauses between takes
SILENT_STRETCH_S = (0.3, 3.0)
NAIVE_EXCERPT_S = 60  # the naive all-sample figure is built on this much, then scaled to the whole clip
P1_MAX_SECONDS = 1.5
P1_MAX_JSON_MB = 2.0
P1_MIN_JSON_SHRINK = 20.0

# P1b: VAD on 10 minutes of speech-like audio (the bundled espeak utterances, tiled with pauses)
VAD_AUDIO_S = 600
VAD_PAUSE_S = (0.3, 1.5)
VAD_NOISE_RMS = 1e-3  # -60 dBFS room noise under everything, so pauses are not digital zeros
P1B_MIN_REALTIME = 200.0
REGIONS_CLIP_RATE_HZ = 44_100  # speech_regions is measured on a 44.1 kHz clip, so it resamples

# P2: header scan of many small files
SCAN_FILES = 2_000
SCAN_LABELS = 10
SCAN_RATES_HZ = (8_000, 16_000, 22_050, 44_100, 48_000)
SCAN_SUBTYPES = ("PCM_16", "PCM_24", "FLOAT")
SCAN_DURATION_S = (0.1, 1.0)
P2_MIN_FILES_PER_S = 10_000.0
P2_MAX_SLOWDOWN = 2.0

SEED = 20240501


@lru_cache(maxsize=1)
def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="audiodiag-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


# ---------------------------------------------------------------- P1

@lru_cache(maxsize=1)
def long_stereo_wav() -> Path:
    """10 minutes, 44.1 kHz, 16-bit stereo (~106 MB): noise + three tones per channel + silent gaps."""
    rng = np.random.default_rng(SEED)
    sr, n = LONG_CLIP_RATE_HZ, LONG_CLIP_S * LONG_CLIP_RATE_HZ
    t = np.arange(sr) / sr
    second = np.stack([sum(0.15 * np.sin(2 * np.pi * f * t) for f in tones) for tones in LONG_CLIP_TONES_HZ],
                      axis=1).astype(np.float32)
    x = rng.standard_normal((n, 2), dtype=np.float32)
    x *= 0.05
    x += np.tile(second, (LONG_CLIP_S, 1))
    lo, hi = (int(s * sr) for s in SILENT_STRETCH_S)
    for start, length in zip(rng.integers(0, n - hi, LONG_CLIP_SILENT_STRETCHES),
                             rng.integers(lo, hi, LONG_CLIP_SILENT_STRETCHES)):
        x[start:start + length] = 0.0
    path = _workdir() / "long_10min_44k1_stereo.wav"
    sf.write(path, x, sr, subtype="PCM_16")
    return path


def _inspect(path: Path, stage_s: dict[str, list[float]] | None = None):
    """What the Inspect page does for one file; figures are serialised as Streamlit sends them."""
    marks = [time.perf_counter()]
    clip = decoding.load_clip(path)
    marks.append(time.perf_counter())
    stats = per_clip.clip_stats(clip, loudness=False)  # as Inspect's one-clip view (loudness: with the table)
    marks.append(time.perf_counter())
    x, sr = clip.samples, clip.sample_rate_hz
    json_bytes = len(waveform_figure(x, sample_rate_hz=sr).to_json().encode())
    marks.append(time.perf_counter())
    json_bytes += len(spectrogram_figure(x, sample_rate_hz=sr).to_json().encode())
    marks.append(time.perf_counter())
    if stage_s is not None:
        for stage, a, b in zip(("load", "stats", "waveform", "spectrogram"), marks, marks[1:]):
            stage_s.setdefault(stage, []).append(b - a)
    return clip, stats, json_bytes


def _naive_figures(samples: np.ndarray, *, sample_rate_hz: int) -> dict[str, tuple[int, float]]:
    """JSON size (bytes) and build + serialise time (s) of the figures drawn without reduction: a Scatter of
    every sample, and the log-mel heatmap with one column per 10 ms hop (no cap on columns)."""
    import plotly.graph_objects as go

    out = {}
    start = time.perf_counter()
    fig = go.Figure(go.Scatter(x=np.arange(len(samples)) / sample_rate_hz, y=samples, mode="lines"))
    out["waveform"] = (len(fig.to_json().encode()), time.perf_counter() - start)
    start = time.perf_counter()
    times, freqs, db = log_mel(samples, sample_rate_hz=sample_rate_hz, max_frames=len(samples))
    fig = go.Figure(go.Heatmap(x=np.round(times, 3).tolist(), y=np.round(freqs).tolist(),
                               z=np.round(db, 1).tolist(), colorscale="Magma"))  # lists, as spectrogram_figure
    out["spectrogram"] = (len(fig.to_json().encode()), time.perf_counter() - start)
    return out


def p1() -> list[Row]:
    """P1: a 10-minute 44.1 kHz stereo WAV: load + clip_stats (no VAD) + waveform and spectrogram figures."""
    path = long_stereo_wav()
    stage_s: dict[str, list[float]] = {}
    seconds, (clip, _, json_bytes) = warm_median(lambda: _inspect(path, stage_s))
    stages = {k: statistics.median(v[1:]) for k, v in stage_s.items()}  # v[0] is the warm-up
    decode_s, decoded = warm_median(lambda: sf.read(path, dtype="float32", always_2d=True)[0])
    one_pass_s, _ = warm_median(lambda: float(np.abs(clip.samples).max()))
    loudness_s, _ = warm_median(lambda: levels.loudness_lufs(clip.samples, sample_rate_hz=clip.sample_rate_hz))
    pyloudnorm_s, _ = warm_median(lambda: pyloudnorm.Meter(clip.sample_rate_hz).integrated_loudness(
        clip.samples.astype(np.float64)), repeats=1)

    excerpt = clip.samples[:NAIVE_EXCERPT_S * clip.sample_rate_hz]
    scale = len(clip.samples) / len(excerpt)
    naive = {k: (size * scale, s * scale)
             for k, (size, s) in _naive_figures(excerpt, sample_rate_hz=clip.sample_rate_hz).items()}
    excerpt_tag = f"{NAIVE_EXCERPT_S} s measured ×{scale:.0f}"

    tracemalloc.start()
    _inspect(path)
    peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    json_mb, naive_mb = json_bytes / MB, naive["waveform"][0] / MB
    minutes = f"{clip.duration_s / 60:.0f}-min {clip.original_sample_rate_hz / 1000:g} kHz stereo"
    return [
        Row(f"P1 {minutes}: load + stats + both figures + to_json (warm median of 3)", seconds, "s",
            "bare soundfile.read of the file", decode_s, f"≤ {P1_MAX_SECONDS} s", seconds <= P1_MAX_SECONDS),
        Row("P1 figure JSON, waveform + spectrogram", json_mb, "MB",
            f"naive Scatter of every sample, waveform only; {excerpt_tag}", naive_mb,
            f"≤ {P1_MAX_JSON_MB:g} MB and ≥ {P1_MIN_JSON_SHRINK:g}× smaller",
            json_mb <= P1_MAX_JSON_MB and naive_mb >= P1_MIN_JSON_SHRINK * json_mb),
        Row("P1 stage: io.load_clip", stages["load"], "s", "bare soundfile.read of the file", decode_s,
            "—", None),
        Row("P1 stage: checks.clip_stats (no VAD, no loudness: the one-clip view)", stages["stats"], "s",
            "one numpy pass, np.abs(x).max()", one_pass_s, "—", None),
        Row("P1 levels.loudness_lufs of the same clip (computed with the dataset table, not before the waveform)",
            loudness_s, "s", "pyloudnorm.Meter.integrated_loudness, same clip (same number)", pyloudnorm_s, "—",
            None),
        Row("P1 stage: waveform_figure + to_json", stages["waveform"], "s",
            f"naive all-sample Scatter + to_json; {excerpt_tag}", naive["waveform"][1], "—", None),
        Row("P1 stage: spectrogram_figure + to_json", stages["spectrogram"], "s",
            f"naive uncapped log-mel heatmap + to_json; {excerpt_tag}", naive["spectrogram"][1], "—", None),
        Row("P1 peak traced memory (tracemalloc), one pass", peak_bytes / MB, "MB",
            "the decoded stereo float32 array", decoded.nbytes / MB, "—", None),
    ]


# ---------------------------------------------------------------- P1b

@lru_cache(maxsize=1)
def speech_like_16k() -> np.ndarray:
    """VAD_AUDIO_S of 16 kHz speech-like audio: bundled utterances with pauses, over faint noise."""
    rng = np.random.default_rng(SEED)
    sr = vad.VAD_SAMPLE_RATE_HZ
    paths = sorted((SAMPLE_ROOT / "utterances").glob("*.wav"))
    if paths:
        clips = [decoding.load_clip(p) for p in paths]
        speech = [decoding.resample(c.samples, orig_sample_rate_hz=c.sample_rate_hz, target_sample_rate_hz=sr)
                  for c in clips]
    else:  # a checkout without sample_audio/: voiced bursts (120-220 Hz harmonics, 4 Hz syllables)
        t = np.arange(2 * sr) / sr
        speech = [(0.2 * np.sin(2 * np.pi * f0 * t) * np.sin(2 * np.pi * 4 * t) ** 2).astype(np.float32)
                  for f0 in (120, 160, 220)]
    parts, total, n = [], 0, VAD_AUDIO_S * sr
    while total < n:
        pause = np.zeros(int(rng.uniform(*VAD_PAUSE_S) * sr), np.float32)
        parts += [speech[int(rng.integers(len(speech)))], pause]
        total += len(parts[-2]) + len(pause)
    x = np.concatenate(parts)[:n]
    x += (VAD_NOISE_RMS * rng.standard_normal(n)).astype(np.float32)
    return x


def _silero_reference_s(x: np.ndarray) -> float:
    """silero-vad's own ONNX path (load_silero_vad(onnx=True) + get_speech_timestamps) on the same audio:
    median of 3 after a warm-up on 2 s (one window at a time, so a full warm-up would cost seconds)."""
    import torch
    from silero_vad import get_speech_timestamps, load_silero_vad

    model = load_silero_vad(onnx=True)
    get_speech_timestamps(torch.from_numpy(x[:2 * vad.VAD_SAMPLE_RATE_HZ]), model,
                          sampling_rate=vad.VAD_SAMPLE_RATE_HZ)
    audio = torch.from_numpy(x)
    seconds, _ = warm_median(lambda: get_speech_timestamps(audio, model, sampling_rate=vad.VAD_SAMPLE_RATE_HZ),
                             warmups=0)
    return seconds


def p1b() -> list[Row]:
    """P1b: VAD speed in × real time, ours against silero-vad's own ONNX loop on the same audio."""
    x = speech_like_16k()
    duration_s = len(x) / vad.VAD_SAMPLE_RATE_HZ
    ours_s, _ = warm_median(lambda: vad.speech_probabilities([x]))
    silero_rt = duration_s / _silero_reference_s(x)

    samples_44k = decoding.resample(x, orig_sample_rate_hz=vad.VAD_SAMPLE_RATE_HZ,
                                    target_sample_rate_hz=REGIONS_CLIP_RATE_HZ)
    clip = Clip("speech.wav", samples_44k, REGIONS_CLIP_RATE_HZ, REGIONS_CLIP_RATE_HZ, 1)
    regions_s, _ = warm_median(lambda: vad.speech_regions([clip]))

    ours_rt, regions_rt = duration_s / ours_s, duration_s / regions_s
    minutes = f"{duration_s / 60:.0f} min"
    return [
        Row(f"P1b vad.speech_probabilities, {minutes} at 16 kHz (warm median of 3)", ours_rt, "× real time",
            "silero get_speech_timestamps, ONNX, same audio", silero_rt, f"≥ {P1B_MIN_REALTIME:g}×",
            ours_rt >= P1B_MIN_REALTIME),
        Row(f"P1b vad.speech_regions, {minutes} at 44.1 kHz (resample + VAD + post-processing)", regions_rt,
            "× real time", "silero get_speech_timestamps, ONNX, 16 kHz, no resampling", silero_rt, "—", None),
    ]


# ---------------------------------------------------------------- P2

@lru_cache(maxsize=1)
def small_wav_folder() -> list[str]:
    """SCAN_FILES short WAVs in SCAN_LABELS class folders, mixed rates, channels and subtypes."""
    rng = np.random.default_rng(SEED)
    root = _workdir() / "scan"
    paths = []
    for i in range(SCAN_FILES):
        rate = int(rng.choice(SCAN_RATES_HZ))
        channels = int(rng.integers(1, 3))
        frames = int(rng.uniform(*SCAN_DURATION_S) * rate)
        folder = root / f"label_{i % SCAN_LABELS}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"clip_{i:05d}.wav"
        sf.write(path, 0.1 * rng.standard_normal((frames, channels), dtype=np.float32), rate,
                 subtype=str(rng.choice(SCAN_SUBTYPES)))
        paths.append(str(path))
    return paths


def p2() -> list[Row]:
    """P2: read_info over many small files on disk (page cache warm), against bare soundfile.info."""
    paths = small_wav_folder()
    ours = [decoding.read_info(p) for p in paths]
    bare = [sf.info(p) for p in paths]
    assert [(a.sample_rate_hz, a.channels, a.frames) for a in ours] == \
           [(b.samplerate, b.channels, b.frames) for b in bare], "read_info disagrees with soundfile.info"
    ours_s, bare_s = [], []
    for _ in range(3):  # interleaved, so a noisy neighbour slows both
        for fn, times in ((lambda: [sf.info(p) for p in paths], bare_s),
                          (lambda: [decoding.read_info(p) for p in paths], ours_s)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    ours_rate = len(paths) / statistics.median(ours_s)
    bare_rate = len(paths) / statistics.median(bare_s)
    return [
        Row(f"P2 io.read_info header scan, {len(paths):,} small WAVs on disk (median of 3)", ours_rate,
            "files/s", "bare soundfile.info, same files", bare_rate,
            f"≥ {P2_MIN_FILES_PER_S:,.0f} files/s and ≥ 1/{P2_MAX_SLOWDOWN:g} of bare",
            ours_rate >= P2_MIN_FILES_PER_S and ours_rate * P2_MAX_SLOWDOWN >= bare_rate),
    ]


BENCHMARKS = (p1, p1b, p2)


if __name__ == "__main__":
    print(markdown_table([row for bench in BENCHMARKS for row in bench()]))
