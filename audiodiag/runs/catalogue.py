"""The run folders under a data root, listed, compared two at a time, and written from the dashboard: did cleaning
the data, another encoder or more labels change the verdict?

Nothing is recomputed. Verdicts are each run's own claims (note.json's `data.claims`), scores its note's numbers,
predictions its clips.parquet columns ("prediction: <space>"). Clips are matched by content hash (the hash of the
file's bytes), so a file renamed or moved between runs is still the same clip; a clip in one run only is counted and
named, never dropped. A run saved from a page goes through `runfolder.write_run`, the CLI's one writer.

Not run as a doctest (it needs two run folders written by `python -m audiodiag report DATA --out-dir RUN/`)::

    listed = list_runs(root)                                    # newest first
    difference = compare_runs(RunView.open(root, listed[1].name), RunView.open(root, listed[0].name))
    for claim in difference.claims(): print(claim.text)
"""
from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audiodiag.data import dataroot
from audiodiag.data.rows import ManifestRow
from audiodiag.errors import AudioDiagError, BadParameterError
from audiodiag.evaluation import duplicates
from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.represent import spaces
from audiodiag.runs import run_folder, stream
from audiodiag.runs.run_view import RunFolderError, RunView
from audiodiag.types import ClipInfo
from audiodiag.verdict.claims import Kind
from audiodiag.verdict.runs import (
    CLIPS_SCOPE,
    NOT_IN_RUN,
    NOTE_SCOPE,
    REFERENCE,
    ChangedClip,
    FindingChange,
    Headline,
    PredictionChange,
    RunDifference,
    RungScores,
    SettingChange,
)

__all__ = ["MATCHED_BY", "RunDifference", "RunEntry", "compare_runs", "entry_sources", "list_runs", "new_run_name",
           "save_run", "writable"]
MATCHED_BY = "content hash"
NOTE_FINDING_KINDS = (Kind.PROBLEM.value, Kind.ADVICE.value, Kind.UNAVAILABLE.value)  # note.json claims: findings
DATE_FORMAT = "%Y%m%d-%H%M%S"  # in the name of a run saved from a page


@dataclass(frozen=True)
class RunEntry:
    """One run folder as the Runs view lists it; `problem` says why a folder with run.json cannot be read."""

    name: str  # its path relative to the data root (what RunView.open takes)
    dataset: str
    task: str
    spaces: tuple[str, ...]
    folds: str
    padding: str
    verdict: str  # the note's recommended rung (classification) or its headline (transcription)
    date: str  # ISO 8601, UTC
    n_clips: int
    problem: str | None = None


def describe(view: RunView) -> RunEntry:
    """The listing row of one opened run folder."""
    note = view.note
    comparison = note.get("data", {}).get("comparison") or {}
    folds = f"{comparison['n_splits']} ({comparison['strategy']})" if comparison else NOT_IN_RUN
    return RunEntry(view.path.name, str(view.meta.get("dataset", "")), view.task,
                    tuple(s["space"] for s in view.meta.get("spaces", [])), folds,
                    str(comparison.get("padding", NOT_IN_RUN)), str(note.get("rung") or note.get("verdict", "")),
                    str(view.meta.get("date", "")), int(view.meta.get("counts", {}).get("clips", view.n_clips)))


def list_runs(root: str | os.PathLike) -> list[RunEntry]:
    """Every run folder directly under the data root, newest first; one that cannot be read is listed with its
    problem (and no date), last."""
    out = []
    for entry in dataroot.list_entries(root):
        if entry.kind != dataroot.RUN:
            continue
        try:
            out.append(describe(RunView.open(root, entry.name)))
        except (AudioDiagError, OSError, ValueError, KeyError) as e:
            out.append(RunEntry(entry.name, "", "", (), NOT_IN_RUN, NOT_IN_RUN, NOT_IN_RUN, "", 0, str(e)))
    return sorted(out, key=lambda r: (r.date, r.name), reverse=True)


# ---------------------------------------------------------------- comparing two runs

def headline(view: RunView) -> Headline:
    """The note's recommended rung: its recommendation claim (a transcription note has none: its verdict line)."""
    note = view.note
    rec = next((c for c in note.get("data", {}).get("claims", []) if c["kind"] == Kind.RECOMMENDATION.value), None)
    if rec is None:
        return Headline(str(note.get("rung", "")), "", str(note.get("verdict", "")))
    return Headline(str(rec["verdict"]), str(rec["subject"][0]) if rec["subject"] else "", str(rec["text"]))


def _verdicts(view: RunView) -> dict[str, str]:
    """space -> its verdict against the baseline, as the run's note claims it; REFERENCE for the baseline."""
    claims = view.note.get("data", {}).get("claims", [])
    out = {c["subject"][0]: REFERENCE for c in claims if c["kind"] == Kind.BASELINE.value and c["subject"]}
    out.update({c["subject"][0]: str(c["verdict"]) for c in claims if c["kind"] == Kind.ENCODER_VS_BASELINE.value})
    return out


