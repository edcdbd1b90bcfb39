"""Decode audio from bytes, paths, zip archives and folders; resample with a real resampler (soxr).

Every loader returns `Clip` objects; anything that cannot be loaded becomes a `LoadFailure` row so the
rest of a batch still loads.
"""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple

import numpy as np
import soundfile as sf
import soxr

from audiodiag.errors import AudioDiagError, InvalidAudioError, UnsafeArchiveError
from audiodiag.types import Clip, LoadFailure

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
UPLOAD_EXTENSIONS = ("wav", "flac", "ogg", "mp3", "zip", "csv")  # csv: a path,label[,group] table
MIN_CLIP_DURATION_S = 0.025  # one analysis frame; anything shorter has no measurable content
MAX_CLIP_DURATION_S = 600.0  # longer recordings must be cut into clips first (memory, and clips are the unit)
# a segment may end this far past its file (manifests round durations; mp3 decoders differ by a frame): read to the end
SEGMENT_OVERRUN_S = 0.05
# containers libsndfile decodes correctly only in one read from the start: an MP3 read after a seek, or in several
# reads, departs from the whole-file decode by up to the signal's amplitude (mpg123's "part2_3_length too large";
# python-soundfile issue #402), so a segment of one is decoded from the file's start
SEQUENTIAL_CONTAINERS = ("MP3",)
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_UNCOMPRESSED_BYTES = 1_000_000_000
MAX_ZIP_COMPRESSION_RATIO = 200  # audio compresses ~1-3x; hundreds-to-one is a zip bomb
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
# (`Clip.split`) so speakers in more than one split can be named (audiodiag.speakers); folds do not use it
SPLIT_COLUMNS = ("split", "subset", "partition")
LABEL_COLUMN = "label"  # a labels table's class column
REFERENCE_COLUMN = "reference"  # a table's reference transcript (transcripts.csv; audiodiag.references reads it)


class TableRow(NamedTuple):
    """What a labels table says about one file."""

    label: str | None
    group: str | None
    fold: str | None = None
    split: str | None = None


NO_ROW = TableRow(None, None, None)
HASH_CHARS = 16

# Containers people try that libsndfile cannot decode: magic bytes -> what it is.
_UNSUPPORTED_MAGIC = (
    (4, b"ftyp", "MP4/M4A/AAC"),
    (0, b"\x30\x26\xb2\x75", "WMA/ASF"),
    (0, b"#!AMR", "AMR"),
    (0, b"\x1a\x45\xdf\xa3", "WebM/Matroska"),
)
_CONVERT_HINT = "convert it to WAV or FLAC first (e.g. `ffmpeg -i input output.wav`)"


@dataclass(frozen=True)
class AudioInfo:
    """Header facts read without decoding the samples."""

    name: str
    sample_rate_hz: int
    channels: int
    frames: int
    subtype: str
    container: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz if self.sample_rate_hz else 0.0


def content_hash(data: bytes) -> str:
    """Short sha256 of the file bytes: identical files share cache entries whatever their names."""
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def read_info(source: str | Path | bytes, *, name: str | None = None) -> AudioInfo:
    """Read sample rate, channels and length from the header only (fast: no sample decoding)."""
    name = name or (str(source) if not isinstance(source, bytes) else "<bytes>")
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        info = sf.info(handle)
    except (sf.LibsndfileError, RuntimeError) as e:
        detail = getattr(e, "error_string", "") or str(e).split(": ", 1)[-1]  # libsndfile's reason, not its handle
        raise InvalidAudioError(f"{name}: not a readable audio file ({detail}); {_CONVERT_HINT}") from e
    return AudioInfo(name, info.samplerate, info.channels, info.frames, info.subtype, info.format)


