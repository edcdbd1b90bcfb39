"""Compare-page speed: the issue's target P3 (spectral baseline features) and the bootstrap metrics.

Every figure is printed next to a naive reference measured in the same run, interleaved, so a slow or
shared machine moves both. All audio is synthesised in memory; nothing is downloaded.
Run with `python -m benchmarks.run_all p3` or `python benchmarks/bench_compare.py` (this module only).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as `python benchmarks/bench_compare.py`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from audiodiag.evaluation import evaluate  # noqa: E402
from audiodiag.represent import features  # noqa: E402
from audiodiag.types import Clip  # noqa: E402
from benchmarks.harness import REPEATS, Row, markdown_table  # noqa: E402

# P3: spectral baseline features on many short clips
P3_CLIPS = 2_000
P3_CLIP_S = 1.0
P3_RATE_HZ = 16_000
P3_REFERENCE_CLIPS = 500  # the librosa loop runs on this many of the clips; compared per clip (clips/s)
P3_MIN_CLIPS_PER_S = 1_000.0
P3_MIN_SPEEDUP = 1.5

# Bootstrap metrics: vectorised against a Python loop of sklearn metrics (scaled from fewer resamples)
BOOT_RESAMPLES = 1_000
BOOT_REFERENCE_RESAMPLES = 50
BOOT_CLASSES = 10

SEED = 20240501


@lru_cache(maxsize=1)
def short_clips() -> list[Clip]:
    """P3_CLIPS one-second 16 kHz clips: a tone (100-4000 Hz) in noise, random levels, 10 labels."""
    rng = np.random.default_rng(SEED)
    n = int(P3_CLIP_S * P3_RATE_HZ)
    t = np.arange(n) / P3_RATE_HZ
    clips = []
    for i in range(P3_CLIPS):
        tone = rng.uniform(0.0, 0.5) * np.sin(2 * np.pi * rng.uniform(100, 4000) * t + rng.uniform(0, 2 * np.pi))
        x = (tone + rng.uniform(0.001, 0.2) * rng.standard_normal(n)).astype(np.float32)
        clips.append(Clip(f"clip_{i:05d}.wav", x, P3_RATE_HZ, P3_RATE_HZ, 1, label=f"label_{i % 10}"))
    return clips


def librosa_loop(clips: list[Clip], settings: features.FeatureSettings) -> np.ndarray:
    """The plain way: per clip, librosa.feature.mfcc + librosa.feature.delta, then mean and std over time."""
    import librosa

    rows = []
    for clip in clips:
        mfcc = librosa.feature.mfcc(y=clip.samples, sr=clip.sample_rate_hz, n_mfcc=settings.n_mfcc,
                                    n_fft=settings.n_fft, hop_length=settings.hop_length, n_mels=settings.n_mels)
        delta = librosa.feature.delta(mfcc)
        rows.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), delta.mean(axis=1), delta.std(axis=1)]))
    return np.asarray(rows, dtype=np.float32)


def _interleaved_medians(*fns) -> list[float]:
    """Median wall time of each function over REPEATS rounds, after one warm-up round; run in turn per
    round so a noisy neighbour slows all of them alike."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(REPEATS):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(b) for b in times]


def p3() -> list[Row]:
    """P3: spectral_features on 2,000 one-second 16 kHz clips against a plain per-clip librosa loop."""
    clips = short_clips()
    settings = features.FeatureSettings()
    reference = clips[:P3_REFERENCE_CLIPS]
    ours_s, loop_s = _interleaved_medians(lambda: features.spectral_features(clips, settings=settings),
                                          lambda: librosa_loop(reference, settings))
    ours_rate, loop_rate = len(clips) / ours_s, len(reference) / loop_s

    rng = np.random.default_rng(SEED)
    y = rng.integers(0, BOOT_CLASSES, len(clips))
    pred = np.where(rng.random(len(clips)) < 0.7, y, rng.integers(0, BOOT_CLASSES, len(clips)))
    boot_s, sklearn_s = _interleaved_medians(lambda: evaluate.metrics_with_ci(y, pred, n_boot=BOOT_RESAMPLES),
                                             lambda: _sklearn_bootstrap(y, pred, BOOT_REFERENCE_RESAMPLES))
    sklearn_s *= BOOT_RESAMPLES / BOOT_REFERENCE_RESAMPLES

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        Row(f"P3 features.spectral_features, {len(clips):,} × {P3_CLIP_S:g}-s {P3_RATE_HZ / 1000:g} kHz clips, "
            f"{cores} cores (median of {REPEATS}, interleaved)", ours_rate, "clips/s",
            f"plain per-clip librosa mfcc + delta + mean/std, first {len(reference)} of the clips", loop_rate,
            f"≥ {P3_MIN_CLIPS_PER_S:,.0f} clips/s and ≥ {P3_MIN_SPEEDUP:g}× the librosa loop",
            ours_rate >= P3_MIN_CLIPS_PER_S and ours_rate >= P3_MIN_SPEEDUP * loop_rate),
        Row(f"evaluate.metrics_with_ci, {BOOT_RESAMPLES:,} resamples of {len(clips):,} clips, {BOOT_CLASSES} classes",
            boot_s, "s", f"Python loop of sklearn accuracy/balanced accuracy/macro-F1; "
            f"{BOOT_REFERENCE_RESAMPLES} resamples measured ×{BOOT_RESAMPLES // BOOT_REFERENCE_RESAMPLES}",
            sklearn_s, "—", None),
    ]


def _sklearn_bootstrap(y: np.ndarray, pred: np.ndarray, n_boot: int) -> None:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    rng = np.random.default_rng(SEED)
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        accuracy_score(y[idx], pred[idx])
        balanced_accuracy_score(y[idx], pred[idx])
        f1_score(y[idx], pred[idx], average="macro")


BENCHMARKS = (p3,)


if __name__ == "__main__":
    print(markdown_table([row for bench in BENCHMARKS for row in bench()]))
