"""Streaming `report --out-dir`: the same note as the in-memory run, a run folder that round-trips, reuse."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from audiodiag import caches, cli
from audiodiag.data import decoding, layout, manifest, sample_sets
from audiodiag.measure import dataset
from audiodiag.represent import embedding_cache, encoders, features, spaces
from audiodiag.runs import run_folder, stream
from audiodiag.settings import ComparisonSettings
from audiodiag.types import Clip, ClipInfo
from audiodiag.verdict import decide
from tests.helpers import noise, sine, wav_bytes

TIMING = re.compile(r"\d+(\.\d+)? ms|unknown time")


def _without_timings(note_json: str) -> dict:
    """A note's JSON with extraction timings dropped (they are wall-clock measurements, never equal twice)."""
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if "seconds" not in k}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return TIMING.sub("<time>", o) if isinstance(o, str) else o
    return strip(json.loads(note_json))


def _folder(root, n_per_class: int = 6, *, broken: bool = False):
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.5)),
                        ("noise", lambda i: noise(duration_s=0.5, seed=i))):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            (root / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    if broken:
        (root / "tone" / "broken.wav").write_bytes(b"not audio")
    return root


def test_streamed_note_equals_the_in_memory_note_on_a_small_folder(tmp_path):
    folder = _folder(tmp_path / "data", n_per_class=5)
    clips = [c for c in layout.load_folder(folder) if isinstance(c, Clip)]
    in_memory = decide.run_classification(clips, ComparisonSettings(encoders=(), n_splits=2), dataset_name="data").note
    streamed = stream.classify_stream(layout.iter_folder(folder), ComparisonSettings(encoders=(), n_splits=2),
                                      dataset_name="data", batch_size=3)
    assert _without_timings(streamed.decision.note.to_json()) == _without_timings(in_memory.to_json())


@pytest.mark.parametrize("n_workers", [1, 2])
def test_a_streamed_run_computes_the_baseline_with_the_features_asked_for(tmp_path, n_workers):
    """Non-default baseline features stream too (in this process and in worker processes): the same note as in
    memory, and a rerun with other features recomputes the baseline instead of reusing the run folder's."""
    from audiodiag.runs import workers

    folder = _folder(tmp_path / "data", n_per_class=5)
    clips = [c for c in layout.load_folder(folder) if isinstance(c, Clip)]
    chosen = ComparisonSettings(encoders=(), n_splits=2, features=features.FeatureSettings(n_mels=32, n_mfcc=13))
    in_memory = decide.run_classification(clips, chosen, dataset_name="data").note
    streamed = stream.classify_stream(layout.iter_folder(folder), chosen, dataset_name="data", batch_size=3,
                                      engine=workers.engine(n_workers))
    assert _without_timings(streamed.decision.note.to_json()) == _without_timings(in_memory.to_json())
    assert streamed.streamed.vectors[0].vectors.shape[1] != stream.classify_stream(
        layout.iter_folder(folder), ComparisonSettings(encoders=(), n_splits=2), dataset_name="data",
        batch_size=3).streamed.vectors[0].vectors.shape[1]  # the default analysis has more coefficients


@pytest.mark.slow
def test_streamed_note_equals_the_in_memory_note_on_spoken_digits():
    folder = sample_sets.sample_set_dir("spoken_digits")
    clips = [c for c in layout.load_folder(folder) if isinstance(c, Clip)]
    in_memory = decide.run_classification(clips, ComparisonSettings(encoders=(), n_splits=3),
                                         dataset_name="spoken_digits").note
    streamed = stream.classify_stream(layout.iter_folder(folder), ComparisonSettings(encoders=(), n_splits=3),
                                      dataset_name="spoken_digits")
    assert len(streamed.streamed.clips) == len(clips) and streamed.streamed.n_decoded == len(clips)
    assert _without_timings(streamed.decision.note.to_json()) == _without_timings(in_memory.to_json())


def test_clip_info_reads_like_the_clip_it_came_from():
    clip = decoding.load_clip(wav_bytes(sine(440, duration_s=0.37)), name="a.wav", label="x", group="g")
    info = ClipInfo.of(clip, audio_hash="h")
    assert info.duration_s == clip.duration_s and (info.name, info.label, info.group) == ("a.wav", "x", "g")
    assert (info.original_sample_rate_hz, info.original_channels, info.content_hash) == (
        clip.original_sample_rate_hz, clip.original_channels, clip.content_hash)


def test_run_folder_files_round_trip(tmp_path):
    data, run = _folder(tmp_path / "data", broken=True), tmp_path / "run"
    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "3", "--out-dir", str(run),
                     "--out", str(tmp_path / "note.md")]) == 0
    for name in ("run.json", "clips.parquet", "folds.json", "note.md", "note.json", "note.html"):
        assert (run / name).is_file(), name
    meta = json.loads((run / "run.json").read_text())
    assert meta["command"].startswith("python -m audiodiag report ") and "--out-dir" in meta["command"]
    assert meta["counts"]["clips"] == 12 and meta["counts"]["not_used"] == 1 and meta["versions"]["numpy"]
    rows = run_folder.read_clips(run)
    assert len(rows) == 12 and {r["label"] for r in rows} == {"tone", "noise"}
    assert all(r["duration_s"] == pytest.approx(0.5) and r["speech_fraction"] is not None for r in rows)
    vectors, hashes = run_folder.read_vectors(run, spaces.BASELINE)
    assert vectors.shape == (12, meta["spaces"][0]["dim"]) and vectors.dtype == np.float32
    assert hashes == [r["content_hash"] for r in rows]
    folds = json.loads((run / "folds.json").read_text())
    assert folds["fold_of_clip"] == [r["fold"] for r in rows] and folds["n_splits"] == 3
    note = (run / "note.md").read_text()
    assert note == (tmp_path / "note.md").read_text()
    assert "## Inputs not used (1)" in note and "tone/broken.wav" in note
    assert "inputs_not_used" in json.loads((run / "note.json").read_text())["data"]


