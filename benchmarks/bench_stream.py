"""P7s: N clips x 5 s at 44.1 kHz through `report --out-dir` (streamed; checks + spectral baseline): peak RSS.

Each run is a fresh `python -m audiodiag report` child process; its peak RSS is read from
`resource.getrusage(RUSAGE_CHILDREN)` in a small go-between process per size (so the figure is that run's
alone, not the largest child so far). Targets (issue 16): ≤ 1 GB at 10,000 clips, and
peak RSS at 10,000 ≤ 1.2x that at 2,500 (flat in N). Sizes: $AUDIODIAG_BENCH_STREAM_N="2500,10000" (default).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from audiodiag.represent import spaces
from benchmarks.harness import Row

SIZES_ENV = "AUDIODIAG_BENCH_STREAM_N"
DEFAULT_SIZES = (2_500, 10_000)
DURATION_S = 5.0
RATE_HZ = 44_100
LIMIT_BYTES = 1024 ** 3
FLAT_RATIO = 1.2


def sizes() -> tuple[int, ...]:
    text = os.environ.get(SIZES_ENV)
    return tuple(int(n) for n in text.split(",")) if text else DEFAULT_SIZES


def synthesise(folder: Path, n: int, *, start: int = 0) -> None:
    """Clips start..n-1 into class sub-folders (4 classes, tones plus noise), 16-bit WAV."""
    rng = np.random.default_rng(start)
    t = np.arange(int(DURATION_S * RATE_HZ)) / RATE_HZ
    for i in range(start, n):
        label = f"class{i % 4}"
        (folder / label).mkdir(parents=True, exist_ok=True)
        wave = 0.2 * np.sin(2 * np.pi * (200 + 100 * (i % 4)) * t) + 0.02 * rng.standard_normal(len(t))
        sf.write(folder / label / f"clip{i:05d}.wav", wave.astype(np.float32), RATE_HZ, subtype="PCM_16")


def peak_rss_of_report(data: Path, run: Path) -> tuple[int, float]:
    """(peak RSS in bytes, wall seconds) of one `report --out-dir` child process, baseline only."""
    start = time.perf_counter()
    argv = [sys.executable, "-m", "audiodiag", "report", str(data), "--task", "classify", "--encoder",
            spaces.BASELINE, "--folds", "5", "--out-dir", str(run), "--out", str(run) + ".md"]
    # a small go-between process per size, so RUSAGE_CHILDREN holds this report's peak alone
    out = subprocess.run([sys.executable, "-c", WRAPPER, *argv], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) * 1024, time.perf_counter() - start


WRAPPER = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def p7s_stream_memory() -> list[Row]:
    ns = sorted(sizes())
    peaks: dict[int, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data, done = Path(tmp) / "data", 0
        for n in ns:  # one folder grown to each size, so the larger run holds the smaller one's clips
            synthesise(data, n, start=done)
            done = n
            peaks[n] = peak_rss_of_report(data, Path(tmp) / f"run{n}")
    small, large = ns[0], ns[-1]
    rows = [Row(f"P7s peak RSS: {n:,} clips × {DURATION_S:g} s at 44.1 kHz through report --out-dir (streamed, "
                f"checks + baseline; {peaks[n][1]:.0f} s)", peaks[n][0] / 1e9, "GB", "1 GB", LIMIT_BYTES / 1e9,
                "≤ 1 GB", peaks[n][0] <= LIMIT_BYTES) for n in ns]
    ratio = peaks[large][0] / peaks[small][0]
    rows.append(Row(f"P7s flatness: peak RSS at {large:,} clips / at {small:,} clips", peaks[large][0] / 1e9, "GB",
                    f"peak RSS at {small:,} clips", peaks[small][0] / 1e9, f"ratio ≤ {FLAT_RATIO}",
                    ratio <= FLAT_RATIO))
    return rows


SCALE = True  # tens of minutes: run with `python -m benchmarks.run_all --scale`
BENCHMARKS = (p7s_stream_memory,)

if __name__ == "__main__":
    from benchmarks.harness import markdown_table

    print(markdown_table(p7s_stream_memory()))
