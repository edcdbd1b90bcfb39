"""A manifest file's records, read lazily: CSV lines, JSON lines (either gzipped) and Parquet rows. A line that does
not parse (bad quoting, not JSON, not UTF-8) comes out as a `LoadFailure` naming the manifest, the line and the
fix, so the lines after it are still read; a file that cannot be opened at all raises `ManifestError`.

>>> import fsspec
>>> fsspec.filesystem("memory").pipe("/example/t.jsonl", b'{"path": "a.wav"}\\n[1]\\n')
>>> [type(r).__name__ for _, r in jsonl_records("memory://example/t.jsonl", name="t.jsonl")]
['dict', 'LoadFailure']
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator

import fsspec

from audiodiag.errors import ManifestError
from audiodiag.types import LoadFailure

GZIP_SUFFIX = ".gz"
MAX_VALUE_CHARS = 80  # of a bad line, quoted in its problem message


def open_file(url: str):
    """The manifest's bytes (a `.gz` one decompressed as it is read)."""
    gzipped = url.split("?", 1)[0].lower().endswith(GZIP_SUFFIX)
    try:
        return fsspec.open(url, "rb", compression="gzip" if gzipped else None).open()
    except FileNotFoundError as e:
        raise ManifestError(f"{url}: no such manifest; check the path or URL") from e
    except (OSError, ValueError, ImportError) as e:  # permissions, an unknown protocol, s3fs not installed
        raise ManifestError(f"{url}: cannot be opened ({e}); check the path or URL, and install the "
                            "filesystem's package for remote URLs (s3fs for s3://, gcsfs for gs://)") from e


def read_header(url: str, fmt: str) -> tuple[tuple[str, ...], object]:
    """(the manifest's columns, its pyarrow schema for Parquet else None); a JSONL's columns are its first object's
    keys."""
    with open_file(url) as f:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            try:
                schema = pq.ParquetFile(f).schema_arrow
            except Exception as e:  # pyarrow raises ArrowInvalid/OSError variants for non-Parquet bytes
                raise ManifestError(f"{url}: not a readable Parquet file ({e}); write it with pandas' "
                                    "to_parquet or pyarrow") from e
            return tuple(schema.names), schema
        try:
            return tuple(_first_columns(f, fmt)), None
        except (OSError, EOFError) as e:  # a .gz that is not gzip, or is cut short
            raise ManifestError(f"{url}: cannot be read ({e}); a file ending in .gz must be gzip-compressed "
                                "text") from e


def _first_columns(f, fmt: str) -> list[str]:
    """A CSV's header, or the keys of a JSONL's first object."""
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
    return LoadFailure(f"{manifest} line {line}", f"{manifest} line {line}: {why} ({quoted(value)}); {fix}")


def csv_records(url: str, *, name: str) -> Iterator[tuple[int, dict | LoadFailure]]:
    """(line, record) of a CSV manifest: a dict per line after the header, keyed by its columns."""
    with open_file(url) as f:
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
                yield current[0], _bad_line(name, current[0], "", f"not a readable CSV line: {e}",
                                            "fix the quoting on that line")
                continue
            if not any(v.strip() for v in values):
                continue  # blank line
            if header is None:
                header = values
                continue
            if _not_utf8(values):
                yield current[0], _bad_line(name, current[0], ",".join(values), "not UTF-8 text",
                                            "save the manifest as UTF-8")
                continue
            if len(values) > len(header):  # extra values would be dropped without a column to hold them
                yield current[0], _bad_line(name, current[0], ",".join(values), f"{len(values)} values but the "
                                            f"header names {len(header)} columns",
                                            "quote values that contain a comma, or add the missing column names "
                                            "to the header")
                continue
            # a short line leaves its last columns empty, as a spreadsheet writes them
            yield current[0], dict(zip(header, values, strict=False))


def jsonl_records(url: str, *, name: str) -> Iterator[tuple[int, dict | LoadFailure]]:
    """(line, record) of a JSON-lines manifest: the object on each line."""
    line = 0
    with open_file(url) as f:
        try:
            for line, text in _lines(f):
                if not text.strip():
                    continue
                try:
                    if _not_utf8([text]):
                        raise ValueError("not UTF-8 text")
                    record = json.loads(text)
                except ValueError as e:
                    yield line, _bad_line(name, line, text.strip(), f"not a JSON object ({e})",
                                          'write one object per line, e.g. {"path": "dog/1.wav", "label": "dog"}')
                    continue
                if not isinstance(record, dict):
                    yield line, _bad_line(name, line, text.strip(), "not a JSON object",
                                          'write one object per line, e.g. {"path": "dog/1.wav", "label": "dog"}')
                    continue
                yield line, record
        except (OSError, EOFError) as e:  # a .gz cut short or damaged part way: the lines before it are used
            yield line + 1, _bad_line(name, line + 1, "", f"cannot be read from here on ({e})",
                                      "compress the manifest again (gzip) from an intact copy")


def parquet_records(url: str, *, columns: list[str], batch_rows: int) -> Iterator[tuple[int, dict]]:
    """(row number from 1, record) of a Parquet manifest: only `columns` are read, `batch_rows` rows at a time."""
    import pyarrow.parquet as pq

    row = 0
    with open_file(url) as f:
        for batch in pq.ParquetFile(f).iter_batches(batch_size=batch_rows, columns=columns):
            for record in batch.to_pylist():
                row += 1
                yield row, record


def cell_text(value) -> str | None:
    """A cell as text: None for a missing or empty one (None, NaN, blank)."""
    if value is None or (isinstance(value, float) and value != value):  # None, NaN (an empty Parquet cell)
        return None
    return str(value).strip() or None


def quoted(value) -> str:
    """A bad value as a message quotes it: repr'd, cut at MAX_VALUE_CHARS."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return repr(text[:MAX_VALUE_CHARS] + ("..." if len(text) > MAX_VALUE_CHARS else ""))