def test_a_bad_manifest_row_and_a_broken_file_are_inputs_not_used(tmp_path):
    data = _folder(tmp_path / "data", n_per_class=4, broken=True)
    lines = ["path,label"] + [f"{p.parent.name}/{p.name},{p.parent.name}" for p in sorted(data.rglob("*.wav"))]
    (data / "train.csv").write_text("\n".join(lines + [",tone"]) + "\n")
    result = stream.classify_stream(manifest.read_manifest(data / "train.csv"),
                                    ComparisonSettings(encoders=(), n_splits=2))
    named = [f.message for f in result.streamed.failures]
    assert len(result.streamed.clips) == 8 and len(named) == 2
    assert any("tone/broken.wav" in m for m in named) and any("train.csv line 11" in m and "no path" in m
                                                               for m in named)


def test_a_rerun_reuses_the_run_folder_without_measuring_or_embedding(tmp_path, monkeypatch):
    data, run = _folder(tmp_path / "data", n_per_class=4), tmp_path / "run"
    monkeypatch.setenv(caches.CACHE_DIR_ENV, str(tmp_path / "cache"))
    calls = {"measure": 0, "embed": 0, "features": 0}

    def counting(name, fn):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(dataset, "measure", counting("measure", dataset.measure))
    monkeypatch.setattr(embedding_cache, "cached_embed", counting("embed", embedding_cache.cached_embed))
    monkeypatch.setattr(spaces, "spectral_features", counting("features", spaces.spectral_features))
    argv = ["report", str(data), "--encoder", encoders.SPEECH_EMBEDDING, "--folds", "2", "--out-dir", str(run)]
    assert cli.main(argv) == 0
    assert calls["measure"] and calls["embed"] and calls["features"]
    first = (run / "note.json").read_text()
    calls.update(measure=0, embed=0, features=0)
    assert cli.main(argv) == 0
    assert calls == {"measure": 0, "embed": 0, "features": 0}
    assert json.loads((run / "run.json").read_text())["counts"]["decoded_this_run"] == 0
    assert (run / "note.json").read_text() == first


