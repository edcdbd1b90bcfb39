"""What DATA names, turned into clips: a folder, a .zip, a manifest (local or an fsspec URL) or a bundled sample
set's name. The CLI, the library's `audiodiag.load` and the streamed engine's items all start here.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from audiodiag.data import layout, manifest, sample_sets, tables
from audiodiag.errors import BadDataError, BadParameterError
from audiodiag.types import Clip, LoadFailure

MANIFEST_BATCH_ROWS = 256  # rows read and decoded at a time from a manifest


def data_folder(source: str) -> Path | None:
    """The folder behind DATA: the folder itself, a bundled or downloaded sample set's, or None (a zip, nothing)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    return sample_sets.sample_set_dir(source) if source in sample_sets.list_sample_sets() else None


def load(source: str, *, group_by: str | None = None) -> tuple[str, list[Clip], list[LoadFailure]]:
    """Clips from a folder, a zip, a manifest (local or an fsspec URL) or a bundled sample set name; failures
    are returned, not raised. `group_by` names the labels table's (or manifest's) group column (None: recognised
    by name; io.NO_GROUPS: none)."""
    path, folder = Path(source).expanduser(), data_folder(source)
    if folder is not None:
        results = layout.load_folder(folder, group_by=group_by)
    elif path.is_file() and path.suffix.lower() == ".zip":
        results = layout.load_zip(path.read_bytes(), name=path.name, group_by=group_by)
    elif manifest.is_manifest(source):
        rows = manifest.read_manifest(manifest_url(source), group_by=group_by)
        results = layout.unique_names([r for batch in manifest.iter_batches(rows, MANIFEST_BATCH_ROWS)
                                       for r in manifest.load_rows(batch)])
    else:
        raise not_data(source)
    clips = [r for r in results if isinstance(r, Clip)]
    failures = [r for r in results if isinstance(r, LoadFailure)]
    if not clips:
        reasons = "; ".join(f.message for f in failures[:3]) + (f"; and {len(failures) - 3} more" if len(failures) > 3
                                                                 else "")
        raise BadDataError(f"{source}: no audio could be loaded: {reasons}")
    return path.name if path.exists() else source, clips, failures


def not_data(source: str) -> BadParameterError:
    return BadParameterError(f"{source}: not a folder, a .zip, a manifest ({', '.join(manifest.MANIFEST_FORMATS)}) "
                             f"or a bundled sample set; bundled sets: {', '.join(sample_sets.list_sample_sets())}")


def manifest_url(source: str) -> str:
    """A manifest's URL as given, or its local path with `~` expanded."""
    return source if "://" in source else str(Path(source).expanduser())


def unused_columns(source: str, *, group_by: str | None = None) -> tables.UnusedColumns | None:
    """The columns of DATA's labels table (a folder's or a zip's) or manifest that nothing reads, if any."""
    path, folder = Path(source).expanduser(), data_folder(source)
    if manifest.is_manifest(source) and folder is None:
        return manifest.open_manifest(manifest_url(source), group_by=group_by).unused_columns
    is_zip = path.is_file() and path.suffix.lower() == ".zip"
    table = (layout.folder_label_table(folder) if folder is not None else
             layout.zip_label_table(path.read_bytes(), name=path.name) if is_zip else None)
    return None if table is None else tables.table_unused_columns(table[1], name=table[0], group_by=group_by)


def stream_items(source: str, *, group_by: str | None = None) -> tuple[str, Iterable]:
    """DATA as items for `stream.stream`, read lazily: a folder's files or a manifest's rows (a .zip is read
    whole, as `load` does)."""
    path, folder = Path(source).expanduser(), data_folder(source)
    if folder is not None:
        items: Iterable = layout.iter_folder(folder, group_by=group_by)
    elif path.is_file() and path.suffix.lower() == ".zip":
        items = layout.load_zip(path.read_bytes(), name=path.name, group_by=group_by)
    elif manifest.is_manifest(source):
        items = manifest.read_manifest(manifest_url(source), group_by=group_by)
    else:
        raise not_data(source)
    return path.name if path.exists() else source, items
