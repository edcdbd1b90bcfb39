"""Manifests (CSV, JSONL, Parquet; local, file://, memory://) and folders as lazy row streams, loaded in batches."""
from __future__ import annotations

import csv
import itertools
import json
import tracemalloc
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audiodiag import cli
from audiodiag.data import decoding, layout, manifest, sources, tables
from audiodiag.data.manifest import ManifestError
from audiodiag.data.rows import ManifestRow
from audiodiag.types import Clip, LoadFailure
from tests.helpers import noise, sine, wav_bytes

# 6 clips: 2 classes x 3, three speakers, a transcript each
CLIPS = [(f"{label}/{i}.wav", label, f"spk{i}", f"{label} number {i}") for label in ("tone", "hiss") for i in range(3)]
COLUMNS = ("path", "label", "speaker", "transcript")


def _audio(path: str) -> bytes:
    i = int(path[-5])
    return wav_bytes(sine(300 + 100 * i, duration_s=0.2)) if path.startswith("tone") else wav_bytes(
        noise(duration_s=0.2, seed=i))


def _write_manifest(folder, fmt: str, rows=CLIPS, name: str = "train") -> str:
    path = folder / f"{name}.{fmt}"
    if fmt == "csv":
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            w.writerows(rows)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(dict(zip(COLUMNS, r))) + "\n" for r in rows))
    else:
        pq.write_table(pa.table({c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)}), path)
    return str(path)


@pytest.fixture
def dataset(tmp_path):
    for rel, *_ in CLIPS:
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(_audio(rel))
    return tmp_path


def _summary(results) -> list[tuple]:
    return sorted((r.name, r.label, r.group, r.content_hash) for r in results if isinstance(r, Clip))


def _load(url) -> list[Clip | LoadFailure]:
    return [r for batch in manifest.iter_batches(manifest.read_manifest(url), 4) for r in manifest.load_rows(batch)]


def test_csv_jsonl_and_parquet_give_the_same_clips(dataset):
    loaded = {fmt: _load(_write_manifest(dataset, fmt)) for fmt in ("csv", "jsonl", "parquet")}
    expected = sorted((rel, label, group, decoding.content_hash(_audio(rel))) for rel, label, group, _ in CLIPS)
    for fmt, results in loaded.items():
        assert all(isinstance(r, Clip) for r in results), (fmt, results)
        assert _summary(results) == expected, fmt


def test_group_column_is_recognised_as_in_the_app_and_can_be_named_or_dropped(dataset):
    url = _write_manifest(dataset, "csv")
    assert manifest.open_manifest(url).group_column == "speaker"
    assert manifest.open_manifest(url, group_by=tables.NO_GROUPS).group_column is None
    assert all(r.group is None for r in manifest.read_manifest(url, group_by=tables.NO_GROUPS))
    with pytest.raises(ManifestError, match="no column 'session'.*path, label, speaker, transcript"):
        manifest.open_manifest(url, group_by="session")


def test_transcripts_and_file_name_column(dataset):
    (dataset / "metadata.jsonl").write_text(json.dumps({"file_name": "tone/0.wav", "label": "tone",
                                                        "reference": "tone number 0"}) + "\n")
    (row,) = manifest.read_manifest(dataset / "metadata.jsonl")
    assert row == ManifestRow(str(dataset / "tone" / "0.wav"), "tone/0.wav", "tone", None, "tone number 0", 1,
                              "metadata.jsonl")
    assert manifest.transcripts(manifest.read_manifest(_write_manifest(dataset, "parquet")))["hiss/2.wav"] == \
        "hiss number 2"


def test_jsonl_keys_missing_from_the_first_object_still_count(dataset):
    (dataset / "m.jsonl").write_text('{"path": "tone/0.wav"}\n{"path": "tone/1.wav", "label": "tone", '
                                     '"transcript": "hi"}\n')
    rows = list(manifest.read_manifest(dataset / "m.jsonl"))
    assert [(r.label, r.transcript) for r in rows] == [(None, None), ("tone", "hi")]


def test_relative_paths_resolve_against_the_manifests_folder_not_the_working_directory(dataset, tmp_path_factory,
                                                                                      monkeypatch):
    lists = dataset / "lists"
    lists.mkdir()
    url = _write_manifest(lists, "csv", [(f"../{rel}", *rest) for rel, *rest in CLIPS])
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    rows = list(manifest.read_manifest(url))
    assert rows[0].source == str(dataset / "tone" / "0.wav") and rows[0].name == "../tone/0.wav"
    assert sum(isinstance(r, Clip) for r in _load(url)) == 6


def test_file_url_manifest(dataset):
    url = "file://" + _write_manifest(dataset, "jsonl")
    assert _summary(_load(url)) == _summary(_load(_write_manifest(dataset, "csv")))


