"""Label tables (`path,label[,group,fold,split]` CSVs): which column holds what, and how a table's rows reach
the clips they name. Columns the run does not use are named, never dropped in silence.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import NamedTuple

from audiodiag.errors import InvalidAudioError
from audiodiag.types import Clip, LoadFailure

LABEL_FILES = ("groups.csv", "labels.csv", "transcripts.csv", "metadata.csv")  # optional path,label[,group] table

PATH_COLUMNS = ("path", "file_name", "filename", "file")  # metadata.csv (Hugging Face audiofolder) says file_name

MAX_NAMED = 10  # files named in one message; the rest are counted

NO_GROUPS = "(none)"  # group_by value that reads no groups from a table

MAX_TABLE_BYTES = 50_000_000  # a label table read on its own to list its columns

# columns that name a clip's group (first match wins): clips of one group are kept in one fold
GROUP_COLUMNS = ("group", "speaker", "speaker_id", "client_id", "session", "source", "recording", "device")

# a column that gives each clip its test fold (a dataset's predefined cross-validation partition, as in ESC-50 or
# UrbanSound8K): the folds are used as given, and it says nothing about speakers or sources
FOLD_COLUMNS = ("fold",)

# a column that puts each clip in the dataset's own split (train / validation / test): kept on the clip
# (`Clip.split`) so speakers in more than one split can be named (audiodiag.measure.speakers); folds do not use it
SPLIT_COLUMNS = ("split", "subset", "partition")

LABEL_COLUMN = "label"  # a labels table's class column

REFERENCE_COLUMN = "reference"  # a table's reference transcript (transcripts.csv; audiodiag.asr.references reads it)


class TableRow(NamedTuple):
    """What a labels table says about one file."""

    label: str | None
    group: str | None
    fold: str | None = None
    split: str | None = None


NO_ROW = TableRow(None, None, None)


def parse_label_table(data: bytes, *, name: str, group_by: str | None = None) -> dict[str, TableRow]:
    """A `path,label[,group][,fold]` CSV (UTF-8, header row) as {path: TableRow(label, group, fold)}.

    The group is read from `group_by` when given (a column name; NO_GROUPS reads none), else from the first
    column named as in GROUP_COLUMNS (`group`, `speaker`, `source`, ...); the fold from a FOLD_COLUMNS column.

    >>> parse_label_table(b"path,label,fold\\na.wav,dog,1\\n", name="t.csv")
    {'a.wav': TableRow(label='dog', group=None, fold='1', split=None)}
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidAudioError(f"{name} is not UTF-8 text ({e}); save it as 'CSV UTF-8' (columns "
                                "path,label,group) and upload again") from e
    rows = csv.DictReader(io.StringIO(text))
    path = next((c for c in PATH_COLUMNS if c in (rows.fieldnames or [])), None)
    if path is None:
        raise InvalidAudioError(f"{name} has columns {rows.fieldnames or 'none'}; expected a header row "
                                "path,label[,group] (one row per audio file; 'file_name' works for the path too)")
    group = chosen_group_column(rows.fieldnames, group_by, name=name)
    fold = fold_column(rows.fieldnames)
    split = split_column(rows.fieldnames)

    def cell(r: dict, column: str | None) -> str | None:
        return ((r.get(column) or "").strip() or None) if column else None

    return {r[path].strip(): TableRow(cell(r, LABEL_COLUMN), cell(r, group), cell(r, fold), cell(r, split))
            for r in rows if (r.get(path) or "").strip()}


def chosen_group_column(columns: Sequence[str], group_by: str | None, *, name: str) -> str | None:
    if group_by is None:
        return group_column(columns)
    if group_by == NO_GROUPS:
        return None
    by_name = {c.strip().lower(): c for c in columns if c}
    if group_by.strip().lower() not in by_name:
        raise InvalidAudioError(f"{name} has no column {group_by!r} for the groups; its columns are "
                                f"{', '.join(c for c in columns if c)}: choose one of them")
    return by_name[group_by.strip().lower()]


def table_group_column(data: bytes, *, group_by: str | None = None) -> tuple[list[str], str | None]:
    """(the table's columns, the column its groups would come from): for saying which column was used."""
    try:
        columns = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))), [])
    except (UnicodeDecodeError, csv.Error):
        return [], None
    try:
        return columns, chosen_group_column(columns, group_by, name="table")
    except InvalidAudioError:
        return columns, None


@dataclass(frozen=True)
class UnusedColumns:
    """Columns of a labels table or manifest that nothing reads: named (in check, report and the sidebar), never
    dropped without a word.

    >>> print(unused_columns("labels.csv", ["path", "label", "mic_gain", "take"], used=["path", "label"]).message)
    labels.csv: columns not used: mic_gain, take (read: path, label)
    """

    table: str
    columns: tuple[str, ...]  # not read, in the table's order
    used: tuple[str, ...]  # the columns that are read

    @property
    def message(self) -> str:
        return f"{self.table}: columns not used: {', '.join(self.columns)} (read: {', '.join(self.used)})"


