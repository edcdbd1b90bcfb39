"""Datasets of any size as a stream of rows: a manifest (CSV, JSONL, Parquet) read lazily, its header checked
first; a folder streams the same rows (`layout.iter_folder`).

Besides audiodiag's own tables, the manifests NeMo, Hugging Face (Parquet export) and Lhotse (cuts) write are read as
they are, recognised by their content (`audiodiag.data.formats`).

A row (`rows.ManifestRow`) names one audio file (a local path or an fsspec URL) and what is known about it;
nothing here holds the whole dataset. Rows go through `iter_batches` and `load_rows` to become `Clip`s a batch at
a time:

>>> import fsspec, numpy as np, soundfile as sf
>>> fs = fsspec.filesystem("memory")  # any fsspec URL reads the same way: s3://, gs://, file:// ...
>>> with fs.open("/example/clips/a.wav", "wb") as f:
...     sf.write(f, np.zeros(1600), 16000, format="WAV")  # 0.1 s of silence
>>> fs.pipe("/example/train.csv", b"path,label\\nclips/a.wav,dog\\nclips/gone.wav,dog\\n")
>>> for batch in iter_batches(read_manifest("memory://example/train.csv"), batch_size=256):
...     print([type(result).__name__ for result in load_rows(batch)])  # one Clip or LoadFailure per row, in order
['Clip', 'LoadFailure']

A row that cannot be used (no path, a line that does not parse) comes out of the stream as a `LoadFailure`
naming the manifest, the line, the value and the fix, so the rest still loads; `load_rows` passes it through.
Only a manifest that cannot be used at all (missing, unreadable, no path column) raises `ManifestError`.
"""
from __future__ import annotations

import itertools
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import fsspec
from fsspec.core import split_protocol

from audiodiag.data import decoding, formats, tables
from audiodiag.data.manifest_records import (
    cell_text,
    csv_records,
    jsonl_records,
    parquet_records,
    quoted,
    read_header,
)
from audiodiag.data.rows import ManifestRow, location
from audiodiag.errors import InvalidAudioError, ManifestError
from audiodiag.types import Clip, LoadFailure

# file name endings (a `.gz` one is read through gzip); what the file holds is recognised by its content
MANIFEST_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                    ".json": "jsonl", ".jsonl.gz": "jsonl", ".json.gz": "jsonl"}  # NeMo writes .json; Lhotse .jsonl.gz
LABEL_COLUMN = "label"
TRANSCRIPT_COLUMNS = ("transcript", "reference")  # first match wins; `reference` is what transcripts.csv says
PARQUET_BATCH_ROWS = 4_096  # rows decoded from Parquet at a time (a row group is the unit actually read)
PARQUET_AUDIO_BATCH_ROWS = 64  # the same, when the audio itself is in the file (a Hugging Face export's bytes)
LOCAL_PROTOCOLS = (None, "file", "local")