def test_memory_filesystem_manifest_and_audio():
    fs = fsspec.filesystem("memory")
    base = f"/audiodiag-test-{uuid.uuid4().hex}"
    try:
        for rel, *_ in CLIPS:
            fs.pipe(f"{base}/audio/{rel}", _audio(rel))
        lines = ["path,label,speaker"] + [f"audio/{rel},{label},{spk}" for rel, label, spk, _ in CLIPS]
        lines.append(f"memory://{base}/audio/tone/1.wav,tone,spk9")  # a full URL works too
        fs.pipe(f"{base}/train.csv", "\n".join(lines).encode())
        results = _load(f"memory://{base}/train.csv")
        assert [r.name for r in results][:2] == ["audio/tone/0.wav", "audio/tone/1.wav"]
        assert all(isinstance(r, Clip) for r in results) and len(results) == 7
        assert results[0].content_hash == decoding.content_hash(_audio("tone/0.wav")) and results[-1].group == "spk9"
    finally:
        fs.rm(base, recursive=True)


def test_missing_file_is_a_load_failure_naming_the_file_and_line(dataset):
    url = _write_manifest(dataset, "csv", [*CLIPS[:2], ("tone/missing.wav", "tone", "spk1", ""), *CLIPS[2:]])
    results = _load(url)
    failures = [r for r in results if isinstance(r, LoadFailure)]
    assert len(results) == 7 and len(failures) == 1  # the rows after it still load
    assert failures[0].name == "tone/missing.wav"
    assert "train.csv line 4" in failures[0].message and "no such file" in failures[0].message


def test_undecodable_file_is_a_load_failure_naming_the_line(dataset):
    (dataset / "tone" / "bad.wav").write_bytes(b"RIFF not really audio")
    results = _load(_write_manifest(dataset, "parquet", [("tone/bad.wav", "tone", "s", "")]))
    assert isinstance(results[0], LoadFailure) and "train.parquet row 1" in results[0].message
    assert "not a readable audio file" in results[0].message


def test_bad_rows_become_problems_and_the_rest_still_streams(dataset):
    (dataset / "m.jsonl").write_text('{"path": "tone/0.wav", "label": "tone"}\n'
                                     '{"path": "tone/1.wav", "label": \n'
                                     '["not", "an", "object"]\n'
                                     '{"label": "tone"}\n'
                                     '\n'
                                     '{"path": "tone/2.wav", "label": "tone"}\n')
    rows = list(manifest.read_manifest(dataset / "m.jsonl"))
    assert [r.line for r in rows if isinstance(r, ManifestRow)] == [1, 6]
    problems = {r.name: r.message for r in rows if isinstance(r, LoadFailure)}
    assert set(problems) == {"m.jsonl line 2", "m.jsonl line 3", "m.jsonl line 4"}
    assert "not a JSON object" in problems["m.jsonl line 2"] and "tone/1.wav" in problems["m.jsonl line 2"]
    assert "no path" in problems["m.jsonl line 4"] and "delete the line" in problems["m.jsonl line 4"]


def test_csv_line_that_is_not_utf8_is_a_problem_not_an_exception(dataset):
    (dataset / "m.csv").write_bytes(b"path,label\ntone/0.wav,tone\ntone/1.wav,t\xe9ne\n,tone\ntone/2.wav,tone\n")
    rows = list(manifest.read_manifest(dataset / "m.csv"))
    assert [r.line for r in rows if isinstance(r, ManifestRow)] == [2, 5]
    problems = [r.message for r in rows if isinstance(r, LoadFailure)]
    assert "m.csv line 3: not UTF-8 text" in problems[0] and "save the manifest as UTF-8" in problems[0]
    assert "m.csv line 4: no path" in problems[1]


def test_csv_line_with_more_values_than_columns_is_a_problem_not_a_silent_drop(dataset):
    """An unquoted comma in a label makes one value too many: zipped with the header, the last would be lost."""
    (dataset / "m.csv").write_text("path,label\ntone/0.wav,tone\ntone/1.wav,tone, loud\ntone/2.wav\n")
    rows = list(manifest.read_manifest(dataset / "m.csv"))
    problems = [r.message for r in rows if isinstance(r, LoadFailure)]
    assert len(problems) == 1 and "m.csv line 3: 3 values but the header names 2 columns" in problems[0]
    assert "quote values that contain a comma" in problems[0]
    short = [r for r in rows if isinstance(r, ManifestRow) and r.line == 4]
    assert len(short) == 1 and short[0].label is None  # a short line: its last columns empty


def test_manifest_without_a_path_column_names_the_columns(dataset):
    for fmt in ("csv", "jsonl", "parquet"):
        url = dataset / f"bad.{fmt}"
        if fmt == "parquet":
            pq.write_table(pa.table({"audio": ["a.wav"], "label": ["x"]}), url)
        else:
            url.write_text("audio,label\na.wav,x\n" if fmt == "csv" else '{"audio": "a.wav", "label": "x"}\n')
        with pytest.raises(ManifestError, match=r"has columns audio, label; expected a column 'path'"):
            manifest.open_manifest(url)