def _accuracies(view: RunView) -> dict[str, Estimate]:
    return {r["space"]: Estimate(**r["accuracy"]) for r in view.note.get("data", {}).get("rungs", [])}


def rung_scores(a: RunView, b: RunView) -> tuple[RungScores, ...]:
    """Every space of either run (A's order, then B's new ones): accuracy [95 % CI] and verdict in each."""
    acc_a, acc_b, ver_a, ver_b = _accuracies(a), _accuracies(b), _verdicts(a), _verdicts(b)
    names = list(dict.fromkeys([*acc_a, *ver_a, *acc_b, *ver_b]))
    return tuple(RungScores(s, acc_a.get(s), acc_b.get(s), ver_a.get(s), ver_b.get(s)) for s in names)


def findings(view: RunView) -> dict[tuple[str, str], FindingChange]:
    """(scope, code) -> the finding as this run states it: the note's problems, advice and encoders that could not
    run, and each per-clip finding code with the clips that carry it."""
    out: dict[tuple[str, str], FindingChange] = {}
    for c in view.note.get("data", {}).get("claims", []):
        if c["kind"] in NOTE_FINDING_KINDS:
            code = f"{c['kind']}: {c['subject'][0]}" if c["kind"] == Kind.UNAVAILABLE.value else str(c["verdict"])
            out.setdefault((NOTE_SCOPE, code), FindingChange(code, NOTE_SCOPE, str(c["text"])))
    counts: dict[str, list] = {}
    for codes, messages in zip(view.column("finding_codes"), view.column("findings"), strict=True):
        for code, message in zip(codes or (), messages or (), strict=True):
            counts.setdefault(code, [0, message])[0] += 1
    for code, (n, message) in counts.items():
        out[(CLIPS_SCOPE, code)] = FindingChange(code, CLIPS_SCOPE, message, n, n)
    return out


def _added(mine: dict, other: dict, *, in_b: bool) -> tuple[FindingChange, ...]:
    """Findings of `mine` that `other` lacks, with the clip counts of the run they are in."""
    return tuple(replace(f, clips_a=0 if in_b else f.clips_a, clips_b=f.clips_b if in_b else 0)
                 for key, f in sorted(mine.items()) if key not in other)


