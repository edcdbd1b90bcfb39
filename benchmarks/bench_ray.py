"""P8: the streamed stage on Ray Data next to the in-process engine, same clips, same process.

N clips × 5 s at 44.1 kHz (`bench_stream.synthesise`, 4 class folders) go through `stream.stream` (decode →
levels and VAD → baseline → speech_embedding vectors) twice: the local engine (engine=None) and
`ray_engine.engine` on a local Ray instance with 2 CPUs. Each engine first streams 20 other clips, untimed, so
imports, model files and (for Ray) the instance itself are warm for both. Each engine has its own embedding
cache folder, set in $AUDIODIAG_CACHE_DIR before it runs (for Ray before the instance starts, so its workers
inherit it): the warm-up clips differ from the timed ones, so the timed run computes every vector (checked:
the cache gains one row per timed clip). Ray's one-time start cost (`RayStart.seconds`, paid by the warm-up) is
taken out of the Ray time and reported apart. Target (issue 31): Ray ≥ 0.9× the local engine's throughput on the
same 2 CPUs. Size: $AUDIODIAG_BENCH_RAY_N (default 2,000).
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import astuple
from pathlib import Path

import numpy as np

from audiodiag import caches
from audiodiag.data import layout
from audiodiag.represent import encoders, spaces
from audiodiag.runs import ray_engine, stream
from benchmarks.bench_stream import DURATION_S, synthesise
from benchmarks.harness import Row

N_ENV = "AUDIODIAG_BENCH_RAY_N"
DEFAULT_N = 2_000
WARMUP_CLIPS = 20
RAY_CPUS = 2
ENCODER_NAMES = (spaces.BASELINE, encoders.SPEECH_EMBEDDING)
MIN_RATIO = 0.9  # Ray throughput / local throughput (issue 31; was 0.8)
MAX_DIFF = 1e-5  # largest |difference| allowed between the two engines' vectors


def n_clips() -> int:
    return int(os.environ.get(N_ENV) or DEFAULT_N)


def cache_rows(folder: Path) -> int:
    """Embedding rows stored under an embedding cache folder."""
    return sum(1 for _ in folder.rglob("*.npy")) if folder.exists() else 0


def timed_stream(data: Path, engine=None) -> tuple[stream.Streamed, float]:
    """(what `stream.stream` kept, its wall seconds) for every clip of `data`."""
    start = time.perf_counter()
    streamed = stream.stream(layout.iter_folder(data), ENCODER_NAMES, engine=engine)
    return streamed, time.perf_counter() - start


def run_engine(data: Path, warm: Path, cache: Path, *, ray: bool) -> tuple[stream.Streamed, float, float]:
    """(streamed, seconds of the timed run less any Ray start it paid, Ray's one-time start seconds or NaN).

    The warm-up and the timed run share `cache` (a Ray instance keeps the environment it started with), so the
    timed run must add one cache row per clip: no row of it came from the warm-up."""
    os.environ[caches.CACHE_DIR_ENV] = str(cache)  # before Ray starts: its workers inherit it
    starts: list[ray_engine.RayStart] = []
    make = (lambda: ray_engine.engine(None, num_cpus=RAY_CPUS, on_start=starts.append)) if ray else (lambda: None)
    timed_stream(warm, make())
    before = cache_rows(cache)
    streamed, seconds = timed_stream(data, make())
    added = cache_rows(cache) - before
    if added != len(streamed.clips):
        raise RuntimeError(f"{'Ray' if ray else 'local'} timed run added {added} cache rows for "
                           f"{len(streamed.clips)} clips: some vectors were read back instead of computed")
    started_in_run = starts[1].seconds if len(starts) > 1 else 0.0  # ~0: the warm-up started the instance
    return streamed, seconds - started_in_run, starts[0].seconds if starts else math.nan


def _same(a: tuple, b: tuple) -> bool:
    """Field-by-field equality where NaN equals NaN."""
    return len(a) == len(b) and all(x == y or (isinstance(x, float) and isinstance(y, float) and x != x and y != y)
                                    for x, y in zip(a, b))


def differences(local: stream.Streamed, ray: stream.Streamed) -> tuple[float, bool]:
    """(largest |difference| over every space's vectors, whether clips, ClipStats and speech regions are equal)."""
    ours = {v.space: v.vectors for v in local.vectors}
    theirs = {v.space: v.vectors for v in ray.vectors}
    if ours.keys() != theirs.keys() or any(ours[k].shape != theirs[k].shape for k in ours):
        return math.inf, False
    diff = max(float(np.max(np.abs(ours[k].astype(np.float64) - theirs[k]))) for k in ours)
    same = ([c.name for c in local.clips] == [c.name for c in ray.clips]
            and len(local.stats) == len(ray.stats)
            and all(_same(astuple(x), astuple(y)) for x, y in zip(local.stats, ray.stats))
            and local.speech == ray.speech)
    return diff, same


def p8_ray_throughput() -> list[Row]:
    n = n_clips()
    saved = os.environ.get(caches.CACHE_DIR_ENV)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data, warm = root / "data", root / "warm"
        synthesise(data, n)
        synthesise(warm, n + WARMUP_CLIPS, start=n)  # other clips (other noise): no cache row in common
        try:
            local, local_s, _ = run_engine(data, warm, root / "cache-local", ray=False)
            on_ray, ray_s, start_s = run_engine(data, warm, root / "cache-ray", ray=True)
        finally:
            ray_engine.shutdown()
            if saved is None:
                os.environ.pop(caches.CACHE_DIR_ENV, None)
            else:
                os.environ[caches.CACHE_DIR_ENV] = saved
    local_rate, ray_rate = len(local.clips) / local_s, len(on_ray.clips) / ray_s
    diff, same = differences(local, on_ray)
    what = (f"{n:,} clips × {DURATION_S:g} s at 44.1 kHz, stream.stream: decode, levels + VAD, baseline, "
            f"{encoders.SPEECH_EMBEDDING}; after a {WARMUP_CLIPS}-clip warm-up; fresh embedding cache")
    return [
        Row(f"P8 local engine throughput ({what}; {local_s:.0f} s)", local_rate, "clips/s", "itself", local_rate,
            "— (information)", None),
        Row(f"P8 Ray engine throughput (local instance, {RAY_CPUS} CPUs), Ray start excluded ({ray_s:.0f} s)",
            ray_rate, "clips/s", "local engine, same clips", local_rate, f"≥ {MIN_RATIO}× local",
            ray_rate >= MIN_RATIO * local_rate),
        Row(f"P8 one-time Ray start (local instance, {RAY_CPUS} CPUs; paid once per process)", start_s, "s",
            "local engine run", local_s, "— (information)", None),
        Row(f"P8 identical results: largest abs(Ray − local) over every space's vectors; ClipStats and speech "
            f"regions {'equal' if same else 'DIFFER'}", diff, "", f"tolerance {MAX_DIFF:g}", MAX_DIFF,
            f"≤ {MAX_DIFF:g} and equal stats", same and diff <= MAX_DIFF),
    ]


SCALE = True  # minutes at 2,000 clips: run with `python -m benchmarks.run_all --scale p8_ray_throughput`
BENCHMARKS = (p8_ray_throughput,)

if __name__ == "__main__":
    from benchmarks.harness import markdown_table

    print(markdown_table(p8_ray_throughput()))