def unused_columns(table: str, columns: Sequence[str], *, used: Iterable[str | None]) -> UnusedColumns | None:
    """The columns of `table` outside `used` (None entries ignored), or None when every column is read: the one
    rule for labels tables (`table_unused_columns`) and manifests (`manifest.Manifest.unused_columns`)."""
    read = [c for c in used if c]
    left = tuple(c for c in columns if c and c.strip() and c not in read)
    return UnusedColumns(table, left, tuple(c for c in columns if c in read)) if left else None


def table_unused_columns(data: bytes, *, name: str, group_by: str | None = None) -> UnusedColumns | None:
    """What `parse_label_table` (and, for a `reference` column, `references`) leaves unread in a labels table:
    everything but the path, label, group, fold and reference columns."""
    columns, group = table_group_column(data, group_by=group_by)
    path = next((c for c in PATH_COLUMNS if c in columns), None)
    return unused_columns(name, columns, used=(path, LABEL_COLUMN, group, fold_column(columns), split_column(columns),
                                               REFERENCE_COLUMN))


def fold_column(columns: Sequence[str]) -> str | None:
    """The column of a labels table that gives each clip its predefined test fold, or None.

    >>> fold_column(["filename", "fold", "target"])
    'fold'
    """
    by_name = {c.strip().lower(): c for c in columns if c}
    return next((by_name[f] for f in FOLD_COLUMNS if f in by_name), None)


def split_column(columns: Sequence[str]) -> str | None:
    """The column of a labels table or manifest that puts each clip in a split (train / validation / test), or None.

    >>> split_column(["path", "label", "Split"])
    'Split'
    """
    by_name = {c.strip().lower(): c for c in columns if c}
    return next((by_name[s] for s in SPLIT_COLUMNS if s in by_name), None)


def group_column(columns: Sequence[str]) -> str | None:
    """The column of a labels table that holds groups (speaker, session, source recording ...), or None.

    >>> group_column(["path", "label", "speaker", "take"])
    'speaker'
    """
    by_name = {c.strip().lower(): c for c in columns if c}
    return next((by_name[g] for g in GROUP_COLUMNS if g in by_name), None)


def apply_label_table(results: list[Clip | LoadFailure], data: bytes, *, name: str,
                      group_by: str | None = None) -> list[Clip | LoadFailure]:
    """Label (and group) loaded clips from a `path,label[,group]` CSV; rows match a clip by its name or, failing
    that, by file name alone. A table that cannot be read becomes one LoadFailure row; the clips stay. Rows that
    name no loaded file become one LoadFailure row naming them (see `unmatched_rows_failure`)."""
    try:
        table = parse_label_table(data, name=name, group_by=group_by)
    except InvalidAudioError as e:
        return [*results, LoadFailure(name, str(e))]
    row_for = row_matcher(table)
    out: list[Clip | LoadFailure] = []
    used: set[str] = set()
    for r in results:
        path = row_for(r.name) if isinstance(r, Clip) else None
        if path is not None:
            used.add(path)
            row = table[path]
            r = replace(r, label=row.label or r.label, group=row.group or r.group, fold=row.fold or r.fold,
                        split=row.split or r.split)
        out.append(r)
    problem = unmatched_rows_failure(name, table, used, [r.name for r in results])
    return out + ([problem] if problem else [])


def row_matcher(table: dict) -> Callable[[str], str | None]:
    """name -> the table path that describes it: the same path, else the same file name (rows may give file names
    alone); None when the table has no row for it."""
    by_base = {PurePosixPath(path).name: path for path in table}
    return lambda name: name if name in table else by_base.get(PurePosixPath(name).name)


def unmatched_rows_failure(table_name: str, table: dict, used: set[str],
                           loaded: Sequence[str]) -> LoadFailure | None:
    """One row for the table's rows that name no loaded audio file: how many, the first MAX_NAMED, and, when no
    row matched at all, one path from the table next to one actual file name (the usual cause: a prefix)."""
    missing = [path for path in table if path not in used]
    if not missing or not loaded:  # a table on its own (e.g. an upload read before the clips) names nothing yet
        return None
    shown = ", ".join(missing[:MAX_NAMED]) + (f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED
                                                else "")
    if not used and loaded:
        return LoadFailure(table_name, f"{table_name}: none of its {len(table)} rows names a file that was loaded: "
                                       f"it says e.g. '{missing[0]}' but the files are named like '{loaded[0]}'. "
                                       "Write paths relative to the folder (or zip) that holds the table, or just the "
                                       "file names, and load again")
    return LoadFailure(table_name, f"{table_name}: {len(missing)} of its {len(table)} rows name files that are not "
                                   f"there ({shown}); those rows are not used: add the files or remove the rows")
