"""Where clips live: zip archives and folders (one sub-folder per class, or a label table beside the clips),
walked into `Clip` / `LoadFailure` rows; repeated names made unique. A folder of any size is also walked lazily
into `ManifestRow`s (`iter_folder`), by the same rules (`TreeWalk`).
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from audiodiag.data.decoding import AUDIO_EXTENSIONS, load_clip
from audiodiag.data.rows import ManifestRow
from audiodiag.data.tables import (
    LABEL_FILES,
    MAX_TABLE_BYTES,
    NO_ROW,
    TableRow,
    apply_label_table,
    parse_label_table,
    row_matcher,
    unmatched_rows_failure,
)
from audiodiag.errors import AudioDiagError, InvalidAudioError, ManifestError, UnsafeArchiveError
from audiodiag.types import Clip, LoadFailure

UPLOAD_EXTENSIONS = ("wav", "flac", "ogg", "mp3", "zip", "csv")  # csv: a path,label[,group] table

MAX_ZIP_MEMBERS = 5_000

MAX_ZIP_UNCOMPRESSED_BYTES = 1_000_000_000

MAX_ZIP_COMPRESSION_RATIO = 200  # audio compresses ~1-3x; hundreds-to-one is a zip bomb


def load_batch(
    files: Iterable[tuple[str, bytes]],
    *,
    progress: Callable[[int, str], None] | None = None,
    group_by: str | None = None,
) -> list[Clip | LoadFailure]:
    """Load uploaded files; a `.zip` expands into its clips (class sub-folders become labels).

    One bad file becomes a `LoadFailure`; the others still load.
    """
    results: list[Clip | LoadFailure] = []
    tables: list[tuple[str, bytes]] = []
    for i, (name, data) in enumerate(files):
        if progress:
            progress(i, name)
        if name.lower().endswith(".csv"):
            tables.append((name, data))
        elif name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
            try:
                results.extend(load_zip(data, name=name, group_by=group_by))
            except AudioDiagError as e:  # unsafe archive, or an unreadable label table inside it
                results.append(LoadFailure(name, str(e)))
            except zipfile.BadZipFile as e:
                results.append(LoadFailure(name, f"{name}: not a valid zip archive ({e}); re-create it"))
        else:
            results.append(_load_or_fail(data, name=name))
    for name, data in tables:
        results = apply_label_table(results, data, name=name, group_by=group_by)
    return unique_names(results)


def _load_or_fail(data: bytes, *, name: str, label: str | None = None,
                  group: str | None = None, fold: str | None = None) -> Clip | LoadFailure:
    try:
        return load_clip(data, name=name, label=label, group=group, fold=fold)
    except InvalidAudioError as e:
        return LoadFailure(name, str(e))


def load_zip(data: bytes, *, name: str = "archive.zip", group_by: str | None = None) -> list[Clip | LoadFailure]:
    """Load a zipped dataset folder without writing to disk.

    Refuses the whole archive (UnsafeArchiveError) on absolute or `..` member paths, more than
    MAX_ZIP_MEMBERS files, or more than MAX_ZIP_UNCOMPRESSED_BYTES unpacked (checked while reading too,
    since headers can lie).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_zip_members(members, name)
        budget = MAX_ZIP_UNCOMPRESSED_BYTES

        def read(member: zipfile.ZipInfo) -> bytes:
            nonlocal budget
            # Corrupt, encrypted or exotically compressed members fail inside zipfile/zlib with errors that are
            # not BadZipFile; one archive-level error lets the caller turn it into a single LoadFailure row.
            try:
                with archive.open(member) as f:
                    blob = f.read(budget + 1)
            except (zlib.error, EOFError, RuntimeError, NotImplementedError) as e:
                raise zipfile.BadZipFile(f"member '{member.filename}' cannot be unpacked: {e}") from e
            budget -= len(blob)
            if budget < 0:
                raise UnsafeArchiveError(f"{name}: unpacks to more than {MAX_ZIP_UNCOMPRESSED_BYTES:,} bytes; "
                                         "split the dataset into smaller archives")
            return blob

        entries = {m.filename: m for m in members}
        return _load_tree(sorted(entries), lambda rel: read(entries[rel]), source=name, group_by=group_by)


