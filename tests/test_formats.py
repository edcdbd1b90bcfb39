"""The manifests other tools write (NeMo, Hugging Face Parquet, Lhotse cuts), read by content, with known answers.

Every fixture is written here from synthetic audio: a float WAV holds a ramp, so a segment's samples are known
exactly (float32 written and read back unchanged)."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from audiodiag import cli
from audiodiag.data import dataroot, decoding, formats, manifest, tables
from audiodiag.data.manifest import ManifestError
from audiodiag.represent import spaces
from audiodiag.runs import stream
from audiodiag.types import Clip, LoadFailure
from tests.helpers import noise, sine, wav_bytes

RATE_HZ = 16_000
LONG_S = 3.0


def _ramp(seconds: float, *, channels: int = 1) -> np.ndarray:
    """Sample k of channel c is (k + c * n) / (channels * n): every sample of every channel is different."""
    n = int(seconds * RATE_HZ)
    ramp = np.arange(n * channels, dtype=np.float64).reshape(channels, n).T / (n * channels)
    return (ramp[:, 0] if channels == 1 else ramp).astype(np.float32)


def _write_ramp(path, seconds: float = LONG_S, *, channels: int = 1) -> np.ndarray:
    samples = _ramp(seconds, channels=channels)
    sf.write(path, samples, RATE_HZ, subtype="FLOAT")
    return samples


def _load(url) -> list[Clip | LoadFailure]:
    return manifest.load_rows(list(manifest.read_manifest(url)))


def _clips(results) -> dict[str, Clip]:
    return {r.name: r for r in results if isinstance(r, Clip)}


def _failures(results) -> list[str]:
    return [r.message for r in results if isinstance(r, LoadFailure)]


# ---------------------------------------------------------------- NeMo

NEMO_LINES = [
    {"audio_filepath": "long.wav", "offset": 0.5, "duration": 1.0, "text": "first words"},
    {"audio_filepath": "long.wav", "offset": 1.5, "duration": 0.75, "text": "second words"},
    {"audio_filepath": "short.wav", "duration": 0.4, "text": "third words"},
    {"audio_filepath": "long.wav", "offset": "soon", "duration": 1.0, "text": "bad offset"},
    {"audio_filepath": "long.wav", "offset": 2.5, "duration": 2.0, "text": "past the end"},
]


@pytest.fixture
def nemo(tmp_path):
    """A NeMo manifest (.json, as NeMo names them) over a 3-s ramp and a 1-s ramp: two segments of one file, one
    file read from the start, a line with a bad offset (line 4) and one that runs past the end (line 5)."""
    long = _write_ramp(tmp_path / "long.wav")
    short = _write_ramp(tmp_path / "short.wav", 1.0)
    path = tmp_path / "train_manifest.json"
    path.write_text("".join(json.dumps(line) + "\n" for line in NEMO_LINES))
    return path, long, short


def test_a_nemo_manifest_reads_exactly_its_segments_with_their_texts(nemo, monkeypatch):
    path, long, short = nemo
    read_frames = []
    real_read = sf.SoundFile.read
    monkeypatch.setattr(sf.SoundFile, "read", lambda self, frames=-1, *a, **k: (
        read_frames.append(frames), real_read(self, frames, *a, **k))[1])
    m = manifest.open_manifest(path)
    assert m.kind == formats.NEMO and m.path_column == "audio_filepath" and m.transcript_column == "text"
    results = _load(path)
    clips = _clips(results)
    assert list(clips) == ["long.wav@0.5-1.5s", "long.wav@1.5-2.25s", "short.wav"]
    np.testing.assert_array_equal(clips["long.wav@0.5-1.5s"].samples, long[8_000:24_000])
    np.testing.assert_array_equal(clips["long.wav@1.5-2.25s"].samples, long[24_000:36_000])
    np.testing.assert_array_equal(clips["short.wav"].samples, short[:6_400])  # no offset: from the start
    assert sorted(read_frames) == [6_400, 12_000, 16_000]  # only the segments were decoded
    assert clips["long.wav@0.5-1.5s"].content_hash != clips["long.wav@1.5-2.25s"].content_hash
    assert manifest.transcripts(manifest.read_manifest(path)) == {  # the rows' texts, decodable or not
        "long.wav@0.5-1.5s": "first words", "long.wav@1.5-2.25s": "second words", "short.wav": "third words",
        "long.wav@2.5-4.5s": "past the end"}
    bad_offset, past_end = _failures(results)
    assert "train_manifest.json line 4" in bad_offset and "'offset'" in bad_offset and "'soon'" in bad_offset
    assert "line 5" in past_end and "2.5-4.5 s goes past the end of the file (3 s)" in past_end


@pytest.mark.parametrize("fmt, subtype", [("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")])
def test_a_segment_is_the_whole_file_decode_cut_in_every_container(fmt, subtype):
    """Compressed files too: an MP3 is decoded from its start (libsndfile's MP3 seek departs from the full decode)."""
    data = wav_bytes(sine(440, duration_s=LONG_S) * np.linspace(0, 1, int(LONG_S * RATE_HZ), dtype=np.float32),
                     subtype=subtype, fmt=fmt)
    whole = decoding.load_clip(data, name="whole").samples
    for start_s in (0.1, 1.25, 2.5):
        start = int(start_s * RATE_HZ)
        segment = decoding.load_segment(data, start_s=start_s, duration_s=0.5, name="segment").samples
        np.testing.assert_allclose(segment, whole[start:start + RATE_HZ // 2], atol=1e-6)


def test_nemo_offset_and_duration_count_as_read_columns(nemo):
    path, *_ = nemo
    (path.parent / "extra.json").write_text(json.dumps({**NEMO_LINES[0], "lang": "en"}) + "\n")
    assert manifest.open_manifest(path).unused_columns is None
    assert manifest.open_manifest(path.parent / "extra.json").unused_columns.columns == ("lang",)


def test_report_task_transcribe_scores_against_the_nemo_texts(nemo, monkeypatch):
    """`report --task transcribe` on a NeMo manifest: the references it scores against are the `text`s."""
    from audiodiag.asr import recognisers
    from audiodiag.verdict import transcribe

    path, *_ = nemo
    seen = {}

    class Seen(Exception):
        pass

    def decision(name, model, clips, refs, *args, **kwargs):
        seen.update(zip([c.name for c in clips], refs))
        raise Seen

    monkeypatch.setattr(recognisers, "load_transcriber", lambda name: type("Fake", (), {"name": "fake"})())
    monkeypatch.setattr(recognisers, "transcribe_cached", lambda model, clips, *a, **k: ["words"] * len(clips))
    monkeypatch.setattr(transcribe, "transcription_decision", decision)
    with pytest.raises(Seen):
        cli.main(["report", str(path), "--task", "transcribe"])
    assert seen == {"long.wav@0.5-1.5s": "first words", "long.wav@1.5-2.25s": "second words",
                    "short.wav": "third words"}


def test_a_streamed_run_decodes_the_same_segments(nemo):
    path, *_ = nemo
    in_memory = _clips(_load(path))
    streamed = stream.stream(manifest.read_manifest(path), [spaces.BASELINE], batch_size=2, allow_empty=True)
    assert [(c.name, c.content_hash, c.n_samples) for c in streamed.clips] == [
        (c.name, c.content_hash, len(c.samples)) for c in in_memory.values()]
    assert list(streamed.references) == ["first words", "second words", "third words"]
    assert len(streamed.failures) == 2


def test_a_nemo_manifest_on_the_server_stays_inside_the_data_root(nemo):
    path, *_ = nemo
    assert ("train_manifest.json", dataroot.MANIFEST) in [(e.name, e.kind) for e in
                                                          dataroot.list_entries(path.parent)]
    results = dataroot.load_entry(path.parent, "train_manifest.json")
    assert len(_clips(results)) == 3 and len(_failures(results)) == 2


# ---------------------------------------------------------------- Hugging Face Parquet

HF_NAMES = ["down", "up"]
HF_ROWS = [  # (path, label, speaker, text)
    ("a.wav", 0, "s1", "go down"), ("b.flac", 1, "s1", "go up"), ("c.wav", 1, "s2", "up again"),
    ("d.wav", 7, "s2", "no such label"), (None, -1, "s3", "unlabelled")]


def _hf_audio(i: int, path: str | None) -> bytes:
    fmt = "FLAC" if path and path.endswith(".flac") else "WAV"
    return wav_bytes(sine(300 + 100 * i, duration_s=0.2), fmt=fmt)


@pytest.fixture
def hf_parquet(tmp_path):
    """The hub's Parquet export: audio {bytes, path}, an int ClassLabel with its names in the metadata."""
    audio = [{"bytes": _hf_audio(i, p), "path": p} for i, (p, *_) in enumerate(HF_ROWS)]
    table = pa.table({
        "audio": pa.array(audio, pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        "label": pa.array([r[1] for r in HF_ROWS], pa.int64()),
        "speaker_id": [r[2] for r in HF_ROWS], "text": [r[3] for r in HF_ROWS]})
    features = {"audio": {"sampling_rate": RATE_HZ, "_type": "Audio"},
                "label": {"names": HF_NAMES, "_type": "ClassLabel"},
                "speaker_id": {"dtype": "string", "_type": "Value"}, "text": {"dtype": "string", "_type": "Value"}}
    table = table.replace_schema_metadata({formats.HF_METADATA_KEY: json.dumps({"info": {"features": features}})})
    path = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(table, path)
    return path, audio


def test_a_hugging_face_parquet_export_loads_from_its_bytes_with_named_labels(hf_parquet):
    path, audio = hf_parquet
    m = manifest.open_manifest(path)
    assert (m.kind, m.path_column, m.label_column, m.label_names, m.group_column, m.transcript_column) == (
        formats.HF_PARQUET, "audio", "label", ("down", "up"), "speaker_id", "text")
    results = _load(path)
    clips = _clips(results)
    assert [(c.name, c.label, c.group, c.content_hash, c.container) for c in clips.values()] == [
        ("a.wav", "down", "s1", decoding.content_hash(audio[0]["bytes"]), "WAV"),
        ("b.flac", "up", "s1", decoding.content_hash(audio[1]["bytes"]), "FLAC"),
        ("c.wav", "up", "s2", decoding.content_hash(audio[2]["bytes"]), "WAV"),
        (f"{path.name} row 5", None, "s3", decoding.content_hash(audio[4]["bytes"]), "WAV")]  # -1: no label
    (bad,) = _failures(results)
    assert f"{path.name} row 4" in bad and "'label' is 7, outside its 2 ClassLabel names" in bad
    assert manifest.transcripts(manifest.read_manifest(path))["b.flac"] == "go up"


def test_hugging_face_rows_are_read_a_batch_at_a_time(hf_parquet, monkeypatch):
    path, _ = hf_parquet
    batches = []
    real = pq.ParquetFile.iter_batches

    def counted(self, *args, **kwargs):
        for batch in real(self, *args, **kwargs):
            batches.append((kwargs.get("batch_size"), batch.num_rows))
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", counted)
    monkeypatch.setattr(manifest, "PARQUET_AUDIO_BATCH_ROWS", 2)
    rows = manifest.read_manifest(path)
    next(rows)
    assert batches == [(2, 2)]  # one row asked for: one batch of two read
    assert len(list(rows)) == 4 and batches == [(2, 2), (2, 2), (2, 1)]


def test_audio_named_by_path_only_is_read_from_the_file(tmp_path):
    (tmp_path / "x.wav").write_bytes(wav_bytes(noise(duration_s=0.2)))
    table = pa.table({"audio": pa.array([{"bytes": None, "path": "x.wav"}, {"bytes": None, "path": None}],
                                        pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                      "category": ["rain", "wind"]})
    pq.write_table(table, tmp_path / "data.parquet")  # no `huggingface` metadata: found by the struct's content
    results = _load(tmp_path / "data.parquet")
    assert [(c.name, c.label) for c in _clips(results).values()] == [("x.wav", None)]
    assert "data.parquet row 2: no audio (column 'audio' holds neither bytes nor a path)" in _failures(results)[0]


# ---------------------------------------------------------------- Lhotse

def _cut(cut_id: str, recording: dict, *, start: float, duration: float, channel: int = 0,
         supervisions=(), kind: str = "MonoCut") -> dict:
    """A cut as lhotse's MonoCut.to_dict writes it (None fields left out)."""
    return {"id": cut_id, "start": start, "duration": duration, "channel": channel,
            "supervisions": list(supervisions), "recording": recording, "type": kind}


def _recording(rec_id: str, source: str, seconds: float, channels: int = 1) -> dict:
    return {"id": rec_id, "sources": [{"type": "file", "channels": list(range(channels)), "source": source}],
            "sampling_rate": RATE_HZ, "num_samples": int(seconds * RATE_HZ), "duration": seconds,
            "channel_ids": list(range(channels))}


def _supervision(sup_id: str, rec_id: str, *, start: float, duration: float, text: str, speaker: str) -> dict:
    return {"id": sup_id, "recording_id": rec_id, "start": start, "duration": duration, "channel": 0,
            "text": text, "language": "English", "speaker": speaker}


@pytest.fixture
def lhotse(tmp_path):
    mono = _write_ramp(tmp_path / "rec1.wav")
    stereo = _write_ramp(tmp_path / "rec2.wav", 1.0, channels=2)
    rec1, rec2 = _recording("rec1", "rec1.wav", LONG_S), _recording("rec2", str(tmp_path / "rec2.wav"), 1.0, 2)
    lines = [
        json.dumps(_cut("cut-1", rec1, start=0.5, duration=1.5, supervisions=[  # listed out of time order
            _supervision("s2", "rec1", start=0.8, duration=0.7, text="world", speaker="ann"),
            _supervision("s1", "rec1", start=0.0, duration=0.7, text="hello", speaker="ann")])),
        json.dumps(_cut("cut-2", rec2, start=0.25, duration=0.5, channel=1, supervisions=[
            _supervision("s3", "rec2", start=0.0, duration=0.5, text="yes", speaker="bob"),
            _supervision("s4", "rec2", start=0.25, duration=0.25, text="no", speaker="cy")])),
        json.dumps({**_cut("mix", rec1, start=0.0, duration=1.0), "type": "MixedCut"}),
        "{not json",
    ]
    path = tmp_path / "cuts.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path, mono, stereo


def test_lhotse_cuts_give_segments_groups_and_references(lhotse):
    path, mono, stereo = lhotse
    m = manifest.open_manifest(path)
    assert m.kind == formats.LHOTSE and m.group_column == "supervisions.speaker"
    results = _load(path)
    clips = _clips(results)
    assert [(c.name, c.group) for c in clips.values()] == [("cut-1", "ann"), ("cut-2", "bob+cy")]
    np.testing.assert_array_equal(clips["cut-1"].samples, mono[8_000:32_000])
    np.testing.assert_array_equal(clips["cut-2"].samples, stereo[4_000:12_000, 1])  # the cut's channel alone
    assert manifest.transcripts(manifest.read_manifest(path)) == {"cut-1": "hello world", "cut-2": "yes no"}
    mixed, not_json = _failures(results)
    assert "cuts.jsonl.gz line 3: a Lhotse MixedCut" in mixed and "CutSet.save_audios" in mixed
    assert "cuts.jsonl.gz line 4: not a JSON object" in not_json
    assert all(r.group is None for r in manifest.read_manifest(path, group_by=tables.NO_GROUPS)
               if not isinstance(r, LoadFailure))


# ---------------------------------------------------------------- recognised by content, or a clear error

def test_formats_are_recognised_by_content_not_by_name(nemo, lhotse, tmp_path):
    (tmp_path / "nemo.jsonl").write_text((nemo[0]).read_text())  # NeMo under another ending
    assert manifest.open_manifest(tmp_path / "nemo.jsonl").kind == formats.NEMO
    (tmp_path / "cuts.jsonl").write_bytes(gzip.decompress(lhotse[0].read_bytes()))  # cuts, not compressed
    assert manifest.open_manifest(tmp_path / "cuts.jsonl").kind == formats.LHOTSE
    (tmp_path / "table.json").write_text(json.dumps({"path": "long.wav", "label": "ramp"}) + "\n")
    assert manifest.open_manifest(tmp_path / "table.json").kind == formats.TABLE


def test_a_file_that_is_none_of_them_names_what_was_expected(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model": "tiny", "lr": 0.1}) + "\n")
    with pytest.raises(ManifestError, match=r"has columns model, lr; expected a column 'path'.*a NeMo manifest "
                                            r"\(JSON lines with 'audio_filepath'.*Hugging Face Parquet export.*"
                                            r"Lhotse cuts"):
        manifest.open_manifest(tmp_path / "config.json")
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ManifestError, match="must be gzip-compressed"):
        manifest.open_manifest(tmp_path / "broken.jsonl.gz")


# ---------------------------------------------------------------- the dashboard

def test_the_sidebar_loads_nemo_and_hugging_face_manifests_from_the_data_root(nemo, hf_parquet, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_dataroot import APP, TIMEOUT_S

    root = nemo[0].parent
    monkeypatch.setenv(dataroot.DATA_ROOT_ENV, str(root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    at.sidebar.radio(key="source").set_value("Server folder").run()
    picker = at.sidebar.selectbox(key="server_entry")
    assert {"train_manifest.json (manifest)", "train-00000-of-00001.parquet (manifest)"} <= set(picker.options)
    picker.set_value("train-00000-of-00001.parquet").run()
    assert not at.exception, [e.value for e in at.exception]
    problems, table = (next(f.value for f in at.dataframe if column in f.value) for column in ("problem", "group"))
    assert "row 4: 'label' is 7, outside its 2 ClassLabel names" in problems["problem"][0]
    assert list(table["file"]) == ["a.wav", "b.flac", "c.wav", "train-00000-of-00001.parquet row 5"]
    assert list(table["group"]) == ["s1", "s1", "s2", "s3"]
    assert any("column 'speaker_id'" in c.value.replace("\\", "") for c in at.sidebar.caption)
    at.sidebar.selectbox(key="server_entry").set_value("train_manifest.json").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(f.value for f in at.dataframe if "file" in f.value and "problem" not in f.value)
    assert list(table["file"]) == ["long.wav@0.5-1.5s", "long.wav@1.5-2.25s", "short.wav"]
