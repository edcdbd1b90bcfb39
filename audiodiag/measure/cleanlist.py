"""A clean list and a quarantine list: which clips pass the checks the user keeps, and why the others do not.

Nothing on disk is modified, moved or deleted: the output is two manifests. The clean list is a manifest
audiodiag (and most training scripts) read back: path, label, group, transcript. The quarantine list has the
same columns plus `reasons` ("code: message" per finding, "; "-separated). Files that could not be read are
always quarantined (code "unreadable").

>>> entries = [Entry("a.wav", "data/a.wav", label="dog"), Entry("b.wav", "data/b.wav", label="dog")]
>>> findings = {"b.wav": [Finding("clipping", "warning", "2 % of samples clipped")]}
>>> keep, quarantine = split(entries, findings, quarantine_codes={"clipping", "all_silent"})
>>> print(to_text(keep, fmt=".csv"), end="")  # write("clean.csv", keep) writes this to a file
path,label
data/a.wav,dog
>>> quarantine[0]["path"], quarantine[0]["reasons"]
('data/b.wav', 'clipping: 2 % of samples clipped')
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from audiodiag.errors import BadParameterError
from audiodiag.findings import Code
from audiodiag.types import Finding, LoadFailure

COLUMNS = ("path", "label", "group", "transcript")
QUARANTINE_COLUMNS = (*COLUMNS, "reasons")
FORMATS = (".csv", ".jsonl")


@dataclass(frozen=True)
class Entry:
    """One clip as the clean list writes it: `path` where it was read (a manifest's source, an uploaded name)."""

    name: str
    path: str
    label: str | None = None
    group: str | None = None
    transcript: str | None = None


def default_codes(per_clip: Mapping[str, Sequence[Finding]]) -> list[str]:
    """The codes quarantined unless the user chooses otherwise: every error and warning found (not notes)."""
    return sorted({f.code for fs in per_clip.values() for f in fs if f.severity in ("error", "warning")})


def split(entries: Sequence[Entry], per_clip: Mapping[str, Sequence[Finding]], *,
          quarantine_codes: Collection[str], failures: Sequence[LoadFailure] = ()) -> tuple[list[dict], list[dict]]:
    """(clean rows, quarantine rows), in input order. A clip is quarantined when one of its findings has a code in
    `quarantine_codes`; its reasons list those findings only. Unreadable files are quarantined whatever the codes."""
    keep, quarantine = [], []
    for e in entries:
        row = {"path": e.path, "label": e.label, "group": e.group, "transcript": e.transcript}
        reasons = [f for f in per_clip.get(e.name, ()) if f.code in quarantine_codes]
        if reasons:
            quarantine.append({**row, "reasons": "; ".join(f"{f.code}: {f.message}" for f in reasons)})
        else:
            keep.append(row)
    quarantine += [{"path": f.name, "label": None, "group": None, "transcript": None,
                    "reasons": f"{Code.UNREADABLE}: {f.message}"} for f in failures]
    return keep, quarantine


def to_text(rows: Sequence[dict], *, fmt: str) -> str:
    """CSV (columns present in any row; the path first) or JSONL (one object per line, empty values left out)."""
    if fmt not in FORMATS:
        raise BadParameterError(f"list format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == ".jsonl":
        return "".join(json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) + "\n"
                       for r in rows)
    columns = [c for c in QUARANTINE_COLUMNS if any(r.get(c) is not None for r in rows)] or ["path"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return out.getvalue()


def list_format(path: str | os.PathLike) -> str:
    """The format (".csv" or ".jsonl") a list written to `path` gets from its extension; anything else raises, so
    a caller can refuse a bad name before any work."""
    fmt = Path(path).suffix.lower()
    if fmt not in FORMATS:
        raise BadParameterError(f"{path}: a list is written as .csv or .jsonl (got {fmt or 'no extension'}); "
                                "name the file e.g. clean.csv")
    return fmt


def write(path: str | os.PathLike, rows: Sequence[dict]) -> Path:
    """Write rows as CSV or JSONL, chosen by the file's extension."""
    target = Path(path).expanduser()
    target.write_text(to_text(rows, fmt=list_format(target)), encoding="utf-8")
    return target
