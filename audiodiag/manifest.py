"""Datasets of any size as a stream of rows: a manifest (CSV, JSONL, Parquet) or a folder, read lazily.

A row names one audio file (a local path or an fsspec URL) and what is known about it; nothing here holds the
whole dataset. Rows go through `iter_batches` and `load_rows` to become `Clip`s a batch at a time:

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

import csv
import itertools
import json
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fsspec
from fsspec.core import split_protocol

from audiodiag import io
from audiodiag.errors import AudioDiagError, InvalidAudioError
from audiodiag.types import Clip, LoadFailure

MANIFEST_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
LABEL_COLUMN = "label"
TRANSCRIPT_COLUMNS = ("transcript", "reference")  # first match wins; `reference` is what transcripts.csv says
PARQUET_BATCH_ROWS = 4_096  # rows decoded from Parquet at a time (a row group is the unit actually read)
MAX_VALUE_CHARS = 80  # of a bad line, quoted in its problem message
LOCAL_PROTOCOLS = (None, "file", "local")


class ManifestError(AudioDiagError, ValueError):
    """A manifest that cannot be read at all: missing, not a supported format, or without a path column."""


@dataclass(frozen=True)
class ManifestRow:
    """One audio file to load, and what the manifest (or folder) says about it.

    source: where the bytes are: an absolute local path or an fsspec URL (`s3://...`, `memory://...`).
    name: the clip's name, as the manifest writes the path (a folder: the path relative to it).
    line: the manifest's line (CSV/JSONL; the header is line 1) or row number (Parquet, from 1); None for a folder.
    origin: the manifest or folder the row came from, for messages.
    """

    source: str
    name: str
    label: str | None = None
    group: str | None = None
    transcript: str | None = None
    line: int | None = None
    origin: str = ""
    fold: str | None = None  # the dataset's own test fold (a `fold` column), used as given

    @property
    def where(self) -> str:
        """'train.csv line 12' (or the file name alone for a folder row): where to fix this row."""
        return self.origin or self.name if self.line is None else _location(self.origin, self.line)


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

    @property
    def name(self) -> str:
        return PurePosixPath(split_protocol(self.url)[1].rstrip("/")).name or self.url

    def rows(self) -> Iterator[ManifestRow | LoadFailure]:
        """Every row in file order, read lazily; bad rows come as LoadFailures."""
        read = {"csv": _csv_records, "jsonl": _jsonl_records, "parquet": _parquet_records}[self.format]
        name, resolve = self.name, _source_resolver(self.url)  # once, not per row
        for line, record in read(self):
            yield record if isinstance(record, LoadFailure) else self._row(line, record, name, resolve)

    def _row(self, line: int, record: dict, name: str, resolve: Callable[[str], str]) -> ManifestRow | LoadFailure:
        path = _text(record.get(self.path_column))
        if not path:
            where = _location(name, line)
            return LoadFailure(where, (
                f"{where}: no path (column '{self.path_column}' is "
                f"{_quoted(record.get(self.path_column))}); fill in the audio file's path or URL, or delete the line"))
        return ManifestRow(
            source=resolve(path), name=path,
            label=_text(record.get(self.label_column)) if self.label_column else None,
            group=_text(record.get(self.group_column)) if self.group_column else None,
            transcript=_text(record.get(self.transcript_column)) if self.transcript_column else None,
            line=line, origin=name, fold=_text(record.get(self.fold_column)) if self.fold_column else None)


def is_manifest(source: str | os.PathLike) -> bool:
    """True when `source` names a manifest by its extension (.csv, .jsonl/.ndjson, .parquet)."""
    return _format(str(source)) is not None


def _format(url: str) -> str | None:
    return MANIFEST_FORMATS.get(PurePosixPath(url.split("?", 1)[0]).suffix.lower())


def open_manifest(url: str | os.PathLike, *, group_by: str | None = None) -> Manifest:
    """Check a manifest's columns (reading its header only) and return it, ready to stream.

    url: a local path or an fsspec URL (`file://`, `memory://`, `s3://` with s3fs installed ...).
    group_by: the column holding groups; None recognises one by name as the app does (`io.GROUP_COLUMNS`);
    `io.NO_GROUPS` reads none. JSONL has no header: its first object's keys name the columns (the path and group
    columns are found there; `label` and `transcript` are read from every object).
    Raises ManifestError naming the columns found and the ones expected.
    """
    url = os.fspath(url)
    fmt = _format(url)
    if fmt is None:
        raise ManifestError(f"{url}: not a manifest; expected a file ending in "
                            f"{', '.join(MANIFEST_FORMATS)} with one row per audio file")
    columns = tuple(_columns(url, fmt))
    by_name = {c.strip().lower(): c for c in columns if c}
    path_column = next((by_name[c] for c in io.PATH_COLUMNS if c in by_name), None)
    if path_column is None:
        raise ManifestError(f"{url}: has columns {', '.join(columns) or 'none'}; expected a column 'path' (or "
                            f"'file_name') with each audio file's path or URL, plus 'label' and optionally a group "
                            f"column ({', '.join(io.GROUP_COLUMNS[:4])} ...) and 'transcript'")
    try:  # the app's rule for label tables: the named column, none, or the first GROUP_COLUMNS name present
        group_column = io._chosen_group_column(columns, group_by, name=url)
    except InvalidAudioError as e:
        raise ManifestError(str(e)) from e
    label_column = by_name.get(LABEL_COLUMN)
    transcript_column = next((by_name[c] for c in TRANSCRIPT_COLUMNS if c in by_name), None)
    if fmt == "jsonl":  # the first object names the columns, but a later one may carry a key the first leaves out
        label_column, transcript_column = label_column or LABEL_COLUMN, transcript_column or TRANSCRIPT_COLUMNS[0]
    return Manifest(url, fmt, columns, path_column, label_column, group_column, transcript_column,
                    io.fold_column(columns))


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


# ---------------------------------------------------------------- the three formats, record by record

def _open(url: str):
    try:
        return fsspec.open(url, "rb").open()
    except FileNotFoundError as e:
        raise ManifestError(f"{url}: no such manifest; check the path or URL") from e
    except (OSError, ValueError, ImportError) as e:  # permissions, an unknown protocol, s3fs not installed
        raise ManifestError(f"{url}: cannot be opened ({e}); check the path or URL, and install the "
                            "filesystem's package for remote URLs (s3fs for s3://, gcsfs for gs://)") from e


def _columns(url: str, fmt: str) -> list[str]:
    with _open(url) as f:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            try:
                return list(pq.ParquetFile(f).schema_arrow.names)
            except Exception as e:  # pyarrow raises ArrowInvalid/OSError variants for non-Parquet bytes
                raise ManifestError(f"{url}: not a readable Parquet file ({e}); write it with pandas' "
                                    "to_parquet or pyarrow") from e
        for raw in f:
            if not raw.strip():
                continue
            text = raw.decode("utf-8-sig", errors="replace")
            if fmt == "csv":
                return next(csv.reader([text]), [])
            try:
                record = json.loads(text)
            except ValueError:
                continue  # reported with its line number when the rows are read
            if isinstance(record, dict):
                return list(record)
        return []


def _lines(f) -> Iterator[tuple[int, str]]:
    """(line number, text) of a binary file; bytes that are not UTF-8 survive as lone surrogates (flagged later)."""
    for number, raw in enumerate(f, start=1):
        text = raw.decode("utf-8", errors="surrogateescape")
        yield number, text.lstrip("\ufeff") if number == 1 else text


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that are not UTF-8


def _not_utf8(values: Iterable[str]) -> bool:
    return _NOT_UTF8.search("".join(values)) is not None


def _bad_line(manifest: str, line: int, value, why: str, fix: str) -> LoadFailure:
    return LoadFailure(f"{manifest} line {line}", f"{manifest} line {line}: {why} ({_quoted(value)}); {fix}")


def _csv_records(m: Manifest) -> Iterator[tuple[int, dict | LoadFailure]]:
    with _open(m.url) as f:
        numbered = _lines(f)
        current = [0]

        def texts():
            for number, text in numbered:
                current[0] = number
                yield text

        reader = csv.reader(texts())
        header: list[str] | None = None
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield current[0], _bad_line(m.name, current[0], "", f"not a readable CSV line: {e}",
                                            "fix the quoting on that line")
                continue
            if not any(v.strip() for v in values):
                continue  # blank line
            if header is None:
                header = values
                continue
            if _not_utf8(values):
                yield current[0], _bad_line(m.name, current[0], ",".join(values), "not UTF-8 text",
                                            "save the manifest as UTF-8")
                continue
            yield current[0], dict(zip(header, values))


def _jsonl_records(m: Manifest) -> Iterator[tuple[int, dict | LoadFailure]]:
    with _open(m.url) as f:
        for line, text in _lines(f):
            if not text.strip():
                continue
            try:
                if _not_utf8([text]):
                    raise ValueError("not UTF-8 text")
                record = json.loads(text)
            except ValueError as e:
                yield line, _bad_line(m.name, line, text.strip(), f"not a JSON object ({e})",
                                      'write one object per line, e.g. {"path": "dog/1.wav", "label": "dog"}')
                continue
            if not isinstance(record, dict):
                yield line, _bad_line(m.name, line, text.strip(), "not a JSON object",
                                      'write one object per line, e.g. {"path": "dog/1.wav", "label": "dog"}')
                continue
            yield line, record


def _parquet_records(m: Manifest) -> Iterator[tuple[int, dict | LoadFailure]]:
    import pyarrow.parquet as pq

    wanted = [c for c in (m.path_column, m.label_column, m.group_column, m.transcript_column, m.fold_column) if c]
    row = 0
    with _open(m.url) as f:
        for batch in pq.ParquetFile(f).iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            for record in batch.to_pylist():
                row += 1
                yield row, record


def _location(manifest: str, line: int) -> str:
    return f"{manifest} {'row' if manifest.lower().endswith('.parquet') else 'line'} {line}"


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None, NaN (an empty Parquet cell)
        return None
    return str(value).strip() or None


def _quoted(value) -> str:
    text = "" if value is None else str(value)
    text = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return repr(text[:MAX_VALUE_CHARS] + ("..." if len(text) > MAX_VALUE_CHARS else ""))


# ---------------------------------------------------------------- folders of any size

def iter_folder(path: str | os.PathLike, *, group_by: str | None = None) -> Iterator[ManifestRow | LoadFailure]:
    """A dataset folder as rows, walked lazily, with `io.load_folder`'s rules: class sub-folders are labels, a
    labels table at the top (groups.csv, labels.csv, ...) adds labels and groups, hidden files are skipped.

    The labels table (if any) is read now, so an unreadable one raises InvalidAudioError before any row.
    """
    root = Path(path).absolute()
    if not root.is_dir():
        raise ManifestError(f"{path}: is not a folder; pass a folder with one sub-folder per class")
    top = [p.name for p in root.iterdir() if p.is_file()]
    table_name, table = "", {}
    rel = io._label_table_member([r for r in top if not io._is_hidden(r)], "")
    if rel is not None:
        table_name = f"{root}: {rel}"
        table = io.parse_label_table((root / rel).read_bytes(), name=table_name, group_by=group_by)
    return _folder_rows(root, table_name, table)


def _folder_rows(root: Path, table_name: str, table: dict) -> Iterator[ManifestRow | LoadFailure]:
    row_for = io._row_matcher(table)
    used: set[str] = set()
    first: str | None = None
    for rel in _walk(root, ""):
        if not rel.lower().endswith(io.AUDIO_EXTENSIONS):
            continue
        first = first or rel
        row = row_for(rel)
        if row is not None:
            used.add(row)
        given = table[row] if row is not None else io.NO_ROW
        parts = rel.split("/")
        yield ManifestRow(source=str(root / rel), name=rel, group=given.group, origin=str(root), fold=given.fold,
                          label=given.label or (parts[0] if len(parts) > 1 else None))
    if first is None:
        yield LoadFailure(str(root), f"{root}: holds no audio files ({', '.join(io.AUDIO_EXTENSIONS)}); put clips "
                                     "in one sub-folder per class")
        return
    problem = io.unmatched_rows_failure(table_name, table, used, [first]) if table else None
    if problem is not None:
        yield problem


def _walk(root: Path, prefix: str) -> Iterator[str]:
    """Relative posix paths of the files under root, depth first in name order, one directory listing at a time;
    hidden entries and symlinked folders are skipped (as `io.load_folder`'s rglob does)."""
    try:
        entries = sorted(os.scandir(root / prefix if prefix else root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if io._is_hidden(entry.name):
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(root, rel + "/")
        elif entry.is_file():
            yield rel


# ---------------------------------------------------------------- batches and loading

def iter_batches(rows: Iterable, batch_size: int) -> Iterator[list]:
    """Consecutive lists of at most `batch_size` items, pulled from `rows` only as each batch is asked for."""
    if batch_size < 1:
        raise ValueError(f"batch_size is {batch_size}; it must be at least 1")
    it = iter(rows)
    while batch := list(itertools.islice(it, batch_size)):
        yield batch


def read_bytes(row: ManifestRow) -> bytes:
    """The row's file, through fsspec (local paths, `file://`, `memory://`, `s3://` ...). Raises InvalidAudioError
    naming the file, the manifest line and the fix."""
    try:
        if "://" not in row.source:  # a local path: no fsspec URL parsing (it would read 'a::b' as a chain)
            return Path(row.source).read_bytes()
        with fsspec.open(row.source, "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise InvalidAudioError(f"{row.name}: no such file ({row.source}, named in {row.where}); fix the path "
                                "(a relative path is taken from the manifest's folder) or remove the row") from e
    except (OSError, ValueError, ImportError) as e:  # a folder, permissions, unknown protocol, s3fs missing
        raise InvalidAudioError(f"{row.name}: cannot be read ({row.source}, named in {row.where}): {e}; check the "
                                "path and that the filesystem's package is installed (s3fs for s3://)") from e


def load_row(row: ManifestRow | LoadFailure) -> Clip | LoadFailure:
    """One row as a Clip (label and group from the row), or a LoadFailure naming the file and the row."""
    if isinstance(row, LoadFailure):
        return row
    try:
        return io.load_clip(read_bytes(row), name=row.name, label=row.label, group=row.group, fold=row.fold)
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

