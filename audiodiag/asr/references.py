"""Reference transcripts for clips: a CSV `path,reference[,group]`, `.txt` files with the clip's stem, or a zip
holding either; from a folder (the bundled sets, the CLI) or from uploaded files (the Transcribe page).

A reference is matched to a clip by its path, else by the one path that ends the same way (an archive's top
folder is dropped when clips are loaded; a bare file name matches any folder). Clips without one get None.

>>> import numpy as np
>>> clips = [Clip(name, np.zeros(1600, np.float32), 16000, 16000, 1) for name in ("a.wav", "sub/b.wav", "c.wav")]
>>> references_from_files([("refs.csv", b"path,reference\\na.wav,hello there\\n"), ("b.txt", b"good bye")], clips)
(['hello there', 'good bye', None], [])
"""
from __future__ import annotations

import csv
import io as _io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from audiodiag.data.sample_sets import sample_set_dir
from audiodiag.errors import AudioDiagError, BadDataError
from audiodiag.types import Clip

TABLE_NAME = "transcripts.csv"
REFERENCE_EXTENSIONS = ("csv", "txt", "zip")  # what the page's reference uploader accepts
MAX_TEXT_FILE_BYTES = 10_000_000  # one reference table or .txt; far above any real transcript
MAX_ARCHIVE_TEXT_FILES = 20_000


def parse_table(data: bytes, *, name: str = TABLE_NAME) -> dict[str, str]:
    """{path: reference} from a CSV with a header containing `path` and `reference` columns."""
    try:
        reader = csv.DictReader(_io.StringIO(data.decode("utf-8-sig")))
        columns = [str(c).strip() for c in reader.fieldnames or []]
        rows = list(reader)
    except UnicodeDecodeError as e:
        raise BadDataError(f"{name}: not UTF-8 text ({e}); save it as UTF-8 CSV") from e
    except csv.Error as e:
        raise BadDataError(f"{name}: not a readable CSV ({e}); expected the columns path,reference[,group]") from e
    if not {"path", "reference"} <= set(columns):
        raise BadDataError(f"{name}: expected a header with the columns path,reference[,group]; found "
                           f"{', '.join(columns) or 'no header'}")
    reader_columns = dict(zip(columns, reader.fieldnames or [], strict=True))
    path_key, ref_key = reader_columns["path"], reader_columns["reference"]
    return {r[path_key].strip(): (r[ref_key] or "").strip() for r in rows if (r.get(path_key) or "").strip()}


def _stem(path: str) -> str:
    return str(PurePosixPath(path.replace("\\", "/")).with_suffix(""))


def _lookup_all(table: Mapping[str, str], names: Sequence[str], *, key=lambda p: p) -> list[str | None]:
    """Per name: the exact path, else the one path of which either ends with the other ('data/a/x.wav' ~
    'a/x.wav' ~ 'x.wav'); None when absent or ambiguous ('cat/x.wav' never matches 'dog/x.wav')."""
    keyed = {key(k): v for k, v in table.items()}
    by_base: dict[str, list[str]] = {}
    for k in keyed:
        by_base.setdefault(PurePosixPath(k).name, []).append(k)
    out = []
    for name in names:
        wanted = key(name)
        candidates = by_base.get(PurePosixPath(wanted).name, [])
        tails = [k for k in candidates if k.endswith("/" + wanted) or wanted.endswith("/" + k)]
        found = wanted if wanted in keyed else tails[0] if len(tails) == 1 else None
        out.append(None if found is None else keyed[found])
    return out


def match(clips: Sequence[Clip], table: Mapping[str, str]) -> list[str | None]:
    """The reference of each clip from a {path: reference} table, None when the table has none."""
    return _lookup_all(table, [c.name for c in clips])


def unmatched_rows(clips: Sequence[Clip], table: Mapping[str, str]) -> list[str]:
    """Paths of a {path: reference} table that no clip matched (a reference for a file that is not there)."""
    found = set(_lookup_all({k: k for k in table}, [c.name for c in clips]))
    return [k for k in table if k not in found]


