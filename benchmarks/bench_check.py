"""`audiodiag check` throughput: files per second through the whole gate (decode, levels, loudness, SNR, VAD,
dataset checks, report), next to the same files through a bare soundfile.read in the same run.

The files are 5-s clips at 16 and 44.1 kHz cut from the bundled utterances (speech) and tones, with room noise,
written to a temporary folder (removed at exit). Run with `python -m benchmarks.run_all p9c` or
`python -m benchmarks.bench_check`.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

from audiodiag.data import decoding, layout
from audiodiag.data.sample_sets import SAMPLE_ROOT
from audiodiag.runs import gate
from benchmarks.harness import Row, markdown_table

N_FILES = 300
CLIP_S = 5.0
RATES_HZ = (16_000, 44_100)
NOISE_RMS = 3e-3
SEED = 20261129


@lru_cache(maxsize=1)
def check_folder() -> Path:
    """N_FILES WAVs in two class folders: speech (bundled utterances, tiled) and tones, at alternating rates."""
    folder = Path(tempfile.mkdtemp(prefix="audiodiag-bench-check-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    rng = np.random.default_rng(SEED)
    speech = [decoding.resample(c.samples, orig_sample_rate_hz=c.sample_rate_hz, target_sample_rate_hz=16_000)
              for c in layout.load_folder(SAMPLE_ROOT / "utterances")
              if hasattr(c, "samples")]
    for i in range(N_FILES):
        rate = RATES_HZ[i % len(RATES_HZ)]
        n = int(CLIP_S * rate)
        if i % 2:
            t = np.arange(n) / rate
            x = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 2000) * t)
            label = "tone"
        else:
            x = np.resize(decoding.resample(speech[i % len(speech)], orig_sample_rate_hz=16_000,
                                             target_sample_rate_hz=rate), n)
            label = "speech"
        x = (x + NOISE_RMS * rng.standard_normal(n)).astype(np.float32)
        (folder / label).mkdir(exist_ok=True)
        sf.write(folder / label / f"{i:04d}.wav", x, rate, subtype="PCM_16")
    return folder


def p9c() -> list[Row]:
    """Files/s of the check gate against a bare soundfile.read of the same files (page cache warm for both)."""
    folder = check_folder()
    paths = sorted(folder.rglob("*.wav"))
    for p in paths:  # warm the page cache and the imports/models of both sides
        sf.read(p, dtype="float32")
    gate.run_check(layout.iter_folder(folder), dataset_name="warm-up", batch_size=64)
    start = time.perf_counter()
    for p in paths:
        sf.read(p, dtype="float32")
    bare_s = time.perf_counter() - start
    start = time.perf_counter()
    result = gate.run_check(layout.iter_folder(folder), dataset_name="bench")
    check_s = time.perf_counter() - start
    assert len(result.clips) == len(paths) and not result.failures, "the check did not read every file"
    return [Row(f"P9c `check` gate, {len(paths)} WAVs of {CLIP_S:g} s at 16/44.1 kHz (decode, levels, LUFS, SNR, "
                "VAD, dataset checks)", len(paths) / check_s, "files/s", "bare soundfile.read, same files",
                len(paths) / bare_s, "for information (no target)", None)]


BENCHMARKS = (p9c,)


if __name__ == "__main__":
    print(markdown_table([row for bench in BENCHMARKS for row in bench()]))