def test_missing_or_unknown_manifest_is_one_clear_error(tmp_path):
    with pytest.raises(ManifestError, match="no such manifest"):
        manifest.open_manifest(tmp_path / "nope.csv")
    with pytest.raises(ManifestError, match="not a manifest"):
        manifest.open_manifest(tmp_path / "list.txt")
    (tmp_path / "fake.parquet").write_text("path,label\n")
    with pytest.raises(ManifestError, match="not a readable Parquet file"):
        manifest.open_manifest(tmp_path / "fake.parquet")


def test_iter_batches_pulls_only_what_each_batch_needs():
    pulled = []

    def rows():
        for i in range(1_000_000):
            pulled.append(i)
            yield i

    batches = manifest.iter_batches(rows(), 100)
    assert next(batches) == list(range(100)) and len(pulled) == 100
    assert next(batches)[0] == 100 and len(pulled) == 200
    with pytest.raises(ValueError, match="at least 1"):
        next(manifest.iter_batches([], 0))


def test_100k_row_manifest_streams_without_reading_it_whole(tmp_path):
    url = tmp_path / "big.csv"
    with open(url, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "speaker", "transcript"])
        w.writerows((f"class{i % 10}/clip_{i:06d}.wav", f"class{i % 10}", f"spk{i % 97}", "a few words said here")
                    for i in range(100_000))

    def peak_bytes(work) -> int:
        tracemalloc.start()
        try:
            work()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    got: list = []
    first_batch = peak_bytes(lambda: got.append(next(manifest.iter_batches(manifest.read_manifest(url), 64))))
    held = peak_bytes(lambda: got.append(list(itertools.islice(manifest.read_manifest(url), 10_000))))
    assert len(got[0]) == 64 and got[0][-1].line == 65 and len(got[1]) == 10_000
    file_size = url.stat().st_size
    assert file_size > 5_000_000 and held > 3_000_000  # the file, and a tenth of its rows held at once: MBs
    assert first_batch < min(file_size, held) / 10, (first_batch, held, file_size)  # the first batch: a few rows
    assert sum(1 for _ in manifest.read_manifest(url)) == 100_000  # and the stream goes on to the end


def test_folder_rows_follow_load_folders_rules(dataset):
    (dataset / "groups.csv").write_text("path,speaker\ntone/0.wav,s0\nhiss/1.wav,s1\ngone.wav,s2\n")
    (dataset / ".hidden").mkdir()
    (dataset / ".hidden" / "x.wav").write_bytes(_audio("tone/0.wav"))
    (dataset / "notes.txt").write_text("not audio")
    rows = list(layout.iter_folder(dataset))
    assert isinstance(rows[-1], LoadFailure) and "gone.wav" in rows[-1].message  # the table row naming no file
    streamed = [r for batch in manifest.iter_batches(rows[:-1], 4) for r in manifest.load_rows(batch)]
    assert _summary(streamed) == _summary(layout.load_folder(dataset))
    assert {c.name: c.group for c in streamed}["tone/0.wav"] == "s0"


def test_empty_folder_is_one_failure_row(tmp_path):
    (rows,) = [list(layout.iter_folder(tmp_path))]
    assert len(rows) == 1 and "holds no audio files" in rows[0].message


def test_a_folder_without_audio_is_the_same_failure_streamed_and_loaded(tmp_path):
    """One tree walk (layout.TreeWalk) for both: the same row, naming what the folder holds instead."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("no audio here")
    (tmp_path / "labels.csv").write_text("path,label\na.wav,x\n")
    (streamed,), (loaded,) = list(layout.iter_folder(tmp_path)), layout.load_folder(tmp_path)
    assert streamed == loaded and "it holds 1 other file(s), e.g. 'docs/readme.txt'" in loaded.message


def test_cli_reads_manifests(dataset):
    name, clips, failures = sources.load(_write_manifest(dataset, "jsonl"))
    assert name == "train.jsonl" and len(clips) == 6 and failures == []
    assert {c.group for c in clips} == {"spk0", "spk1", "spk2"}
    assert sources.load(_write_manifest(dataset, "csv"), group_by=tables.NO_GROUPS)[1][0].group is None


def test_cli_says_the_manifests_group_column_and_refuses_a_missing_manifest(dataset, capsys):
    url = _write_manifest(dataset, "parquet")
    cli.say_groups(url, None, sources.load(url)[1], no_groups=False)
    assert "groups: column 'speaker' of train.parquet (3 groups)" in capsys.readouterr().err
    assert cli.main(["report", str(dataset / "nope.csv")]) == cli.EXIT_USER_ERROR
    assert "nope.csv: no such manifest" in capsys.readouterr().err
