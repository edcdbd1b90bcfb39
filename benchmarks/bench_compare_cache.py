"""The issue's target P5: re-running a comparison from the cache against running it cold.

The comparison is run through the app's own cache wrappers (`pages._cache.run_comparison`: st.cache_data for
vectors and results, st.cache_resource for the model, the on-disk embedding cache) on the bundled
`spoken_digits` set (120 synthetic clips) with the spectral baseline and the bundled Whisper tiny.en encoder.
Streamlit caches work without a server (in memory). Rendering is not included.

- cold: empty disk cache, empty Streamlit caches: model load + extraction + cross-validation;
- warm (the target): the same call again in the same server, what a re-run or another page gets;
- disk only (info): Streamlit caches cleared (a restarted server) but the embedding files kept.
Run with `python -m benchmarks.run_all p5`.
"""
from __future__ import annotations

import logging
import os
import shutil
import statistics
import tempfile
import time

from benchmarks.harness import Row

P5_SET = "spoken_digits"
P5_MIN_SPEEDUP = 50.0
P5_REPEATS = 3


def _setup():
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import streamlit as st

    from audiodiag.data import sample_sets
    from audiodiag.represent import encoders
    from audiodiag.settings import ComparisonSettings
    from audiodiag.types import Clip
    from pages import _cache as cache
    from pages._data import Dataset

    clips = tuple(c for c in sample_sets.load_sample_set(P5_SET) if isinstance(c, Clip))
    data = Dataset(P5_SET, clips, (), encoders.get_spec(encoders.DEFAULT_TARGET))
    return st, cache, data, ComparisonSettings(encoders=(encoders.WHISPER_UNPADDED,))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p5() -> list[Row]:
    st, cache, data, chosen = _setup()
    folder = tempfile.mkdtemp(prefix="audiodiag-bench-p5-")
    previous = os.environ.get("AUDIODIAG_CACHE_DIR")
    os.environ["AUDIODIAG_CACHE_DIR"] = folder

    def run():
        return cache.run_comparison(data, chosen)

    try:
        colds, disks, warms = [], [], []
        for repeat in range(P5_REPEATS):
            shutil.rmtree(folder, ignore_errors=True)
            st.cache_data.clear()
            st.cache_resource.clear()
            colds.append(_timed(run))
            warms.append(statistics.median(_timed(run) for _ in range(5)))
            st.cache_data.clear()
            disks.append(_timed(run))  # model still loaded: only the Streamlit data caches are gone
        cold, warm, disk = (statistics.median(v) for v in (colds, warms, disks))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if previous is None:
            os.environ.pop("AUDIODIAG_CACHE_DIR", None)
        else:
            os.environ["AUDIODIAG_CACHE_DIR"] = previous
    return [
        Row(f"P5 re-run of a comparison from the cache ({P5_SET}, {len(data.clips)} clips, baseline + Whisper unpadded, "
            f"median of {P5_REPEATS})", warm, "s", "cold run: model load + extraction + 5-fold CV", cold,
            f"≥ {P5_MIN_SPEEDUP:g}× faster than cold", cold / warm >= P5_MIN_SPEEDUP),
        Row("P5 info: restarted server (embeddings from the disk cache, CV re-run)", disk, "s",
            "cold run", cold, "—", None),
    ]


BENCHMARKS = (p5,)