@dataclass(frozen=True)
class Manifest:
    """A manifest whose header has been checked; `rows()` streams it (each call reads it again from the start).

    >>> import fsspec
    >>> fsspec.filesystem("memory").pipe("/example/train.csv", b"path,label,speaker\\nclips/a.wav,dog,ann\\n")
    >>> m = open_manifest("memory://example/train.csv")
    >>> m.group_column, next(iter(m.rows())).source
    ('speaker', 'memory://example/clips/a.wav')
    """

    url: str
    format: str  # "csv" | "jsonl" | "parquet"
    columns: tuple[str, ...]
    path_column: str
    label_column: str | None
    group_column: str | None
    transcript_column: str | None
    fold_column: str | None = None
    kind: str = formats.TABLE  # who wrote it: formats.TABLE (audiodiag's columns), NEMO, HF_PARQUET or LHOTSE
    label_names: tuple[str, ...] | None = None  # a Hugging Face ClassLabel's names: integer labels name these
    read_columns: tuple[str, ...] = ()  # the other columns the format reads (NeMo: offset, duration)
    split_column: str | None = None  # train / validation / test (io.SPLIT_COLUMNS): kept on each clip

    @property
    def name(self) -> str:
        return PurePosixPath(split_protocol(self.url)[1].rstrip("/")).name or self.url

    @property
    def unused_columns(self) -> tables.UnusedColumns | None:
        """The columns no row reads (a JSONL manifest: of its first object), named by check, report and the
        sidebar; a column a new reader uses belongs in `used` here."""
        return tables.unused_columns(self.name, self.columns, used=(
            self.path_column, self.label_column, self.group_column, self.transcript_column, self.fold_column,
            self.split_column, *self.read_columns))

    def rows(self) -> Iterator[ManifestRow | LoadFailure]:
        """Every row in file order, read lazily; bad rows come as LoadFailures."""
        name, resolve = self.name, _source_resolver(self.url)  # once, not per row
        for line, record in self._records(name):
            yield record if isinstance(record, LoadFailure) else self._row(line, record, name, resolve)

    def _records(self, name: str) -> Iterator[tuple[int, dict | LoadFailure]]:
        if self.format == "parquet":
            wanted = [c for c in (self.path_column, self.label_column, self.group_column, self.transcript_column,
                                  self.fold_column, self.split_column) if c]
            size = PARQUET_AUDIO_BATCH_ROWS if self.kind == formats.HF_PARQUET else PARQUET_BATCH_ROWS  # audio here
            return parquet_records(self.url, columns=wanted, batch_rows=size)
        return (csv_records if self.format == "csv" else jsonl_records)(self.url, name=name)

    def _row(self, line: int, record: dict, name: str, resolve: Callable[[str], str]) -> ManifestRow | LoadFailure:
        where = location(name, line)
        try:
            if self.kind == formats.LHOTSE:
                cut = formats.lhotse_cut(record)
                return ManifestRow(source=resolve(cut.source), name=cut.name, label=cut.label,
                                   group=cut.group if self.group_column else None, transcript=cut.transcript,
                                   line=line, origin=name, segment=cut.segment, channel=cut.channel)
            path, data = (formats.hf_audio(record.get(self.path_column), self.path_column)
                          if self.kind == formats.HF_PARQUET else (cell_text(record.get(self.path_column)), None))
            segment = formats.nemo_segment(record) if self.kind == formats.NEMO else None
            label = (formats.hf_label(record.get(self.label_column), self.label_names, self.label_column)
                     if self.kind == formats.HF_PARQUET and self.label_column else
                     cell_text(record.get(self.label_column)) if self.label_column else None)
        except formats.RecordError as e:
            return LoadFailure(where, f"{where}: {e.why} ({quoted(e.value)}); {e.fix}")
        if not path and data is None:
            return LoadFailure(where, (
                f"{where}: no path (column '{self.path_column}' is "
                f"{quoted(record.get(self.path_column))}); fill in the audio file's path or URL, or delete the line"))
        return ManifestRow(
            source=resolve(name) if data is not None else resolve(path),
            name=(path or where) + (segment.suffix if segment else ""), label=label,
            group=cell_text(record.get(self.group_column)) if self.group_column else None,
            transcript=cell_text(record.get(self.transcript_column)) if self.transcript_column else None,
            line=line, origin=name, fold=cell_text(record.get(self.fold_column)) if self.fold_column else None,
            segment=segment, data=data, split=cell_text(record.get(self.split_column)) if self.split_column else None)


def is_manifest(source: str | os.PathLike) -> bool:
    """True when `source` names a manifest by its ending (.csv, .jsonl/.ndjson/.json[.gz], .parquet)."""
    return _format(str(source)) is not None


def _format(url: str) -> str | None:
    name = PurePosixPath(url.split("?", 1)[0]).name.lower()
    return next((fmt for ending, fmt in MANIFEST_FORMATS.items() if name.endswith(ending)), None)