def match_clips(a: RunView, b: RunView) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(pairs of rows (in A, in B) holding the same file bytes, rows only in A, rows only in B). Identical files
    (one hash, several rows) are paired in order of name."""
    def rows_by_hash(view: RunView) -> dict[str, list[int]]:
        names, out = view.column("name"), {}
        for i, h in enumerate(view.column("content_hash")):
            out.setdefault(h, []).append(i)
        return {h: sorted(rows, key=lambda i: names[i]) for h, rows in out.items()}

    in_a, in_b = rows_by_hash(a), rows_by_hash(b)
    pairs, only_a, only_b = [], [], []
    for h, rows in in_a.items():
        others = in_b.get(h, [])
        pairs += list(zip(rows, others, strict=False))  # the rest: only_a, only_b
        only_a += rows[len(others):]
    for h, rows in in_b.items():
        only_b += rows[len(in_a.get(h, [])):]
    return sorted(pairs), sorted(only_a), sorted(only_b)


def changed_predictions(a: RunView, b: RunView, pairs: Sequence[tuple[int, int]]) -> tuple[PredictionChange, ...]:
    """For each space with predictions in both runs: the paired clips whose out-of-fold prediction differs."""
    out = []
    names_a, names_b, labels_a, labels_b = a.column("name"), b.column("name"), a.column("label"), b.column("label")
    for space in [s for s in a.space_names if s in b.space_names]:
        pred_a, pred_b = a.predictions(space), b.predictions(space)
        if pred_a is None or pred_b is None:
            continue
        changed = tuple(ChangedClip(names_a[i], names_b[j], labels_a[i], labels_b[j], str(pred_a[i]), str(pred_b[j]),
                                    i, j) for i, j in pairs if pred_a[i] != pred_b[j])
        out.append(PredictionChange(space, len(pairs), changed))
    return tuple(out)


def _flat(settings: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _shown(value) -> str:
    if value is None:
        return NOT_IN_RUN
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)


def settings_diff(a: RunView, b: RunView) -> tuple[SettingChange, ...]:
    """The dataset, the spaces that ran and every run.json setting whose value differs between the runs."""
    def of(view: RunView) -> dict[str, object]:
        return {"dataset": view.meta.get("dataset"), "spaces": [s["space"] for s in view.meta.get("spaces", [])],
                **_flat(view.meta.get("settings", {}))}

    sa, sb = of(a), of(b)
    keys = list(dict.fromkeys([*sa, *sb]))
    return tuple(SettingChange(k, _shown(sa.get(k)), _shown(sb.get(k))) for k in keys if sa.get(k) != sb.get(k))


def compare_runs(a: RunView, b: RunView) -> RunDifference:
    """What differs between run A and run B (see the module docstring). Raises RunFolderError for a run that is
    not a classification run (a transcription run has no verdicts or predictions to compare)."""
    for view in (a, b):
        if view.task != "classify":
            raise RunFolderError(f"{view.path.name}: a {view.task} run; the Runs view compares classification runs "
                                 "(`report --task classify --out-dir RUN/`): open its note on the Decide page instead")
    pairs, only_a, only_b = match_clips(a, b)
    fa, fb = findings(a), findings(b)
    names_a, names_b, labels_a, labels_b = a.column("name"), b.column("name"), a.column("label"), b.column("label")
    relabelled = tuple((names_b[j], labels_a[i], labels_b[j]) for i, j in pairs if labels_a[i] != labels_b[j])
    return RunDifference(
        a.path.name, b.path.name, headline(a), headline(b), rung_scores(a, b),
        findings_added=_added(fb, fa, in_b=True), findings_gone=_added(fa, fb, in_b=False), matched_by=MATCHED_BY,
        n_matched=len(pairs), only_a=tuple(names_a[i] for i in only_a), only_b=tuple(names_b[j] for j in only_b),
        relabelled=relabelled, predictions=changed_predictions(a, b, pairs), settings=settings_diff(a, b))


# ---------------------------------------------------------------- a page's comparison, saved as a run folder

def writable(root: str | os.PathLike) -> bool:
    """Whether this process may create a run folder in the data root (a hosted root is often mounted read-only)."""
    return os.access(root, os.W_OK | os.X_OK)


def new_run_name(root: str | os.PathLike, dataset: str, *,
                 when: datetime.datetime | None = None) -> str:
    """A free folder name in the root for a run of `dataset`: "<dataset>-<UTC date and time>" (then "-2", "-3" ...
    when two runs are saved within one second)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    base = f"{run_folder.slug(dataset)}-{when.strftime(DATE_FORMAT)}"
    name, n = base, 2
    while (Path(root) / name).exists():
        name, n = f"{base}-{n}", n + 1
    return name


def entry_sources(root: str | os.PathLike, relative: str) -> dict[str, str]:
    """clip name -> its file, for a data root entry (folder or manifest): saved with the run, so the Runs view can
    play a clip again. Reads the listing only, no audio."""
    return {row.name: source for row in dataroot.entry_rows(root, relative)
            if isinstance(row, ManifestRow) and (source := stream.source_of(row)) is not None}


def save_run(root: str | os.PathLike, name: str, *, dataset: str, clips: Sequence, stats: Sequence,
             speech: Sequence, vectors: Sequence[spaces.SpaceVectors], comparison, note,
             settings: dict, command: str, unavailable: Iterable[tuple[str, str]] = (), failures: Sequence = (),
             sources: dict[str, str] | None = None) -> Path:
    """Write a comparison made in memory (a page's clips, measurements, vectors, comparison and note) as the new run
    folder `name` directly under the data root, with `runfolder.write_run`. Refuses a name that exists (nothing is
    overwritten) and a root this process cannot write. sources: clip name -> file (`entry_sources`), else none."""
    if not writable(root):
        raise BadParameterError(f"the data root {root} is read-only for this server, so runs cannot be saved there; "
                                "write one where it is writable: python -m audiodiag report DATA --out-dir RUN/")
    if Path(name).name != name or name.startswith("."):
        raise BadParameterError(f"{name!r}: not a folder name; use a name without '/' or a leading '.' (new_run_name "
                                "gives one)")
    folder = Path(root).resolve() / name
    try:
        folder.mkdir()
    except FileExistsError as e:
        raise BadParameterError(f"{name}: already exists in the data root; a run is never overwritten: choose another "
                                "name") from e
    except OSError as e:
        raise AudioDiagError(f"{name}: cannot be created in the data root ({e})") from e
    infos = tuple(ClipInfo.of(c, audio_hash=duplicates.audio_hash(c)) if not isinstance(c, ClipInfo) else c
                  for c in clips)
    if sources:
        infos = tuple(replace(c, source=sources.get(c.name, c.source)) for c in infos)
    streamed = stream.Streamed(infos, tuple(stats), tuple(tuple(s) for s in speech), tuple(vectors), tuple(unavailable),
                        tuple(failures), n_decoded=len(infos))
    return run_folder.write_run(folder, streamed, comparison, note, dataset=dataset, settings=settings,
                                command=command)