def load_clip(
    source: bytes | str | Path,
    *,
    name: str | None = None,
    label: str | None = None,
    group: str | None = None,
    fold: str | None = None,
) -> Clip:
    """Decode one file (WAV/FLAC/OGG/MP3/AIFF) into a mono float32 `Clip` at its original rate.

    >>> import io, soundfile as sf
    >>> wav = io.BytesIO(); sf.write(wav, np.zeros((1600, 2)), 8000, format="WAV")  # 0.2 s of stereo silence
    >>> clip = load_clip(wav.getvalue(), name="a.wav")  # or a path: load_clip(Path("a.wav"))
    >>> clip.sample_rate_hz, clip.original_channels, clip.samples.shape, clip.subtype
    (8000, 2, (1600,), 'PCM_16')
    """
    if isinstance(source, (str, Path)):
        name = name or Path(source).name
        data = Path(source).read_bytes()
    else:
        data = source
    name = name or "<bytes>"
    if not data:
        raise InvalidAudioError(f"{name}: file is empty (0 bytes); upload a WAV/FLAC/OGG/MP3 file")
    _refuse_known_unsupported(data, name)
    info = read_info(data, name=name)
    _check_duration(info)
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        raise InvalidAudioError(f"{name}: header reads but the audio data does not decode ({e}); "
                                f"the file is probably truncated or corrupt: re-export it") from e
    if samples.shape[0] == 0:
        raise InvalidAudioError(f"{name}: contains no audio frames (header says {info.frames}); "
                                "the file is probably truncated: re-export it")
    mono = _downmix(samples)
    finite = np.isfinite(mono)
    non_finite = int(finite.size - np.count_nonzero(finite))
    if non_finite:
        mono[~finite] = 0.0
    _check_duration(replace(info, frames=len(mono)))
    return Clip(
        name=name, samples=mono, sample_rate_hz=int(rate), original_sample_rate_hz=int(rate),
        original_channels=samples.shape[1], subtype=info.subtype, container=info.container,
        label=label, group=group, content_hash=content_hash(data), non_finite_count=non_finite, fold=fold,
    )


