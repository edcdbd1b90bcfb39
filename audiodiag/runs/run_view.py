"""A finished run folder (`report --out-dir`), read for looking at: the dashboard opens big runs through this.

Nothing is computed again: the per-clip table, vectors, folds, out-of-fold predictions and the note come from the
folder. What is read is read lazily: the table once (its columns only), vectors memory-mapped, one clip's audio
only when it is asked for, and only from inside the data root the folder was opened under.

Not run as a doctest (it needs a run folder written by `python -m audiodiag report DATA --out-dir RUN/`)::

    view = RunView.open(root, "big-run")
    view.page(0, 100)                   # rows 0..99 of the per-clip table, for display
    view.sample(max_points=20_000)      # a stratified sample for maps; metrics use every clip
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from audiodiag.data import dataroot, manifest
from audiodiag.data.rows import ManifestRow
from audiodiag.errors import BadDataError, BadParameterError, RunFolderError
from audiodiag.evaluation import evaluate
from audiodiag.runs import run_folder
from audiodiag.types import Clip

MAP_MAX_POINTS = 20_000  # UMAP is fitted on a stratified sample of at most this many clips
PAGE_ROWS = 100  # table rows shown at a time
MISSING = "—"
TABLE_COLUMNS = {  # clips.parquet column -> shown as
    "name": "file", "label": "label", "group": "group", "duration_s": "duration (s)",
    "sample_rate_hz": "sample rate (Hz)", "channels": "channels", "rms_dbfs": "RMS (dBFS)",
    "peak_dbfs": "peak (dBFS)", "loudness_lufs": "loudness (LUFS)", "snr_db": "SNR (dB)", "silence_ratio": "silence",
    "internal_silence_s": "longest pause (s)", "speech_fraction": "speech", "fold": "test fold",
}


@dataclass(frozen=True)
class RunSummary:
    dataset: str
    n_clips: int
    not_used: tuple[str, ...]  # inputs the run could not use, with the reason
    class_counts: dict[str, int]
    total_hours: float
    median_duration_s: float
    sample_rates: dict[int, int]  # file sample rate -> clips
    findings: dict[str, tuple[int, str]]  # finding code -> (clips with it, one example message)
    spaces: tuple[tuple[str, int], ...]  # (space, vector dimension)
    unavailable: tuple[tuple[str, str], ...]  # (space, reason)
    command: str
    date: str
    engine: str


class RunView:
    """One run folder, opened for reading (see the module docstring)."""

    def __init__(self, path: Path, root: Path | None = None) -> None:
        self.path, self.root = path, root
        try:
            self.meta = json.loads((path / dataroot.RUN_FILE).read_text())
        except (OSError, ValueError) as e:
            raise RunFolderError(f"{path.name}: no readable {dataroot.RUN_FILE} ({e}); write the run again with "
                                 "`python -m audiodiag report DATA --out-dir RUN/`") from e
        if self.meta.get("format") != run_folder.FORMAT_VERSION:
            raise RunFolderError(f"{path.name}: run folder format {self.meta.get('format')!r}, this audiodiag reads "
                                 f"format {run_folder.FORMAT_VERSION}; write the run again with this version")

    @classmethod
    def open(cls, root: str | os.PathLike, relative: str) -> RunView:
        """The run folder `relative` under the data root (nothing outside the root is readable)."""
        return cls(dataroot.resolve(root, relative), Path(root).resolve())

    @cached_property
    def table(self):
        """clips.parquet as a pyarrow Table (read once)."""
        import pyarrow.parquet as pq

        try:
            return pq.read_table(self.path / run_folder.CLIPS_FILE)
        except (OSError, ValueError) as e:
            raise RunFolderError(f"{self.path.name}: cannot read {run_folder.CLIPS_FILE} ({e})") from e

    @property
    def n_clips(self) -> int:
        return self.table.num_rows

    def column(self, name: str) -> list:
        return self.table.column(name).to_pylist() if name in self.table.column_names else [None] * self.n_clips

    @cached_property
    def labels(self) -> np.ndarray:
        return np.asarray([str(v) for v in self.column("label")], dtype=object)

    @cached_property
    def note(self) -> dict:
        return json.loads((self.path / run_folder.NOTE_JSON).read_text())

    @property
    def note_markdown(self) -> str:
        return (self.path / run_folder.NOTE_MD).read_text()

    @property
    def task(self) -> str:
        """"classify" or "transcribe": what the run did."""
        return str(self.meta.get("task") or self.meta.get("settings", {}).get("task", "classify"))

    def scores(self, normalisation: str | None = None):
        """WER of the run's scored clips (those with a reference) from the stored transcripts: (row indices,
        wer.Scores). normalisation: default the run's own. Nothing is transcribed again."""
        from audiodiag.asr import wer

        if self.task != "transcribe":
            raise BadParameterError(f"{self.path.name}: a {self.task} run holds no transcripts")
        refs, hyps = self.column("reference"), self.column("transcript")
        rows = [i for i, r in enumerate(refs) if r is not None]
        how = normalisation or self.meta.get("settings", {}).get("normalisation", "basic")
        return rows, wer.score([refs[i] for i in rows], [hyps[i] for i in rows], normalisation=how)

    @property
    def space_names(self) -> list[str]:
        return [s["space"] for s in self.meta.get("spaces", [])]

    def summary(self) -> RunSummary:
        durations = np.asarray(self.column("duration_s"), dtype=float)
        findings: dict[str, tuple[int, str]] = {}
        for codes, messages in zip(self.column("finding_codes"), self.column("findings"), strict=True):
            for code, message in zip(codes or (), messages or (), strict=True):
                n, example = findings.get(code, (0, message))
                findings[code] = (n + 1, example)
        return RunSummary(
            dataset=str(self.meta.get("dataset", self.path.name)), n_clips=self.n_clips,
            not_used=tuple(self.meta.get("not_used", ())),
            class_counts=dict(sorted(Counter(self.labels.tolist()).items())),
            total_hours=float(durations.sum() / 3600), median_duration_s=float(np.median(durations)),
            sample_rates=dict(sorted(Counter(int(r) for r in self.column("sample_rate_hz")).items())),
            findings=dict(sorted(findings.items(), key=lambda kv: -kv[1][0])),
            spaces=tuple((s["space"], int(s["dim"])) for s in self.meta.get("spaces", [])),
            unavailable=tuple((u["space"], u["reason"]) for u in self.meta.get("unavailable", [])),
            command=str(self.meta.get("command", "")), date=str(self.meta.get("date", "")),
            engine=str(self.meta.get("settings", {}).get("engine", "local")))

    def page(self, start: int, n_rows: int = PAGE_ROWS):
        """Rows start .. start + n_rows - 1 of the per-clip table, for display (pandas DataFrame)."""
        from pandas.api.types import is_numeric_dtype

        part = self.table.slice(max(0, start), max(0, n_rows))
        shown = [c for c in TABLE_COLUMNS if c in part.column_names and  # label/group only when the run has them
                 (c not in ("label", "group") or self.table.column(c).null_count < self.n_clips)]
        frame = part.select(shown).to_pandas().rename(columns=TABLE_COLUMNS)
        for name in frame.columns:  # a missing text reads as a dash; a missing number stays NaN, shown as the
            if frame[name].isna().any() and not is_numeric_dtype(frame[name]):  # table's placeholder
                frame[name] = [MISSING if v is None or v != v else v for v in frame[name].tolist()]
        frame.insert(0, "#", range(start, start + len(frame)))
        frame["findings"] = ["; ".join(m) for m in part.column("findings").to_pylist()]
        return frame

    def vectors(self, space: str) -> np.ndarray:
        """One space's (n_clips, d) float32 vectors, memory-mapped (rows in the table's order)."""
        return np.load(self.path / run_folder.VECTORS_DIR / f"{run_folder.slug(space)}.npy", mmap_mode="r",
                       allow_pickle=False)

    def predictions(self, space: str) -> np.ndarray | None:
        name = run_folder.PREDICTION_PREFIX + space
        if name not in self.table.column_names:
            return None
        return np.asarray(self.table.column(name).to_pylist(), dtype=object)

    def confusion(self, space: str) -> evaluate.Confusion | None:
        """The space's out-of-fold confusion over every clip (from the stored predictions; nothing refitted)."""
        predicted = self.predictions(space)
        if predicted is None:
            return None
        return evaluate.confusion(self.labels, predicted, labels=sorted(set(self.labels.tolist())))

    def sample(self, max_points: int = MAP_MAX_POINTS, *, seed: int = 0) -> np.ndarray:
        """Sorted row indices of a stratified sample: every clip when there are at most max_points, else each
        class in proportion (at least one clip of each class)."""
        n = self.n_clips
        if n <= max_points:
            return np.arange(n)
        rng = np.random.default_rng(seed)
        classes, inverse = np.unique(self.labels.astype(str), return_inverse=True)
        picked = []
        for k in range(len(classes)):
            members = np.flatnonzero(inverse == k)
            take = max(1, int(round(len(members) * max_points / n)))
            picked.append(rng.choice(members, size=min(take, len(members)), replace=False))
        chosen = np.concatenate(picked)
        if len(chosen) > max_points:  # rounding up small classes may overshoot by a few
            chosen = rng.choice(chosen, size=max_points, replace=False)
        return np.sort(chosen)

    def clip(self, index: int) -> Clip:
        """Row `index`'s audio, read from where the run read it. Raises AudioDiagError when the file is gone,
        changed since the run (another content hash), or (opened under a data root) outside that root."""
        row = self.table.slice(index, 1).to_pylist()[0]
        source = row.get("source")
        if not source:
            raise BadDataError(f"{row['name']}: the run keeps no path that gives this clip alone (a zip member, a "
                               "segment of a longer file, or audio inside a Parquet manifest); open the data itself "
                               "to listen to it")
        item = ManifestRow(source, row["name"], row["label"], row["group"], origin=self.path.name)
        if self.root is not None:  # the data root's rules: no URL, nothing outside it, no symlink out
            item = next(dataroot.confine(self.root, [item]))
        clip = manifest.load_row(item)
        if not isinstance(clip, Clip):
            raise BadDataError(clip.message)
        if clip.content_hash != row["content_hash"]:
            raise BadDataError(f"{row['name']}: {source} changed since the run (content hash {clip.content_hash}, "
                               f"the run measured {row['content_hash']}); run the report again")
        return clip
