"""The manifests other tools write, recognised by their content: NeMo, Hugging Face Parquet and Lhotse cuts.

- NeMo (JSON lines, `.json` or `.jsonl`): `audio_filepath`, `duration`, often `offset`, `text` (the reference
  transcript) and, for classification, `label`. `offset` and `duration` name the segment NeMo reads, and so do we.
- Hugging Face datasets as Parquet (the hub's export): an audio column of structs {bytes, path} whose bytes are the
  file; integer labels are named by the ClassLabel names in the file's `huggingface` key-value metadata.
- Lhotse cuts (`cuts.jsonl.gz`): a cut is a segment (`start`, `duration`) of its recording's source file; its
  supervisions give the reference (their texts in time order) and the group (their speaker).

The functions here read one record (a dict as the file holds it) and raise `RecordError` (what is wrong, the value,
the fix) for one that cannot be used; `audiodiag.data.manifest` turns records into rows. No package of those tools is
needed.

>>> json_kind(["audio_filepath", "duration", "text"]), json_kind(["id", "start", "recording", "supervisions"])
('nemo', 'lhotse')
>>> nemo_segment({"audio_filepath": "a.wav", "offset": 1.5, "duration": 2})
Segment(start_s=1.5, duration_s=2.0, suffix='@1.5-3.5s')
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audiodiag.errors import RecordError

TABLE, NEMO, HF_PARQUET, LHOTSE = "table", "nemo", "hf-parquet", "lhotse"
NEMO_PATH, NEMO_TEXT, NEMO_OFFSET, NEMO_DURATION = "audio_filepath", "text", "offset", "duration"
LHOTSE_KEYS = ("recording", "supervisions")  # what every cut with audio has (MonoCut.to_dict)
LHOTSE_READ_KEYS = ("id", "start", "duration", "channel", "supervisions", "recording", "type", "custom")
LHOTSE_CUT_TYPES = ("MonoCut", "MultiCut")  # one recording each; a MixedCut or PaddingCut is made of several
LHOTSE_SOURCE_TYPES = ("file", "url")  # read as paths or fsspec URLs; "command", "memory", "shar" are not
LHOTSE_SPEAKER, LHOTSE_TEXT = "speaker", "text"  # a supervision's fields that become the group and the reference
SPEAKER_JOIN = "+"  # a cut whose supervisions have several speakers: its group names them all, sorted
HF_METADATA_KEY = b"huggingface"  # where `datasets` writes its features into a Parquet file's metadata
HF_NO_LABEL = -1  # ClassLabel's "no label" (e.g. a test split)
# where a transcript is found, first match wins: audiodiag's own names, then the ones hub datasets use
HF_TRANSCRIPT_COLUMNS = ("transcript", "reference", "text", "transcription", "sentence", "normalized_text")


@dataclass(frozen=True)
class Segment:
    """The part of a file to read: from start_s for duration_s seconds (None: to the end); `suffix` (possibly
    empty) is added to the file's path to name the clip, so segments of one file have different names."""

    start_s: float
    duration_s: float | None
    suffix: str = ""


@dataclass(frozen=True)
class Cut:
    """What one Lhotse cut says, in audiodiag's terms: `source` is its audio file as written (a path or a URL)."""

    name: str
    source: str
    segment: Segment
    channel: int | None  # which channel of the file the cut takes; None: all of them (downmixed)
    label: str | None
    group: str | None
    transcript: str | None


def json_kind(keys: Sequence[str]) -> str:
    """Which tool wrote a JSON-lines manifest, from its first object's keys: NEMO, LHOTSE or TABLE."""
    if NEMO_PATH in keys:
        return NEMO
    return LHOTSE if all(k in keys for k in LHOTSE_KEYS) else TABLE


# ---------------------------------------------------------------- NeMo

def nemo_segment(record: Mapping) -> Segment | None:
    """The segment a NeMo record reads: `offset` (0 when absent) for `duration` seconds; None without either.
    The clip's name carries the segment when the record has an offset (one file may hold many utterances)."""
    offset, duration = record.get(NEMO_OFFSET), record.get(NEMO_DURATION)
    if offset is None and duration is None:
        return None
    start = _seconds(offset, NEMO_OFFSET, positive=False) if offset is not None else 0.0
    length = _seconds(duration, NEMO_DURATION, positive=True) if duration is not None else None
    suffix = "" if offset is None else f"@{start:g}-{start + length:g}s" if length is not None else f"@{start:g}-end"
    return Segment(start, length, suffix)