@pytest.mark.parametrize("changed", [["--pad-s", "0.25"], ["--baseline-features", "16000,32,13,512,160"]])
def test_a_changed_setting_recomputes_only_what_it_changes(tmp_path, monkeypatch, changed):
    data, run = _folder(tmp_path / "data", n_per_class=3), tmp_path / "run"
    base = ["report", str(data), "--encoder", spaces.BASELINE, "--folds", "2", "--out-dir", str(run)]
    assert cli.main(base) == 0
    calls = []
    monkeypatch.setattr(spaces, "spectral_features",
                        lambda clips, **kw: calls.append(len(clips)) or features.spectral_features(clips, **kw))
    assert cli.main(base) == 0 and calls == []  # the same settings: reused
    assert cli.main(base + changed) == 0  # padding or the baseline's analysis changes the vectors: recomputed
    assert sum(calls) == 6


def test_the_batch_step_never_holds_more_than_batch_size_decoded_clips(monkeypatch):
    sizes = []
    measure = dataset.measure
    monkeypatch.setattr(dataset, "measure", lambda clips, **kw: sizes.append(len(clips)) or measure(clips, **kw))
    live = {"now": 0, "max": 0}
    load_clip = decoding.load_clip

    def counted_load(*args, **kwargs):
        clip = load_clip(*args, **kwargs)
        live["now"] += 1
        live["max"] = max(live["max"], live["now"])
        return clip

    def measured(clips, **kw):
        sizes.append(len(clips))
        out = measure(clips, **kw)
        live["now"] -= len(clips)
        return out

    monkeypatch.setattr(decoding, "load_clip", counted_load)
    monkeypatch.setattr(dataset, "measure", measured)
    folder = sample_sets.sample_set_dir("spoken_digits")
    streamed = stream.stream(layout.iter_folder(folder), [spaces.BASELINE], batch_size=16)
    assert len(streamed.clips) == 120 and streamed.vectors[0].vectors.shape[0] == 120
    assert max(sizes) <= 16 and sum(sizes) == 120 and live["max"] <= 16


def test_engine_ray_without_a_run_folder_is_a_usage_error(capsys):
    assert cli.main(["report", "sounds", "--engine", "ray"]) == 2
    assert "--out-dir" in capsys.readouterr().err


@pytest.mark.slow  # Whisper on the bundled utterances, twice
@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_streamed_transcription_run_gives_the_in_memory_note(tmp_path, engine):
    data = sample_sets.sample_set_dir("utterances")
    in_memory = tmp_path / "in_memory.json"
    assert cli.main(["report", str(data), "--task", "transcribe", "--json", str(in_memory),
                     "--out", str(tmp_path / "a.md")]) == 0
    run = tmp_path / "run"
    argv = ["report", str(data), "--task", "transcribe", "--out-dir", str(run), "--batch-size", "4",
            "--json", str(tmp_path / "streamed.json"), "--out", str(tmp_path / "b.md")]
    if engine == "ray":
        pytest.importorskip("ray")
        argv += ["--engine", "ray", "--ray-cpus", "2"]
    try:
        assert cli.main(argv) == 0
    finally:
        if engine == "ray":
            from audiodiag.runs import ray_engine
            ray_engine.shutdown()
    assert _without_timings((tmp_path / "streamed.json").read_text()) == _without_timings(in_memory.read_text())
    rows = run_folder.read_clips(run)
    meta = json.loads((run / "run.json").read_text())
    assert meta["task"] == "transcribe" and not (run / "folds.json").exists() and not list((run / "vectors").iterdir())
    assert len(rows) == meta["counts"]["clips"] and all(r["transcript"] is not None for r in rows)
    assert sum(r["reference"] is not None for r in rows) >= len(rows) - 1


def test_retrieve_does_not_stream(capsys, tmp_path):
    assert cli.main(["report", "sounds", "--task", "retrieve", "--out-dir", str(tmp_path / "run")]) == 2
    assert "--task retrieve without --out-dir" in capsys.readouterr().err
