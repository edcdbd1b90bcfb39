"""A run folder: what `report --out-dir RUN/` computed, on disk, for re-runs and for people.

    RUN/run.json            what ran: settings, the exact command line, package versions, counts, date
    RUN/clips.parquet       one row per clip used: name, source, label, group, hashes, rates, every ClipStats
                            measurement, VAD speech regions, per-clip findings, the test fold and each
                            space's out-of-fold prediction ("prediction: <space>")
    RUN/vectors/<slug>.npy  one (n_clips, d) float32 matrix per space, rows in clips.parquet's order
    RUN/vectors/<slug>.json the space, its settings, timing and the content hash of every row
    RUN/folds.json          the cross-validation folds (strategy, fold per clip); a transcription run has none,
                            and its clips.parquet holds each clip's reference and transcript instead
    RUN/note.md, note.json  the decision note
    RUN/note.html           the same note in one self-contained file (the ladder chart first; opens offline)

`run.json` is written last, so a folder with one holds a complete run (`dataroot.RUN_FILE` recognises it).
`read_previous` gives `stream.stream` what a re-run can reuse: measurements by content hash, vectors by settings.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
from dataclasses import fields
from importlib import metadata
from pathlib import Path

import numpy as np

import audiodiag
from audiodiag.data.dataroot import RUN_FILE
from audiodiag.evaluation.compare import Comparison
from audiodiag.measure.dataset import per_clip_findings
from audiodiag.measure.per_clip import ClipStats
from audiodiag.runs.stream import Kept, KeptVectors, Previous, Streamed
from audiodiag.types import ClipInfo, SpeechRegion
from audiodiag.verdict.notes import DecisionNote

FORMAT_VERSION = 1
CLIPS_FILE = "clips.parquet"
VECTORS_DIR = "vectors"
FOLDS_FILE = "folds.json"
NOTE_MD, NOTE_JSON, NOTE_HTML = "note.md", "note.json", "note.html"
PACKAGES = ("audiodiag", "numpy", "scipy", "scikit-learn", "librosa", "soundfile", "pyarrow", "torch",
            "transformers")
STAT_FIELDS = tuple(f.name for f in fields(ClipStats) if f.name not in ("name", "label", "group"))


def slug(space: str) -> str:
    """A file name for a space: 'spectral baseline (MFCC/log-mel)' -> 'spectral-baseline-mfcc-log-mel'."""
    return re.sub(r"[^a-z0-9]+", "-", space.lower()).strip("-") or "space"


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that shape the numbers (None: not installed)."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = audiodiag.__version__ if name == "audiodiag" else None
    return out


def _write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file and rename, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the run from a dashboard run by another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


PREDICTION_PREFIX = "prediction: "  # clips.parquet column of one space's out-of-fold predicted label


def clips_table(streamed: Streamed, comparison: Comparison | None):
    """clips.parquet's rows as a pyarrow Table (one row per clip used, input order)."""
    import pyarrow as pa

    columns: dict[str, list] = {
        "name": [c.name for c in streamed.clips], "source": [c.source for c in streamed.clips],
        "label": [c.label for c in streamed.clips],
        "group": [c.group for c in streamed.clips], "content_hash": [c.content_hash for c in streamed.clips],
        "audio_hash": [c.audio_hash for c in streamed.clips], "n_samples": [c.n_samples for c in streamed.clips],
        "decoded_sample_rate_hz": [c.sample_rate_hz for c in streamed.clips],
    }
    for name in STAT_FIELDS:  # ClipStats' sample_rate_hz / channels are the file's own (original) ones
        columns[name] = [getattr(s, name) for s in streamed.stats]
    columns["speech_start_s"] = [[r.start_s for r in regions] for regions in streamed.speech]
    columns["speech_end_s"] = [[r.end_s for r in regions] for regions in streamed.speech]
    per_clip = per_clip_findings(streamed.stats)
    findings = [per_clip[s.name] for s in streamed.stats]
    columns["finding_codes"] = [[f.code for f in fs] for fs in findings]
    columns["findings"] = [[f.message for f in fs] for fs in findings]
    if streamed.transcripts is not None:  # a transcription run
        columns["reference"] = list(streamed.references)
        columns["transcript"] = list(streamed.transcripts)
    if comparison is not None:
        columns["fold"] = [int(f) for f in comparison.folds.fold_of_sample]
        for rung in comparison.rungs:
            columns[PREDICTION_PREFIX + rung.space] = [str(p) for p in rung.predictions]
    types = {"source": pa.string(), "reference": pa.string(), "transcript": pa.string(), "speech_start_s": pa.list_(pa.float64()), "speech_end_s": pa.list_(pa.float64()),
             "finding_codes": pa.list_(pa.string()), "findings": pa.list_(pa.string()),
             "label": pa.string(), "group": pa.string(), "bit_depth": pa.int64(), "speech_fraction": pa.float64()}
    return pa.table({k: pa.array(v, type=types.get(k)) for k, v in columns.items()})