def open_manifest(url: str | os.PathLike, *, group_by: str | None = None) -> Manifest:
    """Check a manifest's columns (reading its header only) and return it, ready to stream.

    url: a local path or an fsspec URL (`file://`, `memory://`, `s3://` with s3fs installed ...).
    group_by: the column holding groups; None recognises one by name as the app does (`io.GROUP_COLUMNS`);
    `io.NO_GROUPS` reads none. JSONL has no header: its first object's keys name the columns (the path and group
    columns are found there; `label` and `transcript` are read from every object).
    What the file holds is recognised by its content: audiodiag's columns (a path column), a NeMo manifest
    (`audio_filepath`), a Hugging Face Parquet export (an audio column of {bytes, path}) or Lhotse cuts
    (`recording` and `supervisions`); see `audiodiag.data.formats`.
    Raises ManifestError naming the columns found and the ones expected.
    """
    url = os.fspath(url)
    fmt = _format(url)
    if fmt is None:
        raise ManifestError(f"{url}: not a manifest; expected a file ending in "
                            f"{', '.join(MANIFEST_FORMATS)} with one row per audio file")
    columns, schema = read_header(url, fmt)
    audio_column = formats.parquet_audio_column(schema) if schema is not None else None
    kind = formats.json_kind(columns) if fmt == "jsonl" else formats.HF_PARQUET if audio_column else formats.TABLE
    if kind == formats.LHOTSE:
        return _lhotse_manifest(url, columns, group_by)
    by_name = {c.strip().lower(): c for c in columns if c}
    path_column = {formats.NEMO: formats.NEMO_PATH, formats.HF_PARQUET: audio_column}.get(kind) or next(
        (by_name[c] for c in tables.PATH_COLUMNS if c in by_name), None)
    if path_column is None:
        raise ManifestError(f"{url}: has columns {', '.join(columns) or 'none'}; expected a column 'path' (or "
                            f"'file_name') with each audio file's path or URL, plus 'label' and optionally a group "
                            f"column ({', '.join(tables.GROUP_COLUMNS[:4])} ...) and 'transcript'; or a NeMo manifest "
                            f"(JSON lines with '{formats.NEMO_PATH}', '{formats.NEMO_DURATION}', '{formats.NEMO_TEXT}'), "
                            "a Hugging Face Parquet export (an 'audio' column of bytes and path) or Lhotse cuts "
                            "(JSON lines with 'recording' and 'supervisions', e.g. cuts.jsonl.gz)")
    try:  # the app's rule for label tables: the named column, none, or the first GROUP_COLUMNS name present
        group_column = tables.chosen_group_column(columns, group_by, name=url)
    except InvalidAudioError as e:
        raise ManifestError(str(e)) from e
    label_column, label_names = by_name.get(LABEL_COLUMN), None
    transcript_column = next((by_name[c] for c in TRANSCRIPT_COLUMNS if c in by_name), None)
    if kind == formats.HF_PARQUET:
        names = formats.class_label_names(schema.metadata)
        label_column = formats.hf_label_column(columns, names, preferred=label_column or LABEL_COLUMN)
        label_names = names.get(label_column)
        transcript_column = next((by_name[c] for c in formats.HF_TRANSCRIPT_COLUMNS if c in by_name), None)
    if fmt == "jsonl":  # the first object names the columns, but a later one may carry a key the first leaves out
        label_column, transcript_column = label_column or LABEL_COLUMN, transcript_column or TRANSCRIPT_COLUMNS[0]
    if kind == formats.NEMO:
        transcript_column = formats.NEMO_TEXT
    return Manifest(url, fmt, columns, path_column, label_column, group_column, transcript_column,
                    tables.fold_column(columns), kind, label_names,
                    (formats.NEMO_OFFSET, formats.NEMO_DURATION) if kind == formats.NEMO else (),
                    split_column=tables.split_column(columns))


def _lhotse_manifest(url: str, columns: tuple[str, ...], group_by: str | None) -> Manifest:
    """Lhotse cuts: the audio, groups and references come from each cut's recording and supervisions."""
    speaker = f"supervisions.{formats.LHOTSE_SPEAKER}"
    if group_by not in (None, tables.NO_GROUPS, formats.LHOTSE_SPEAKER, speaker):
        raise ManifestError(f"{url}: Lhotse cuts take their groups from the supervisions' speaker; the group column "
                            f"can be '{formats.LHOTSE_SPEAKER}' or '{tables.NO_GROUPS}', not {group_by!r}")
    return Manifest(url, "jsonl", columns, "recording.sources", "custom.label",
                    None if group_by == tables.NO_GROUPS else speaker, f"supervisions.{formats.LHOTSE_TEXT}",
                    kind=formats.LHOTSE, read_columns=formats.LHOTSE_READ_KEYS)


def read_manifest(url: str | os.PathLike, *, group_by: str | None = None) -> Iterator[ManifestRow | LoadFailure]:
    """Stream a manifest's rows (see `open_manifest`); the header is checked before this returns."""
    return open_manifest(url, group_by=group_by).rows()


def resolve_source(path: str, *, manifest_url: str) -> str:
    """Where a manifest's `path` value points: URLs and absolute paths as written; a relative path is taken
    from the manifest's own folder (or URL prefix).

    >>> resolve_source("dog/1.wav", manifest_url="memory://data/train.csv")
    'memory://data/dog/1.wav'
    """
    return _source_resolver(manifest_url)(path)


