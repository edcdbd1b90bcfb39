"""P7: 1,000 clips x 5 s at 44.1 kHz through Inspect's library path and the spectral baseline: peak RSS.

Each measurement runs in a fresh Python process (peak RSS = its VmHWM), next to a reference process that
only decodes every file into memory with soundfile (what holding all raw audio costs).

The library path as the app uses it (`layout.load_folder` -> a list of decoded Clips -> `dataset.analyse` ->
`spaces.space_vectors`) holds every clip's samples at once. An informational row runs the same library
functions streamed: files decoded `dataset.MEASURE_BATCH_CLIPS` at a time, `dataset.measure` and the baseline
features per batch, only per-clip stats and vectors kept, then `dataset.check` once: what a streaming
`analyse` would cost.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import soundfile as sf

from audiodiag.measure.dataset import MEASURE_BATCH_CLIPS
from benchmarks.harness import Row

N_CLIPS = 1_000
DURATION_S = 5.0
RATE_HZ = 44_100
LIMIT_BYTES = 2 * 1024 ** 3

PIPELINE = """
import sys
from audiodiag.data import layout
from audiodiag.measure import dataset
from audiodiag.represent import encoders, spaces
from audiodiag.types import Clip
clips = [c for c in layout.load_folder(sys.argv[1]) if isinstance(c, Clip)]
report = dataset.analyse(clips, spec=encoders.get_spec(encoders.DEFAULT_TARGET))
vectors = spaces.space_vectors(clips, spaces.BASELINE)
assert len(report.stats) == len(clips) == len(vectors.vectors) == %d
print(PEAK())
""" % N_CLIPS

STREAMED = """
import sys
from pathlib import Path
import numpy as np
from audiodiag.data import decoding
from audiodiag.measure import dataset
from audiodiag.represent import encoders, spaces
root = Path(sys.argv[1])
paths = sorted(root.rglob("*.wav"))
stats, speech, vectors = [], [], []
for start in range(0, len(paths), dataset.MEASURE_BATCH_CLIPS):
    batch = [decoding.load_clip(p.read_bytes(), name=p.relative_to(root).as_posix(), label=p.parent.name)
             for p in paths[start:start + dataset.MEASURE_BATCH_CLIPS]]
    s, r = dataset.measure(batch)
    stats += s
    speech += r
    vectors.append(spaces.space_vectors(batch, spaces.BASELINE).vectors)
report = dataset.check(stats, speech, spec=encoders.get_spec(encoders.DEFAULT_TARGET))
assert len(report.stats) == len(np.concatenate(vectors)) == %d
print(PEAK())
""" % N_CLIPS

RAW = """
import sys
from pathlib import Path
import soundfile as sf
audio = [sf.read(p, dtype="float32")[0] for p in sorted(Path(sys.argv[1]).rglob("*.wav"))]
print(PEAK())
"""


# VmHWM (peak RSS of this process image), not ru_maxrss: Linux carries ru_maxrss over from the forking parent,
# so a child of a big benchmark runner would report the runner's peak
PEAK_FN = """
def PEAK():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
"""


def _peak_rss(code: str, folder: Path) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK_FN + textwrap.dedent(code), str(folder)], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def p7_memory() -> list[Row]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = np.arange(int(DURATION_S * RATE_HZ)) / RATE_HZ
        for i in range(N_CLIPS):
            label = f"class{i % 4}"
            (folder / label).mkdir(exist_ok=True)
            wave = 0.2 * np.sin(2 * np.pi * (200 + 100 * (i % 4)) * t) + 0.02 * rng.standard_normal(len(t))
            sf.write(folder / label / f"clip{i:04d}.wav", wave.astype(np.float32), RATE_HZ, subtype="PCM_16")
        raw = _peak_rss(RAW, folder)
        peak = _peak_rss(PIPELINE, folder)
        streamed = _peak_rss(STREAMED, folder)
    reference = "a process that only decodes every file with soundfile (float32)"
    return [Row(f"P7 peak RSS: {N_CLIPS:,} clips × {DURATION_S:g} s at 44.1 kHz through io.load_folder + "
                "dataset.analyse (levels, VAD, checks) + baseline features", peak / 1e9, "GB",
                reference, raw / 1e9, "≤ 2 GB", peak <= LIMIT_BYTES),
            Row(f"P7 info: the same library functions streamed ({N_CLIPS:,} files decoded "
                f"{MEASURE_BATCH_CLIPS} at a time, only stats and vectors kept)", streamed / 1e9, "GB",
                reference, raw / 1e9, "—", None)]


BENCHMARKS = (p7_memory,)
