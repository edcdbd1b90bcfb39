"""The server-side data root of a hosted team server: datasets that live on the server, listed in the sidebar.

The root is a folder named by the environment variable AUDIODIAG_DATA_ROOT or by `data_root` in
`.streamlit/secrets.toml` (the page layer reads the secret and passes it in). Its entries are its sub-folders
(datasets: one sub-folder per class), its manifests (.csv,
.jsonl/.json[.gz], .parquet: ours, NeMo, Hugging Face Parquet, Lhotse cuts) and its run folders (a folder
holding `run.json`). Nothing outside the root is readable through it: `resolve` refuses `..`, absolute paths,
URLs, drive prefixes, NUL bytes and symlinks that lead out, and `confine` refuses manifest rows that point out.

>>> configured_root(secret=None, environ={}) is None   # no root configured: the sidebar offers no server data
True
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     (Path(folder) / "digits").mkdir()
...     (Path(folder) / "train.csv").touch()
...     root = configured_root(environ={DATA_ROOT_ENV: folder})
...     print([(e.name, e.kind) for e in list_entries(root)])
[('digits', 'folder'), ('train.csv', 'manifest')]
"""
from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fsspec.core import split_protocol

from audiodiag.data import layout, manifest
from audiodiag.data.rows import ManifestRow
from audiodiag.errors import AudioDiagError, DataRootError
from audiodiag.types import Clip, LoadFailure

DATA_ROOT_ENV = "AUDIODIAG_DATA_ROOT"
SECRETS_KEY = "data_root"
RUN_FILE = "run.json"  # marks a run folder (written by `report --out-dir`)
FOLDER, MANIFEST, RUN = "folder", "manifest", "run"
MAX_APP_ROWS = 5_000  # rows the dashboard loads from one entry (as many as an upload); the CLI takes any number
_DRIVE = re.compile(r"^[A-Za-z]:")  # C:\data, c:relative


@dataclass(frozen=True)
class Entry:
    """One thing the sidebar lists: `name` is its path relative to the root (what `resolve` takes)."""

    name: str
    kind: str  # FOLDER | MANIFEST | RUN
    path: Path