def _seconds(value, key: str, *, positive: bool) -> float:
    """A finite number of seconds, at least 0 (more than 0 when `positive`), else RecordError."""
    number = None if isinstance(value, bool) else _number(value)
    if number is None or not math.isfinite(number) or number < 0 or (positive and number == 0):
        rule = "more than 0" if positive else "at least 0"
        raise RecordError(f"'{key}' is not a number of seconds {rule}", value,
                          f"write '{key}' in seconds, e.g. \"{key}\": 1.25")
    return number


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- Hugging Face Parquet

def parquet_audio_column(schema) -> str | None:
    """The audio column of a Hugging Face Parquet export: the one its metadata calls Audio, else (by content) the
    first struct column with binary `bytes` and a `path`; None when there is none.

    schema: a pyarrow.Schema (with its key-value metadata)."""
    import pyarrow as pa

    def audio_struct(field) -> bool:
        if not pa.types.is_struct(field.type):
            return False
        children = {field.type.field(i).name: field.type.field(i).type for i in range(field.type.num_fields)}
        return "path" in children and (pa.types.is_binary(children.get("bytes", pa.null()))
                                       or pa.types.is_large_binary(children.get("bytes", pa.null())))

    candidates = [f.name for f in schema if audio_struct(f)]
    marked = [name for name, feature in hf_features(schema.metadata).items()
              if isinstance(feature, dict) and feature.get("_type") == "Audio" and name in candidates]
    return (marked or candidates or [None])[0]


def hf_features(metadata: Mapping[bytes, bytes] | None) -> dict:
    """The `features` that `datasets` wrote into a Parquet file's metadata ({} when absent or unreadable)."""
    try:
        info = json.loads((metadata or {}).get(HF_METADATA_KEY, b"{}")).get("info") or {}
    except (ValueError, AttributeError):
        return {}
    features = info.get("features") if isinstance(info, dict) else None
    return features if isinstance(features, dict) else {}


def class_label_names(metadata: Mapping[bytes, bytes] | None) -> dict[str, tuple[str, ...]]:
    """{column: its ClassLabel names} from a Hugging Face Parquet file's metadata.

    >>> meta = {b"huggingface": b'{"info": {"features": {"label": {"names": ["no", "yes"], "_type": "ClassLabel"}}}}'}
    >>> class_label_names(meta)
    {'label': ('no', 'yes')}
    """
    return {column: tuple(str(n) for n in feature["names"]) for column, feature in hf_features(metadata).items()
            if isinstance(feature, dict) and feature.get("_type") == "ClassLabel"
            and isinstance(feature.get("names"), list)}


def hf_label_column(columns: Sequence[str], names: Mapping[str, Sequence[str]], *, preferred: str) -> str | None:
    """The class column of a Hugging Face export: `preferred` (e.g. 'label') when present, else its only
    ClassLabel column; None when neither."""
    if preferred in columns:
        return preferred
    labelled = [c for c in columns if c in names]
    return labelled[0] if len(labelled) == 1 else None


def hf_label(value, names: Sequence[str] | None, column: str) -> str | None:
    """A label cell as text: an integer is named by the ClassLabel `names` (-1, ClassLabel's "no label", is
    None); without names, or for a text cell, the value as written."""
    if value is None:
        return None
    if names is None or isinstance(value, str) or isinstance(value, bool) or not isinstance(value, int):
        return str(value).strip() or None
    if value == HF_NO_LABEL:
        return None
    if not 0 <= value < len(names):
        raise RecordError(f"'{column}' is {value}, outside its {len(names)} ClassLabel names", value,
                          f"use a label from 0 to {len(names) - 1}, or -1 for none")
    return names[value]


