"""P10: time to the decision note (`python -m audiodiag report --task classify`) for 300 and 3,000 clips.

The clips are the bundled synthetic spoken digits (8 kHz, 6 speakers) and variants of them: each variant
plays every clip at another speed (resampled by 0.80-1.25×, which moves pitch and formants like another
voice) with its own low noise, and counts as another speaker group. So the data has the bundled set's
structure at any size, and nothing is downloaded.

Each run is a fresh process with cold caches (a new, empty AUDIODIAG_CACHE_DIR), timed end to end. References,
measured in the same run, each in one fresh process:

- the bare stages any classification needs (issue 31's reference): decode every file with soundfile, librosa
  MFCC statistics per clip, one scikit-learn 5-fold cross-validation of a logistic regression;
- the bare stages of the same work as the note (the goal's reference): those, plus each model pass the note
  made, read from its JSON: every frozen encoder it compared (loaded and run on every clip by its own `embed`,
  then one more 5-fold cross-validation on its vectors) and, where it inferred voices (speech, enough clips),
  the speaker encoder on every clip. A model's forward pass is the model's cost, not the note's: the goal
  (note ≤ 2× this, at 300 and at 3,000 clips) is on what the note adds around the passes it needs.

Before and after a change, side by side in one run (the other checkout's `report`, this one's and the bare
stages take turns, so a busy machine slows all three alike; wall and CPU seconds, medians)::

    git worktree add ../p10-before HEAD
    python -m benchmarks.bench_report --against ../p10-before --repeat 3
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from audiodiag.measure.speakers import SPEAKER_MIN_CLIPS, SPEECH_MAJORITY
from benchmarks.harness import Row

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "sample_audio" / "spoken_digits"
SIZES = (300, 3000)
GOAL_RATIO = 2.0  # issue 31: the note within 2× the bare stages of the same work, at every size
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


# the model passes the note made, bare: argv = folder, note JSON
SAME_WORK = BARE_STAGES + r'''
import json
from audiodiag.data import layout
from audiodiag.measure import speakers
from audiodiag.represent import encoders
from audiodiag.types import Clip
note = json.load(open(sys.argv[2]))
clips = sorted((c for c in layout.load_folder(sys.argv[1]) if isinstance(c, Clip)), key=lambda c: c.name)
labels = [c.label for c in clips]
for rung in note["data"]["rungs"][1:]:  # the baseline is the first rung: its bare stage is the MFCC above
    vectors = encoders.load_encoder(rung["space"]).embed(clips)
    print(rung["space"], cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), vectors,
          labels, cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean())
voices = note["data"]["comparison"]["speakers"]
if voices["speech_share"] >= speakers.SPEECH_MAJORITY and voices["n_clips"] >= speakers.SPEAKER_MIN_CLIPS:
    print("voices", speakers.speaker_encoder().embed(clips).shape)
'''


def _timed(command: list[str], cache: Path, *, checkout: Path = ROOT) -> float:
    return _run(command, cache, checkout=checkout)[0]


def _run(command: list[str], cache: Path, *, checkout: Path = ROOT) -> tuple[float, float]:
    """(wall s, CPU s of the process and its children) of `command` run in `checkout` (whose audiodiag it imports)."""
    env = {**os.environ, "AUDIODIAG_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)  # the checkout's own package, not one named elsewhere
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _report_command(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "audiodiag", "report", str(folder), "--task", "classify", "--out", str(out),
            "--json", str(out.with_suffix(".json"))]


def _passes(note_json: Path) -> str:
    """The model passes the note made, in words."""
    note = json.loads(note_json.read_text())
    passes = [rung["space"] for rung in note["data"]["rungs"][1:]]
    voices = note["data"]["comparison"]["speakers"]
    if voices["speech_share"] >= SPEECH_MAJORITY and voices["n_clips"] >= SPEAKER_MIN_CLIPS:
        passes.append("speaker encoder")
    return " + ".join(passes) or "none"


def p10() -> list[Row]:
    """Per size, the note, the bare stages and the bare stages of the same work, taking turns (one of each)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            folder = digits_folder(n, Path(tmp))
            note_md = Path(tmp) / f"note_{n}.md"
            note = _timed(_report_command(folder, note_md), Path(tmp) / f"cache_{n}")
            bare = _timed([sys.executable, "-c", BARE_STAGES, str(folder)], Path(tmp) / f"cache_bare_{n}")
            same = _timed([sys.executable, "-c", SAME_WORK, str(folder), str(note_md.with_suffix(".json"))],
                          Path(tmp) / f"cache_same_{n}")
            rows.append(Row(f"P10 decision note, {n:,} clips, cold (s)", note, "s",
                            f"bare stages of the same work: decode + librosa MFCC + the note's model passes "
                            f"({_passes(note_md.with_suffix('.json'))}) + one sklearn 5-fold CV per space", same,
                            f"≤ {GOAL_RATIO:g}× reference", note <= GOAL_RATIO * same))
            rows.append(Row(f"P10 decision note, {n:,} clips, cold (s), against issue 31's bare stages", note, "s",
                            "bare stages: decode + librosa MFCC + one sklearn 5-fold CV (no model pass)", bare,
                            "— (information: the model passes are most of the difference)", None))
    return rows


def side_by_side(against: Path, *, sizes: tuple[int, ...] = SIZES, repeat: int = 1) -> list[str]:
    """P10 for `against` (another checkout), this checkout and the bare stages, taking turns `repeat` times per size:
    Markdown rows of median wall and CPU seconds, and each report's ratio to the bare stages."""
    runs: dict[tuple[int, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = digits_folder(n, Path(tmp))
            for r in range(repeat):
                for i, (who, checkout) in enumerate((("before (--against)", against), ("after (this checkout)", ROOT))):
                    cache = Path(tmp) / f"cache_{n}_{r}_{i}"  # a new, empty cache for every run
                    out = Path(tmp) / f"note_{n}_{who.split()[0]}.md"
                    runs.setdefault((n, who), []).append(_run(_report_command(folder, out), cache, checkout=checkout))
                runs.setdefault((n, "bare stages"), []).append(
                    _run([sys.executable, "-c", BARE_STAGES, str(folder)], Path(tmp) / "cache_bare"))
    rows = ["| clips | what | wall (median, s) | CPU (median, s) | wall / bare | runs (wall, CPU) |",
            "|---|---|---|---|---|---|"]
    for n in sizes:
        bare = statistics.median(w for w, _ in runs[(n, "bare stages")])
        for (size, who), times in runs.items():
            if size == n:
                wall, cpu = statistics.median(w for w, _ in times), statistics.median(c for _, c in times)
                rows.append(f"| {n:,} | {who} | {wall:.1f} | {cpu:.1f} | {wall / bare:.2f}× | "
                            f"{', '.join(f'({w:.1f}, {c:.1f})' for w, c in times)} |")
    return rows


BENCHMARKS = (p10,)

if __name__ == "__main__":
    from benchmarks.harness import markdown_table

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_report", description=__doc__.split("\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout (e.g. a git worktree of the commit before a "
                        "change): its report is timed next to this one's, taking turns")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help=f"clips (default {SIZES})")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, taking turns (default 1)")
    args = parser.parse_args()
    if args.against:
        print("\n".join(side_by_side(args.against.resolve(), sizes=tuple(args.sizes), repeat=args.repeat)))
    else:
        print(markdown_table(p10()))
