"""Reference transcripts for clips: a CSV `path,reference[,group]` and/or `.txt` files with the clip's stem."""
from __future__ import annotations

import csv
import io as _io
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from audiodiag.errors import AudioDiagError
from audiodiag.samples import SAMPLE_ROOT
from audiodiag.types import Clip

TABLE_NAME = "transcripts.csv"


def parse_table(data: bytes, *, name: str = TABLE_NAME) -> dict[str, str]:
    """{path: reference} from a CSV with a header containing `path` and `reference` columns."""
    try:
        rows = list(csv.DictReader(_io.StringIO(data.decode("utf-8-sig"))))
    except UnicodeDecodeError as e:
        raise AudioDiagError(f"{name}: not UTF-8 text ({e}); save it as UTF-8 CSV") from e
    if not rows or not {"path", "reference"} <= set(rows[0]):
        raise AudioDiagError(f"{name}: expected a header with the columns path,reference[,group]; found "
                             f"{', '.join(rows[0]) if rows else 'no rows'}")
    return {r["path"].strip(): (r["reference"] or "").strip() for r in rows}


def match(clips: Sequence[Clip], table: Mapping[str, str]) -> list[str | None]:
    """The reference of each clip (by relative path, else by file name), None when the table has none."""
    by_name = {PurePosixPath(k).name: v for k, v in table.items()}
    return [table.get(c.name, by_name.get(PurePosixPath(c.name).name)) for c in clips]


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
    return folder_references(SAMPLE_ROOT / set_name, clips)