def hf_audio(value, column: str) -> tuple[str | None, bytes | None]:
    """(path, bytes) of an audio cell {bytes, path}: the bytes are the file when present; the path names it."""
    if not isinstance(value, Mapping):
        raise RecordError(f"no audio (column '{column}' is empty)", value,
                          "fill in the audio, or delete the row")
    path, data = value.get("path"), value.get("bytes")
    path = str(path).strip() if path is not None and str(path).strip() else None
    if not data and path is None:
        raise RecordError(f"no audio (column '{column}' holds neither bytes nor a path)", value,
                          "fill in the audio, or delete the row")
    return path, bytes(data) if data else None


# ---------------------------------------------------------------- Lhotse

def lhotse_cut(record: Mapping) -> Cut:
    """One cut (as `CutSet.to_file` writes it) as a Cut, or RecordError naming what keeps it from being read."""
    kind = record.get("type", LHOTSE_CUT_TYPES[0])
    if kind not in LHOTSE_CUT_TYPES:
        raise RecordError(f"a Lhotse {kind}, made of several recordings", kind,
                          "write its audio to files first (lhotse's CutSet.save_audios) and load those cuts")
    recording = record.get("recording")
    if not isinstance(recording, Mapping):
        raise RecordError("a Lhotse cut without a recording (features only)", record.get("id"),
                          "attach the recordings (CutSet.from_manifests(recordings=..., supervisions=...))")
    if recording.get("transforms"):
        raise RecordError("its recording applies transforms (speed, volume, resampling ...) that audiodiag does "
                          "not replay", recording.get("transforms"),
                          "write the transformed audio to files (CutSet.save_audios) and load those cuts")
    channel = record.get("channel")
    source = _lhotse_source(recording.get("sources"), channel)
    name = str(record.get("id") or "").strip()
    if not name:
        raise RecordError("a Lhotse cut without an id", record.get("id"), "give every cut an id")
    start = _seconds(record.get("start", 0.0), "start", positive=False)
    duration = _seconds(record.get("duration"), "duration", positive=True)
    channels = source.get("channels") or []
    file_channel = channels.index(channel) if isinstance(channel, int) and channel in channels and len(
        channels) > 1 else None
    supervisions = sorted((s for s in record.get("supervisions") or [] if isinstance(s, Mapping)),
                          key=lambda s: _number(s.get("start")) or 0.0)
    texts = [str(s[LHOTSE_TEXT]).strip() for s in supervisions if s.get(LHOTSE_TEXT) and str(s[LHOTSE_TEXT]).strip()]
    speakers = sorted({str(s[LHOTSE_SPEAKER]).strip() for s in supervisions if s.get(LHOTSE_SPEAKER)} - {""})
    return Cut(name=name, source=str(source["source"]), segment=Segment(start, duration),
               channel=file_channel, label=_lhotse_label(record, supervisions),
               group=SPEAKER_JOIN.join(speakers) or None, transcript=" ".join(texts) or None)


def _lhotse_source(sources, channel) -> Mapping:
    """The recording's audio source holding the cut's channel (the first one when none says)."""
    usable = [s for s in sources or [] if isinstance(s, Mapping) and s.get("source")]
    if not usable:
        raise RecordError("its recording has no audio source", sources, "give the recording a source file")
    chosen = next((s for s in usable if isinstance(channel, int) and channel in (s.get("channels") or [])),
                  usable[0])
    if chosen.get("type", "file") not in LHOTSE_SOURCE_TYPES:
        raise RecordError(f"its audio comes from a '{chosen.get('type')}' source, which audiodiag cannot read",
                          chosen.get("source"),
                          "write the audio to files (CutSet.save_audios) and load those cuts")
    return chosen


def _lhotse_label(record: Mapping, supervisions: Sequence[Mapping]) -> str | None:
    """A class label a cut carries: its own custom `label`, else the one its supervisions' custom `label`s agree
    on."""
    own = (record.get("custom") or {}).get("label") if isinstance(record.get("custom"), Mapping) else None
    if own is not None:
        return str(own).strip() or None
    given = {str(s["custom"]["label"]).strip() for s in supervisions
             if isinstance(s.get("custom"), Mapping) and s["custom"].get("label") is not None}
    return given.pop() if len(given) == 1 else None