def folder_reference_problems(folder: Path, clips: Sequence[Clip]) -> list[str]:
    """One line naming the rows of the folder's transcripts.csv that match no clip (count + first 10), if any."""
    if not (folder / TABLE_NAME).is_file():
        return []
    table = parse_table((folder / TABLE_NAME).read_bytes())
    missing = unmatched_rows(clips, table)
    if not missing:
        return []
    shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    return [f"{TABLE_NAME}: {len(missing)} of its {len(table)} references name no loaded clip ({shown}); they are "
            "not scored: add the files or remove the rows"]


def match_text_files(clips: Sequence[Clip], texts: Mapping[str, str]) -> list[str | None]:
    """The reference of each clip from {"<path>.txt": text}, matched on the path without its suffix."""
    return _lookup_all(texts, [c.name for c in clips], key=_stem)


def folder_references(folder: Path, clips: Sequence[Clip]) -> list[str | None]:
    """References for clips loaded from `folder`: its transcripts.csv, then `<stem>.txt` next to each clip."""
    table = parse_table((folder / TABLE_NAME).read_bytes()) if (folder / TABLE_NAME).is_file() else {}
    out = match(clips, table)
    for i, clip in enumerate(clips):
        text_file = folder / Path(clip.name).with_suffix(".txt")
        if out[i] is None and text_file.is_file():
            out[i] = text_file.read_text(encoding="utf-8").strip()
    return out


def sample_set_references(set_name: str, clips: Sequence[Clip]) -> list[str | None]:
    """References of a bundled set (see `folder_references`)."""
    return folder_references(sample_set_dir(set_name), clips)


def references_from_files(files: Sequence[tuple[str, bytes]], clips: Sequence[Clip], *,
                          skip_label_tables: bool = False) -> tuple[list[str | None], list[str]]:
    """References for `clips` from uploaded (name, bytes): CSV tables with a `reference` column, `.txt` files and
    zips of either. Returns (one reference or None per clip, problems): unreadable files become problems, never
    exceptions. Tables win over .txt. skip_label_tables: CSVs without a `reference` column (the sidebar's
    path,label,group tables) are passed over instead of reported; audio files are always passed over."""
    tables: dict[str, str] = {}
    texts: dict[str, str] = {}
    problems: list[str] = []
    for name, data in files:
        suffix = PurePosixPath(name).suffix.lower()
        try:
            if suffix == ".zip":
                _read_archive(name, data, tables, texts)
            elif suffix == ".csv":
                tables.update(_reference_table(name, data, skip_label_tables=skip_label_tables))
            elif suffix == ".txt":
                texts[name] = _text(name, data)
        except AudioDiagError as e:
            problems.append(str(e))
    from_tables, from_texts = match(clips, tables), match_text_files(clips, texts)
    return [t if t is not None else x for t, x in zip(from_tables, from_texts, strict=True)], problems


def _reference_table(name: str, data: bytes, *, skip_label_tables: bool) -> dict[str, str]:
    try:
        return parse_table(data, name=name)
    except AudioDiagError:
        if skip_label_tables and b"reference" not in data.split(b"\n", 1)[0]:
            return {}  # a label table (path,label,group), not a reference table
        raise


def _text(name: str, data: bytes) -> str:
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise BadDataError(f"{name}: {len(data):,} bytes; a reference file holds at most "
                           f"{MAX_TEXT_FILE_BYTES:,}; split it")
    try:
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError as e:
        raise BadDataError(f"{name}: not UTF-8 text ({e}); save the transcript as UTF-8") from e


def _read_archive(name: str, data: bytes, tables: dict[str, str], texts: dict[str, str]) -> None:
    """Reference tables and .txt files inside a zip; sizes are checked while reading (headers can lie)."""
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)
                       and m.filename.lower().endswith((".csv", ".txt"))]
            if len(members) > MAX_ARCHIVE_TEXT_FILES:
                raise BadDataError(f"{name}: holds {len(members):,} text files; at most "
                                   f"{MAX_ARCHIVE_TEXT_FILES:,} are read")
            for m in members:
                with archive.open(m) as f:
                    blob = f.read(MAX_TEXT_FILE_BYTES + 1)
                label = f"{name}/{m.filename}"
                if m.filename.lower().endswith(".csv"):  # groups.csv / labels.csv sit in zipped datasets too
                    tables.update(_reference_table(label, blob, skip_label_tables=True))
                else:
                    texts[m.filename] = _text(label, blob)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as e:
        raise BadDataError(f"{name}: not a readable zip archive ({e}); re-create it") from e


def _hidden(path: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in path.split("/"))