def _source_resolver(manifest_url: str) -> Callable[[str], str]:
    protocol, base_path = split_protocol(manifest_url)
    if protocol in LOCAL_PROTOCOLS:
        folder, prefix, paths = os.path.dirname(os.path.abspath(base_path)), "", os.path
    else:
        folder, prefix, paths = posixpath.dirname(base_path), f"{protocol}://", posixpath

    def resolve(path: str) -> str:
        if "://" in path or os.path.isabs(path):  # a URL (or a chained one, a::b://) or an absolute path
            return path
        return prefix + paths.normpath(paths.join(folder, path))
    return resolve


def iter_batches(rows: Iterable, batch_size: int) -> Iterator[list]:
    """Consecutive lists of at most `batch_size` items, pulled from `rows` only as each batch is asked for."""
    if batch_size < 1:
        raise ValueError(f"batch_size is {batch_size}; it must be at least 1")
    it = iter(rows)
    while batch := list(itertools.islice(it, batch_size)):
        yield batch


def read_bytes(row: ManifestRow) -> bytes:
    """The row's file: the bytes the manifest holds (a Hugging Face export), else read through fsspec (local paths,
    `file://`, `memory://`, `s3://` ...). Raises InvalidAudioError naming the file, the manifest line and the fix."""
    if row.data is not None:
        return row.data
    with _audio_file(row) as f:
        try:
            return f.read()
        except (OSError, ValueError) as e:
            raise _unreadable(row, e) from e


def decode(row: ManifestRow, *, name: str | None = None) -> Clip:
    """The row's audio as a Clip named `name` (default: the row's) with the row's label, group and fold; only its
    segment when it names one (soundfile seeks to it; the rest of the file is not decoded). Raises
    InvalidAudioError naming the file and the fix."""
    name = name or row.name
    if row.segment is None:
        clip = decoding.load_clip(read_bytes(row), name=name, label=row.label, group=row.group, fold=row.fold)
        return replace(clip, split=row.split) if row.split else clip

    def segment(source) -> Clip:
        clip = decoding.load_segment(source, start_s=row.segment.start_s, duration_s=row.segment.duration_s, name=name,
                                     channel=row.channel, label=row.label, group=row.group, fold=row.fold)
        return replace(clip, split=row.split) if row.split else clip
    if row.data is not None:
        return segment(row.data)
    with _audio_file(row) as f:
        try:
            return segment(f)
        except OSError as e:  # a remote read that fails part way
            raise _unreadable(row, e) from e


def _audio_file(row: ManifestRow):
    """The row's file opened for reading; a local path directly (fsspec would read 'a::b' as a chain)."""
    try:
        return open(row.source, "rb") if "://" not in row.source else fsspec.open(row.source, "rb").open()
    except (OSError, ValueError, ImportError) as e:  # a folder, permissions, unknown protocol, s3fs missing
        raise _unreadable(row, e) from e


def _unreadable(row: ManifestRow, e: Exception) -> InvalidAudioError:
    if isinstance(e, FileNotFoundError):
        return InvalidAudioError(f"{row.name}: no such file ({row.source}, named in {row.where}); fix the path "
                                 "(a relative path is taken from the manifest's folder) or remove the row")
    return InvalidAudioError(f"{row.name}: cannot be read ({row.source}, named in {row.where}): {e}; check the "
                             "path and that the filesystem's package is installed (s3fs for s3://)")


def load_row(row: ManifestRow | LoadFailure) -> Clip | LoadFailure:
    """One row as a Clip (label and group from the row), or a LoadFailure naming the file and the row."""
    if isinstance(row, LoadFailure):
        return row
    try:
        return decode(row)
    except InvalidAudioError as e:
        message = str(e)
        return LoadFailure(row.name, message if row.line is None or row.where in message else
                           f"{message} ({row.where})")


def load_rows(rows: Sequence[ManifestRow | LoadFailure]) -> list[Clip | LoadFailure]:
    """Load a batch: exactly one Clip or LoadFailure per row, in order, so `zip(rows, load_rows(rows))` pairs
    each result with its row (its transcript, its line)."""
    return [load_row(r) for r in rows]


def transcripts(rows: Iterable[ManifestRow | LoadFailure]) -> dict[str, str]:
    """{clip name: transcript} of the rows that have one (for `references.match`)."""
    return {r.name: r.transcript for r in rows if isinstance(r, ManifestRow) and r.transcript is not None}
