"""P10: time to the decision note (`python -m audiodiag report --task classify`) for 300 and 3,000 clips.

The clips are the bundled synthetic spoken digits (8 kHz, 6 speakers) and variants of them: each variant
plays every clip at another speed (resampled by 0.80-1.25×, which moves pitch and formants like another
voice) with its own low noise, and counts as another speaker group. So the data has the bundled set's
structure at any size, and nothing is downloaded.

Each run is a fresh process with cold caches (a new, empty AUDIODIAG_CACHE_DIR), timed end to end. Reference,
measured in the same run: the bare stages any classification needs — decode every file with soundfile, librosa
MFCC statistics per clip, one scikit-learn 5-fold cross-validation of a logistic regression — in one process.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import Row

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "sample_audio" / "spoken_digits"
SIZES = (300, 3000)
GOAL_300_S = 10.0
SPEEDS = np.linspace(0.80, 1.25, 25)


def digits_folder(n_clips: int, root: Path) -> Path:
    """`n_clips` spoken digits in one sub-folder per label with groups.csv (speaker × variant groups)."""
    import soundfile as sf
    import soxr

    rows = list(csv.DictReader((DIGITS / "groups.csv").open()))
    out = root / f"digits_{n_clips}"
    if out.exists():
        return out
    table = [("path", "label", "speaker")]
    rng = np.random.default_rng(0)
    for i in range(n_clips):
        variant, row = divmod(i, len(rows))
        source = rows[row]
        x, rate = sf.read(DIGITS / source["path"], dtype="float32")
        if variant:
            x = soxr.resample(x, rate, rate / SPEEDS[variant % len(SPEEDS)]).astype(np.float32)
            x += rng.normal(0, 3e-3, len(x)).astype(np.float32)
        rel = f"{source['label']}/v{variant}_{Path(source['path']).name}"
        (out / source["label"]).mkdir(parents=True, exist_ok=True)
        sf.write(out / rel, np.clip(x, -1, 1), rate, subtype="PCM_16")
        table.append((rel, source["label"], f"{source['speaker']}_v{variant}"))
    with (out / "groups.csv").open("w", newline="") as f:
        csv.writer(f).writerows(table)
    return out


BARE_STAGES = r'''
import sys, glob, numpy as np, soundfile as sf, librosa
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
paths = sorted(glob.glob(sys.argv[1] + "/*/*.wav"))
X, y = [], []
for p in paths:
    x, rate = sf.read(p, dtype="float32")
    m = librosa.feature.mfcc(y=x, sr=rate, n_mfcc=20)
    X.append(np.concatenate([m.mean(axis=1), m.std(axis=1)]))
    y.append(p.split("/")[-2])
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
print(cross_val_score(model, np.array(X), y, cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean())
'''


def _timed(command: list[str], cache: Path) -> float:
    env = {**os.environ, "AUDIODIAG_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def p10() -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            folder = digits_folder(n, Path(tmp))
            cache = Path(tmp) / f"cache_{n}"
            note = _timed([sys.executable, "-m", "audiodiag", "report", str(folder), "--task", "classify",
                           "--out", str(Path(tmp) / f"note_{n}.md")], cache)
            shutil.rmtree(cache, ignore_errors=True)
            bare = _timed([sys.executable, "-c", BARE_STAGES, str(folder)], cache)
            goal = n == SIZES[0]
            rows.append(Row(f"P10 decision note, {n:,} clips, cold (s)", note, "s",
                            "bare stages: decode + librosa MFCC + one sklearn 5-fold CV", bare,
                            f"≤ {GOAL_300_S:g} s" if goal else "— (how it grows)", note <= GOAL_300_S if goal else None))
    return rows


BENCHMARKS = (p10,)

if __name__ == "__main__":
    from benchmarks.harness import markdown_table

    print(markdown_table(p10()))