def _check_zip_members(members: list[zipfile.ZipInfo], name: str) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnsafeArchiveError(f"{name}: holds {len(members):,} files; at most {MAX_ZIP_MEMBERS:,} "
                                 "are accepted: split the dataset into smaller archives")
    total = 0
    for m in members:
        path = PurePosixPath(m.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise UnsafeArchiveError(f"{name}: member '{m.filename}' points outside the archive folder; "
                                     "refusing the whole archive: re-create it from a plain folder")
        if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_COMPRESSION_RATIO:
            raise UnsafeArchiveError(
                f"{name}: member '{m.filename}' expands {m.file_size / m.compress_size:.0f}x "
                f"(limit {MAX_ZIP_COMPRESSION_RATIO}x); this looks like a zip bomb: refusing the archive")
        total += m.file_size
    if total > MAX_ZIP_UNCOMPRESSED_BYTES:
        raise UnsafeArchiveError(f"{name}: unpacks to {total:,} bytes (limit {MAX_ZIP_UNCOMPRESSED_BYTES:,}); "
                                 "split the dataset into smaller archives")


def load_folder(path: str | Path, *, group_by: str | None = None) -> list[Clip | LoadFailure]:
    """Load a dataset folder: class sub-folders become labels; an optional groups.csv adds groups.

    The folder given is the dataset's root: files directly in it are unlabelled, and a single sub-folder is a
    single class (a zip, in contrast, usually wraps everything in one top folder, which is stripped).
    """
    root = Path(path)
    if not root.is_dir():
        raise InvalidAudioError(f"{root}: is not a folder; pass a folder with one sub-folder per class")
    rels = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return _load_tree(rels, lambda rel: (root / rel).read_bytes(), source=str(root), strip_top=False,
                      group_by=group_by)


def _load_tree(rels: list[str], read: Callable[[str], bytes], *, source: str, strip_top: bool = True,
               group_by: str | None = None) -> list[Clip | LoadFailure]:
    """Shared by zips and folders: strip a common top folder (zips), label by first sub-folder, apply groups.csv."""
    rels = [r for r in rels if not is_hidden(r)]
    prefix = _common_top_folder(rels) if strip_top else ""
    walk = TreeWalk(*_read_label_table(rels, read, prefix, source=source, group_by=group_by), prefix=prefix)
    results: list[Clip | LoadFailure] = []
    for rel, name, label, given in walk.files(rels):
        loaded = _load_or_fail(read(rel), name=name, label=label, group=given.group, fold=given.fold)
        results.append(replace(loaded, split=given.split) if isinstance(loaded, Clip) and given.split else loaded)
    problem = walk.problem(source, [r.name for r in results])
    return results + ([problem] if problem else [])


class TreeWalk:
    """The one rule for a dataset tree's files, shared by loading a folder or zip (`load_folder`, `load_zip`) and
    streaming a folder (`iter_folder`): audio files only; a file's label is its table row's, else its
    first sub-folder; the table's rows are matched to files, and rows that match no file are named.

    >>> walk = TreeWalk("labels.csv", {"dog/a.wav": TableRow("puppy", "s1")})
    >>> [(name, label, given.group) for _, name, label, given in walk.files(["dog/a.wav", "cat/b.wav", "x.txt"])]
    [('dog/a.wav', 'puppy', 's1'), ('cat/b.wav', 'cat', None)]
    >>> walk.problem("data", ["dog/a.wav", "cat/b.wav"]) is None
    True
    """

    def __init__(self, table_name: str, table: dict[str, TableRow], *, prefix: str = "") -> None:
        self.table_name, self.table, self.prefix = table_name, table, prefix
        self._row_for = row_matcher(table)
        self._used: set[str] = set()
        self._first_other: str | None = None  # a file that is neither audio nor a table: named when there is no audio
        self._n_others = self._audio = 0

    def files(self, rels: Iterable[str]) -> Iterator[tuple[str, str, str | None, TableRow]]:
        """(path in the tree, clip name without the stripped top folder, label, the table's row) per audio file."""
        for rel in rels:
            name = rel[len(self.prefix):]
            if not name.lower().endswith(AUDIO_EXTENSIONS):
                if not rel.lower().endswith(".csv"):
                    self._first_other = self._first_other or rel
                    self._n_others += 1
                continue
            self._audio += 1
            row = self._row_for(name)
            if row is not None:
                self._used.add(row)
            given = self.table.get(row, NO_ROW) if row is not None else NO_ROW
            parts = name.split("/")
            yield rel, name, given.label or (parts[0] if len(parts) > 1 else None), given

    def problem(self, source: str, names: Sequence[str]) -> LoadFailure | None:
        """Once the files are walked: no audio file at all, or the table rows that name no file (`names`: the
        clips' names, for the message's examples); else None."""
        if not self._audio:
            found = (f"it holds {self._n_others} other file(s), e.g. '{self._first_other}'" if self._n_others else
                     "it is empty")
            return LoadFailure(source, f"{source}: holds no audio files ({', '.join(AUDIO_EXTENSIONS)}); {found}. "
                                       "Put clips in one sub-folder per class")
        return unmatched_rows_failure(self.table_name, self.table, self._used, names) if self.table else None


def is_hidden(rel: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in rel.split("/"))


def _common_top_folder(rels: list[str]) -> str:
    tops = {r.split("/", 1)[0] for r in rels}
    if len(tops) == 1 and all("/" in r for r in rels):
        return tops.pop() + "/"
    return ""


def label_table_member(rels: Sequence[str], prefix: str) -> str | None:
    """The label table of a dataset tree (the first LABEL_FILES name at its top, in sorted order), or None: the one
    rule that loading (`_load_tree`) and describing (`folder_label_table`, `zip_label_table`) share."""
    return next((rel for rel in sorted(rels) if rel[len(prefix):] in LABEL_FILES), None)


def _read_label_table(rels: list[str], read: Callable[[str], bytes], prefix: str, *, source: str,
                      group_by: str | None = None) -> tuple[str, dict[str, TableRow]]:
    rel = label_table_member(rels, prefix)
    if rel is None:
        return "", {}
    name = f"{source}: {rel}"
    return name, parse_label_table(read(rel), name=name, group_by=group_by)


def zip_label_table(data: bytes, *, name: str = "archive.zip") -> tuple[str, bytes] | None:
    """(name, bytes) of the label table a zipped dataset carries (as `load_zip` would apply it), if any; None for
    an unreadable or unsafe archive (loading it reports why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            _check_zip_members(members, name)
            rels = [m.filename for m in members if not is_hidden(m.filename)]
            rel = label_table_member(rels, _common_top_folder(rels))
            if rel is not None and archive.getinfo(rel).file_size <= MAX_TABLE_BYTES:
                return f"{name}: {rel}", archive.read(rel)
    except (zipfile.BadZipFile, AudioDiagError, OSError, RuntimeError, NotImplementedError, zlib.error):
        return None
    return None


def folder_label_table(path: str | Path) -> tuple[str, bytes] | None:
    """(file name, bytes) of a dataset folder's label table (the one `load_folder` applies), if any."""
    rel = label_table_member([p.name for p in Path(path).iterdir() if p.is_file()], "")
    return None if rel is None else (rel, (Path(path) / rel).read_bytes())


class UniqueNames:
    """The one rule for repeated names, applied one name at a time (so a stream of any length uses it too): a name
    given out before becomes "a.wav (2)", "a.wav (3)", ..., skipping every name already given out. A later file
    literally named "a.wav (2)" is then renamed in turn ("a.wav (2) (2)").

    >>> unique = UniqueNames()
    >>> [unique(n) for n in ["a.wav", "a.wav", "a.wav (2)", "a.wav"]]
    ['a.wav', 'a.wav (2)', 'a.wav (2) (2)', 'a.wav (3)']
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        unique, count = name, 2
        while unique in self.taken:
            unique, count = f"{name} ({count})", count + 1
        self.taken.add(unique)
        return unique


def unique_names(results: list[Clip | LoadFailure]) -> list[Clip | LoadFailure]:
    """Rename repeated names (`UniqueNames`) so every row and warning points at one file."""
    unique = UniqueNames()
    return [r if (name := unique(r.name)) == r.name else replace(r, name=name) for r in results]


def iter_clips(results: Iterable[Clip | LoadFailure]) -> Iterator[Clip]:
    return (r for r in results if isinstance(r, Clip))


# ---------------------------------------------------------------- folders of any size, lazily

def iter_folder(path: str | os.PathLike, *, group_by: str | None = None) -> Iterator[ManifestRow | LoadFailure]:
    """A dataset folder as rows, walked lazily, with `load_folder`'s rules: class sub-folders are labels, a
    labels table at the top (groups.csv, labels.csv, ...) adds labels and groups, hidden files are skipped.

    The labels table (if any) is read now, so an unreadable one raises InvalidAudioError before any row.
    """
    root = Path(path).absolute()
    if not root.is_dir():
        raise ManifestError(f"{path}: is not a folder; pass a folder with one sub-folder per class")
    top = [p.name for p in root.iterdir() if p.is_file()]
    table_name, table = "", {}
    rel = label_table_member([r for r in top if not is_hidden(r)], "")
    if rel is not None:
        table_name = f"{root}: {rel}"
        table = parse_label_table((root / rel).read_bytes(), name=table_name, group_by=group_by)
    return _folder_rows(root, TreeWalk(table_name, table))


def _folder_rows(root: Path, walk: TreeWalk) -> Iterator[ManifestRow | LoadFailure]:
    first: list[str] = []  # the first clip's name, for the unmatched rows' message
    for rel, name, label, given in walk.files(_walk(root, "")):
        first = first or [name]
        yield ManifestRow(source=str(root / rel), name=name, group=given.group, origin=str(root), fold=given.fold,
                          label=label, split=given.split)
    problem = walk.problem(str(root), first)
    if problem is not None:
        yield problem


def _walk(root: Path, prefix: str) -> Iterator[str]:
    """Relative posix paths of the files under root, depth first in name order, one directory listing at a time;
    hidden entries and symlinked folders are skipped (as `load_folder`'s rglob does)."""
    try:
        entries = sorted(os.scandir(root / prefix if prefix else root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if is_hidden(entry.name):
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(root, rel + "/")
        elif entry.is_file():
            yield rel