def load_segment(
    source: BinaryIO | bytes,
    *,
    start_s: float,
    duration_s: float | None,
    name: str,
    channel: int | None = None,
    label: str | None = None,
    group: str | None = None,
    fold: str | None = None,
) -> Clip:
    """Decode only `duration_s` seconds (None: to the end) from `start_s` of a file into a mono float32 `Clip`:
    soundfile seeks to the segment and nothing after it is decoded, nor anything before it except in an MP3
    (`SEQUENTIAL_CONTAINERS`). For a NeMo offset or a Lhotse cut.

    channel: keep that channel of the file (0-based) instead of the downmix. The clip's content_hash is of the
    decoded segment (its samples and rate), so two segments of one file differ and equal audio is equal.

    >>> wav = io.BytesIO(); sf.write(wav, np.arange(8000) / 8000, 8000, format="WAV", subtype="FLOAT")  # a ramp
    >>> clip = load_segment(io.BytesIO(wav.getvalue()), start_s=0.25, duration_s=0.5, name="a.wav@0.25-0.75s")
    >>> len(clip.samples), float(clip.samples[0]), clip.duration_s
    (4000, 0.25, 0.5)
    """
    if not start_s >= 0 or (duration_s is not None and not duration_s > 0):  # `not`: NaN is refused too
        raise InvalidAudioError(f"{name}: a segment from {start_s} s lasting {duration_s} s; the start must be at "
                                "least 0 s and the duration more than 0 s")
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    head = handle.read(max(o + len(m) for o, m, _ in _UNSUPPORTED_MAGIC))
    if not head:
        raise InvalidAudioError(f"{name}: file is empty (0 bytes); upload a WAV/FLAC/OGG/MP3 file")
    _refuse_known_unsupported(head, name)
    handle.seek(0)
    try:
        with sf.SoundFile(handle) as f:
            rate, total = f.samplerate, f.frames
            start = int(round(start_s * rate))
            wanted = total - start if duration_s is None else int(round(duration_s * rate))
            end_s = start_s + wanted / rate
            if start >= total or start + wanted > total + round(SEGMENT_OVERRUN_S * rate):
                raise InvalidAudioError(
                    f"{name}: the segment {start_s:g}-{end_s:g} s goes past the end of the file "
                    f"({total / rate:g} s); fix its offset and duration")
            info = AudioInfo(name, rate, f.channels, min(wanted, total - start), f.subtype, f.format)
            _check_duration(info)
            if channel is not None and not 0 <= channel < f.channels:
                raise InvalidAudioError(f"{name}: asks for channel {channel} of a file with {f.channels} "
                                        f"channel(s); use 0 to {f.channels - 1}")
            if f.format in SEQUENTIAL_CONTAINERS:  # one read from the start, as load_clip decodes it
                samples = f.read(start + info.frames, dtype="float32", always_2d=True)[start:]
            else:
                f.seek(start)
                samples = f.read(info.frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        detail = getattr(e, "error_string", "") or str(e)
        raise InvalidAudioError(f"{name}: not a readable audio file ({detail}); {_CONVERT_HINT}") from e
    if samples.shape[0] == 0:
        raise InvalidAudioError(f"{name}: the segment holds no audio frames; the file is probably truncated")
    mono = samples[:, channel].copy() if channel is not None else _downmix(samples)
    finite = np.isfinite(mono)
    non_finite = int(finite.size - np.count_nonzero(finite))
    if non_finite:
        mono[~finite] = 0.0
    return Clip(
        name=name, samples=mono, sample_rate_hz=int(rate), original_sample_rate_hz=int(rate),
        original_channels=samples.shape[1], subtype=info.subtype, container=info.container, label=label,
        group=group, content_hash=content_hash(np.ascontiguousarray(samples).tobytes() + str(rate).encode()),
        non_finite_count=non_finite, fold=fold,
    )


def _downmix(samples: np.ndarray) -> np.ndarray:
    """Average the channels into a new mono array (column sums: ~10x faster than mean(axis=1) on long files)."""
    mono = samples[:, 0].copy()
    for channel in range(1, samples.shape[1]):
        mono += samples[:, channel]
    if samples.shape[1] > 1:
        mono /= np.float32(samples.shape[1])
    return mono


def _refuse_known_unsupported(data: bytes, name: str) -> None:
    for offset, magic, kind in _UNSUPPORTED_MAGIC:
        if data[offset:offset + len(magic)] == magic:
            raise InvalidAudioError(f"{name}: is {kind}, which audiodiag cannot decode; {_CONVERT_HINT}")


def _check_duration(info: AudioInfo) -> None:
    if info.duration_s < MIN_CLIP_DURATION_S:
        raise InvalidAudioError(
            f"{info.name}: only {info.frames} sample(s) ({info.duration_s * 1000:.2f} ms) long; at least "
            f"{MIN_CLIP_DURATION_S * 1000:.0f} ms is needed to measure anything: remove it or re-export it")
    if info.duration_s > MAX_CLIP_DURATION_S:
        raise InvalidAudioError(
            f"{info.name}: {info.duration_s:.0f} s long; clips up to {MAX_CLIP_DURATION_S:.0f} s are analysed: "
            f"cut it into clips first (e.g. `sox long.wav clip.wav trim 0 30 : newfile : restart`)")


def resample(samples: np.ndarray, *, orig_sample_rate_hz: int, target_sample_rate_hz: int) -> np.ndarray:
    """Band-limited resampling with soxr (VHQ); never index-skipping, which aliases."""
    if orig_sample_rate_hz == target_sample_rate_hz:
        return samples
    return soxr.resample(samples, orig_sample_rate_hz, target_sample_rate_hz, quality="VHQ").astype(np.float32)


def resample_clip(clip: Clip, *, target_sample_rate_hz: int) -> Clip:
    """The same clip at another rate; `original_sample_rate_hz` keeps what the file was."""
    if clip.sample_rate_hz == target_sample_rate_hz:
        return clip
    samples = resample(clip.samples, orig_sample_rate_hz=clip.sample_rate_hz,
                       target_sample_rate_hz=target_sample_rate_hz)
    return replace(clip, samples=samples, sample_rate_hz=target_sample_rate_hz)


def pad_or_trim(samples: np.ndarray, *, length: int) -> np.ndarray:
    """Zero-pad at the end or cut to exactly `length` samples (what fixed-length encoders do)."""
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))


