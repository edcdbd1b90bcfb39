"""One row of a dataset read lazily: an audio file to load and what its manifest (`audiodiag.data.manifest`) or
folder (`audiodiag.data.layout.iter_folder`) says about it. Rows become clips through `manifest.load_rows`.

>>> ManifestRow("/data/dog/1.wav", "dog/1.wav", origin="train.csv", line=12).where
'train.csv line 12'
"""
from __future__ import annotations

from dataclasses import dataclass, field

from audiodiag.data import formats


@dataclass(frozen=True)
class ManifestRow:
    """One audio file to load, and what the manifest (or folder) says about it.

    source: where the bytes are: an absolute local path or an fsspec URL (`s3://...`, `memory://...`).
    name: the clip's name, as the manifest writes the path (a folder: the path relative to it).
    line: the manifest's line (CSV/JSONL; the header is line 1) or row number (Parquet, from 1); None for a folder.
    origin: the manifest or folder the row came from, for messages.
    segment: the part of the file to read (a NeMo offset/duration, a Lhotse cut), None: all of it; channel: the
    file's channel a Lhotse cut takes (None: the downmix). data: the file's bytes when the manifest holds them (a
    Hugging Face Parquet export; `source` is then the manifest itself).
    """

    source: str
    name: str
    label: str | None = None
    group: str | None = None
    transcript: str | None = None
    line: int | None = None
    origin: str = ""
    fold: str | None = None  # the dataset's own test fold (a `fold` column), used as given
    segment: formats.Segment | None = None
    channel: int | None = None
    data: bytes | None = field(default=None, repr=False)
    split: str | None = None  # the dataset's own split (a `split` column: train / validation / test)

    @property
    def where(self) -> str:
        """'train.csv line 12' (or the file name alone for a folder row): where to fix this row."""
        return self.origin or self.name if self.line is None else location(self.origin, self.line)


def location(manifest: str, line: int) -> str:
    """Where a row is, as messages name it: 'train.csv line 12', 'train.parquet row 3'."""
    return f"{manifest} {'row' if manifest.lower().endswith('.parquet') else 'line'} {line}"