def write_run(folder: str | os.PathLike, streamed: Streamed, comparison: Comparison | None, note: DecisionNote, *,
              dataset: str, settings: dict, command: str) -> Path:
    """Write the run folder (see the module docstring); returns its path. Files of an earlier run are replaced;
    vectors of spaces this run did not use are removed. A transcription run (no comparison) has no folds and
    keeps each clip's reference and transcript in clips.parquet."""
    import pyarrow.parquet as pq

    root = Path(folder).expanduser()
    (root / VECTORS_DIR).mkdir(parents=True, exist_ok=True)
    (root / RUN_FILE).unlink(missing_ok=True)  # the folder is incomplete until run.json is back
    table = clips_table(streamed, comparison)
    tmp = root / f".{CLIPS_FILE}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, root / CLIPS_FILE)
    hashes = [c.content_hash for c in streamed.clips]
    written = set()
    for v in streamed.vectors:
        name = slug(v.space)
        tmp = root / VECTORS_DIR / f".{name}.npy.tmp"
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(v.vectors, np.float32), allow_pickle=False)
        os.replace(tmp, root / VECTORS_DIR / f"{name}.npy")
        _write_text(root / VECTORS_DIR / f"{name}.json", json.dumps({
            "space": v.space, "settings": v.settings, "seconds_per_clip": _number(v.seconds_per_clip),
            "model_mb": v.model_mb, "shape": list(v.vectors.shape), "content_hashes": hashes}, indent=1))
        written |= {f"{name}.npy", f"{name}.json"}
    for stale in (root / VECTORS_DIR).iterdir():
        if stale.name not in written and stale.suffix in (".npy", ".json"):
            stale.unlink()
    (root / FOLDS_FILE).unlink(missing_ok=True)
    if comparison is not None:
        folds = comparison.folds
        _write_text(root / FOLDS_FILE, json.dumps({
            "strategy": folds.strategy, "n_splits": folds.n_splits, "note": folds.note,
            "fold_of_clip": [int(f) for f in folds.fold_of_sample]}))
    _write_text(root / NOTE_MD, note.to_markdown())
    _write_text(root / NOTE_JSON, note.to_json())
    _write_text(root / NOTE_HTML, note.to_html())
    _write_text(root / RUN_FILE, json.dumps({
        "format": FORMAT_VERSION, "dataset": dataset, "task": settings.get("task", "classify"), "command": command,
        "settings": settings,
        "versions": package_versions(),
        "counts": {"clips": len(streamed.clips), "not_used": len(streamed.failures),
                   "decoded_this_run": streamed.n_decoded, "spaces": len(streamed.vectors),
                   "spaces_unavailable": len(streamed.unavailable)},
        "spaces": [{"space": v.space, "file": f"{VECTORS_DIR}/{slug(v.space)}.npy", "dim": v.embedding_size}
                   for v in streamed.vectors],
        "unavailable": [{"space": n, "reason": why} for n, why in streamed.unavailable],
        "not_used": [f.message for f in streamed.failures],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }, indent=2, default=str))
    return root


def _number(x: float) -> float | None:
    return None if x != x else float(x)


def read_clips(folder: str | os.PathLike) -> list[dict]:
    """clips.parquet as one dict per clip (input order)."""
    import pyarrow.parquet as pq

    return pq.read_table(Path(folder).expanduser() / CLIPS_FILE).to_pylist()


def read_vectors(folder: str | os.PathLike, space: str) -> tuple[np.ndarray, list[str]]:
    """One space's (n_clips, d) vectors and the content hash of each row."""
    root = Path(folder).expanduser() / VECTORS_DIR
    meta = json.loads((root / f"{slug(space)}.json").read_text())
    return np.load(root / f"{slug(space)}.npy", allow_pickle=False), list(meta["content_hashes"])


def read_previous(folder: str | os.PathLike) -> Previous | None:
    """What a complete run folder written by this audiodiag version holds, for `stream.stream` to reuse; None
    when there is no such run (no run.json, another version, unreadable files)."""
    root = Path(folder).expanduser()
    try:
        run = json.loads((root / RUN_FILE).read_text())
        if run.get("format") != FORMAT_VERSION or run.get("versions", {}).get("audiodiag") != audiodiag.__version__:
            return None
        rows = read_clips(root)
        vectors = []
        for space in run.get("spaces", []):
            matrix, hashes = read_vectors(root, space["space"])
            meta = json.loads((root / VECTORS_DIR / f"{slug(space['space'])}.json").read_text())
            seconds = meta.get("seconds_per_clip")
            vectors.append(KeptVectors(meta["settings"], dict(zip(hashes, matrix, strict=True)),
                                       float("nan") if seconds is None else float(seconds), float(meta["model_mb"])))
    except (OSError, ValueError, KeyError):
        return None  # no run here, or a damaged one: everything is computed again
    clips = {}
    for r in rows:
        info = ClipInfo(r["name"], r["n_samples"], r["decoded_sample_rate_hz"], r["sample_rate_hz"], r["channels"],
                        r["label"], r["group"], r["content_hash"], r["audio_hash"], r.get("source"))
        stats = ClipStats(name=r["name"], label=r["label"], group=r["group"],
                          **{k: r[k] for k in STAT_FIELDS if k in r})  # a field added since: its default
        speech = tuple(SpeechRegion(a, b) for a, b in zip(r["speech_start_s"], r["speech_end_s"], strict=True))
        clips[r["content_hash"]] = Kept(info, stats, speech)
    return Previous(clips, tuple(vectors))