@dataclass(frozen=True)
class ModelInput:
    """A clip as a model receives it: resampled to the model's rate, then padded/cut to a length if one is set."""

    clip: Clip
    padding_fraction: float  # share of the model input that is padding
    cut_s: float  # seconds of audio cut off the end
    resampled: bool  # False when the clip already was at the model's rate


def as_model_sees_it(clip: Clip, *, sample_rate_hz: int, length_s: float | None = None) -> ModelInput:
    """What a model with this rate (and fixed input length, None: none) is given for `clip`.

    >>> half_second_8k = Clip("a.wav", np.ones(4000, np.float32), 8000, 8000, 1)
    >>> seen = as_model_sees_it(half_second_8k, sample_rate_hz=16_000, length_s=1.0)
    >>> seen.clip.sample_rate_hz, len(seen.clip.samples), seen.padding_fraction
    (16000, 16000, 0.5)
    """
    resampled = resample_clip(clip, target_sample_rate_hz=sample_rate_hz)
    changed = clip.sample_rate_hz != sample_rate_hz
    if not length_s:
        return ModelInput(resampled, 0.0, 0.0, changed)
    length = max(1, int(round(length_s * sample_rate_hz)))
    n = len(resampled.samples)
    return ModelInput(replace(resampled, samples=pad_or_trim(resampled.samples, length=length)),
                      max(0, length - n) / length, max(0, n - length) / sample_rate_hz, changed)


# ---------------------------------------------------------------- batches: uploads, zips, folders

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
    table_name, table = _read_label_table(rels, read, prefix, source=source, group_by=group_by)
    results: list[Clip | LoadFailure] = []
    used: set[str] = set()
    row_for = row_matcher(table)
    for rel in rels:
        short = rel[len(prefix):]
        if not short.lower().endswith(AUDIO_EXTENSIONS):
            continue
        parts = short.split("/")
        row = row_for(short)
        if row is not None:
            used.add(row)
        given = table.get(row, NO_ROW) if row is not None else NO_ROW
        label = given.label or (parts[0] if len(parts) > 1 else None)
        loaded = _load_or_fail(read(rel), name=short, label=label, group=given.group, fold=given.fold)
        results.append(replace(loaded, split=given.split) if isinstance(loaded, Clip) and given.split else loaded)
    if not results:
        others = [r for r in rels if not r.lower().endswith(".csv")]
        found = (f"it holds {len(others)} other file(s), e.g. '{others[0]}'" if others else "it is empty")
        results.append(LoadFailure(source, f"{source}: holds no audio files ({', '.join(AUDIO_EXTENSIONS)}); "
                                           f"{found}. Put clips in one sub-folder per class"))
        return results
    problem = unmatched_rows_failure(table_name, table, used, [r.name for r in results]) if table else None
    return results + ([problem] if problem else [])


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


def unique_names(results: list[Clip | LoadFailure]) -> list[Clip | LoadFailure]:
    """Rename repeated names ("a.wav", "a.wav (2)") so every row and warning points at one file."""
    taken = {r.name for r in results}  # a suffix must not collide with a name already in the batch
    seen: set[str] = set()
    out = []
    for r in results:
        if r.name not in seen:
            seen.add(r.name)
            out.append(r)
            continue
        count = 2
        while f"{r.name} ({count})" in taken:
            count += 1
        new_name = f"{r.name} ({count})"
        taken.add(new_name)
        out.append(replace(r, name=new_name))
    return out


def iter_clips(results: Iterable[Clip | LoadFailure]) -> Iterator[Clip]:
    return (r for r in results if isinstance(r, Clip))