def configured_root(secret: str | None = None, *, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The data root: the environment variable AUDIODIAG_DATA_ROOT, else `secret` (secrets.toml's `data_root`);
    None when neither is set. Raises DataRootError when the configured value is not an existing folder."""
    value = environ.get(DATA_ROOT_ENV) or secret
    if not value:
        return None
    root = Path(str(value)).expanduser()
    if not root.is_dir():
        where = DATA_ROOT_ENV if environ.get(DATA_ROOT_ENV) else f"{SECRETS_KEY} in .streamlit/secrets.toml"
        raise DataRootError(f"the data root {str(value)!r} ({where}) is not a folder on this server; point it at "
                            "the folder that holds the team's datasets, or unset it")
    return root.resolve()


def list_entries(root: str | os.PathLike) -> list[Entry]:
    """The root's datasets (sub-folders), manifests and run folders, by name; hidden entries and entries that
    lead outside the root (symlinks) are left out."""
    root = Path(root).resolve()
    entries = []
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if child.name.startswith(".") or not _inside(root, child):
            continue
        if child.is_dir():
            entries.append(Entry(child.name, RUN if (child / RUN_FILE).is_file() else FOLDER, child))
        elif child.is_file() and manifest.is_manifest(child.name):
            entries.append(Entry(child.name, MANIFEST, child))
    return entries


def resolve(root: str | os.PathLike, relative: str) -> Path:
    """The existing file or folder `relative` names under `root`; DataRootError for anything that is not plainly
    inside it: `..`, absolute paths, URLs, drive prefixes, backslashes, NUL bytes, symlinks leading out.

    >>> resolve("/srv/data", "digits/../../etc/passwd")
    Traceback (most recent call last):
    audiodiag.errors.DataRootError: 'digits/../../etc/passwd': goes up a folder ('..'); name an entry of ...
    """
    problem = _refusal(relative)
    if problem:
        raise DataRootError(f"{relative!r}: {problem}; name an entry of the data root by its relative path, e.g. "
                            "'digits' or 'train.csv'")
    root = Path(root).resolve()
    path = root / relative
    if not _inside(root, path):
        raise DataRootError(f"{relative!r}: leads outside the data root (a symlink to {os.path.realpath(path)}); "
                            "only files inside the root are readable: copy the data into it")
    if not path.exists():
        raise DataRootError(f"{relative!r}: no such file or folder in the data root; choose one of its entries")
    return path


def _refusal(relative: str) -> str | None:
    if not isinstance(relative, str) or not relative.strip():
        return "is empty"
    if "\x00" in relative:
        return "contains a NUL byte"
    if "\\" in relative or _DRIVE.match(relative):
        return "is a Windows path (drive letter or backslash)"
    if split_protocol(relative)[0] is not None or "://" in relative or "::" in relative:  # a::b chains URLs
        return "is a URL, not a path inside the data root"
    if relative.startswith(("/", "~")):
        return "is an absolute path"
    if ".." in PurePosixPath(relative).parts:
        return "goes up a folder ('..')"
    return None


def _inside(root: Path, path: str | os.PathLike) -> bool:
    """True when `path`, with every symlink followed, is `root` or below it (root: already resolved)."""
    real = os.path.realpath(path)
    return os.path.commonpath([str(root), real]) == str(root)


def confine(root: str | os.PathLike, rows: Iterable[ManifestRow | LoadFailure]) -> Iterator[ManifestRow | LoadFailure]:
    """Rows whose file is inside `root`; any other row (a URL, an absolute path or a relative path or symlink
    leading out) becomes a LoadFailure, so a manifest on the server cannot reach past the root."""
    root = Path(root).resolve()
    for row in rows:
        if isinstance(row, ManifestRow):
            protocol, local = split_protocol(row.source)
            if protocol not in manifest.LOCAL_PROTOCOLS or not _inside(root, local):
                row = LoadFailure(row.name, f"{row.name}: points outside the data root ({row.source}, named in "
                                            f"{row.where}); only files inside the root are readable on this server: "
                                            "copy the file into it and write its path relative to the manifest")
        yield row


def entry_rows(root: str | os.PathLike, relative: str, *,
               group_by: str | None = None) -> Iterator[ManifestRow | LoadFailure]:
    """The rows of one entry (a dataset folder or a manifest), confined to the root. Raises DataRootError for a
    path outside the root, AudioDiagError for an entry that cannot be read at all (e.g. no path column)."""
    path = resolve(root, relative)
    if path.is_dir():
        if (path / RUN_FILE).is_file():
            raise DataRootError(f"{relative}: is a run folder ({RUN_FILE}), not audio to load: open it with "
                                "runview.RunView.open (the dashboard does this), or load the data it was run on")
        rows = layout.iter_folder(path, group_by=group_by)
    elif manifest.is_manifest(path.name):
        rows = manifest.read_manifest(path, group_by=group_by)
    else:
        raise DataRootError(f"{relative}: is neither a dataset folder nor a manifest "
                            f"({', '.join(manifest.MANIFEST_FORMATS)}); choose another entry")
    return confine(root, rows)


def load_entry(root: str | os.PathLike, relative: str, *, group_by: str | None = None,
               max_rows: int = MAX_APP_ROWS) -> list[Clip | LoadFailure]:
    """The dashboard's load of one entry: its first `max_rows` rows as Clips or LoadFailures; an entry that cannot
    be read at all, or has more rows than that, adds a LoadFailure row saying so (and how to analyse all of it)."""
    try:
        rows = entry_rows(root, relative, group_by=group_by)
        head = list(itertools.islice(rows, max_rows))
        more = next(rows, None) is not None
    except AudioDiagError as e:
        return [LoadFailure(relative, str(e))]
    results = manifest.load_rows(head)
    if more:
        results.append(LoadFailure(relative, f"{relative}: has more than {max_rows:,} rows; the dashboard loaded the "
                                             f"first {max_rows:,}. Analyse all of it with `python -m audiodiag report "
                                             f"{Path(root) / relative}`"))
    return results


def fingerprint(root: str | os.PathLike, relative: str) -> str:
    """A cheap stamp that changes when an entry changes (sizes and modification times of the entry and its
    immediate children): a cache key part, so an edited manifest or a new class folder is loaded afresh."""
    path = resolve(root, relative)
    stats = [path.stat()]
    if path.is_dir():
        stats += [p.stat() for p in sorted(path.iterdir()) if _inside(Path(root).resolve(), p)]
    return ",".join(f"{s.st_size}:{s.st_mtime_ns}" for s in stats)
