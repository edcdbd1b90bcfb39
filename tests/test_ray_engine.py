"""`report --engine ray`: on a local Ray instance (2 CPUs) the run folder equals the local engine's."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from audiodiag import caches, cli
from audiodiag.represent import encoders, spaces
from audiodiag.runs import run_folder
from tests.helpers import noise, sine, wav_bytes

ray = pytest.importorskip("ray", reason="Ray Data is pinned in requirements.txt; install it to run these tests")
pytestmark = pytest.mark.slow  # starting Ray takes seconds

SPACES = (spaces.BASELINE, encoders.SPEECH_EMBEDDING)
TOLERANCE = 1e-5  # encoders: ONNX Runtime / torch threads may add float32 sums in another order in a Ray worker


@pytest.fixture(scope="module")
def local_ray():
    from audiodiag.runs import ray_engine

    yield
    ray_engine.shutdown()


def _data(root):
    for label, make in (("tone", lambda i: sine(300 + 40 * i, duration_s=0.6)),
                        ("noise", lambda i: noise(duration_s=0.6, seed=i))):
        (root / label).mkdir(parents=True)
        for i in range(7):
            (root / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    (root / "tone" / "broken.wav").write_bytes(b"RIFF not really")
    (root / "noise" / "tone0.wav").write_bytes((root / "tone" / "tone0.wav").read_bytes())  # an exact duplicate
    return root


def _run(tmp_path, data, name: str, *extra: str) -> tuple:
    run = tmp_path / name
    argv = ["report", str(data), "--folds", "3", "--batch-size", "5", "--out-dir", str(run),
            "--out", str(tmp_path / f"{name}.md"), *[a for s in SPACES[1:] for a in ("--encoder", s)], *extra]
    assert cli.main(argv) == 0
    return run, json.loads((run / "run.json").read_text())


def _note(run) -> str:
    return re.sub(r"\d+(\.\d+)? ms|unknown time", "<time>", (run / "note.md").read_text())


def test_the_ray_run_folder_equals_the_local_one(tmp_path, monkeypatch, local_ray):
    data = _data(tmp_path / "data")
    # separate embedding caches: each engine computes its vectors (a shared cache would hand Ray the local ones)
    monkeypatch.setenv(caches.CACHE_DIR_ENV, str(tmp_path / "cache-local"))
    local, local_meta = _run(tmp_path, data, "local")
    monkeypatch.setenv(caches.CACHE_DIR_ENV, str(tmp_path / "cache-ray"))
    on_ray, ray_meta = _run(tmp_path, data, "ray", "--engine", "ray", "--ray-cpus", "2")
    assert ray_meta["settings"]["engine"] == "ray" and ray_meta["counts"] == local_meta["counts"]
    assert ray_meta["counts"]["clips"] == 15 and ray_meta["not_used"] == local_meta["not_used"]
    assert len(ray_meta["not_used"]) == 1 and "broken.wav" in ray_meta["not_used"][0]
    # 14 distinct files (the duplicate shares a row): the actors embedded them, into their own cache
    assert len(list((tmp_path / "cache-ray").rglob("*.npy"))) == 14
    local_rows, ray_rows = run_folder.read_clips(local), run_folder.read_clips(on_ray)
    assert ray_rows == local_rows  # names, hashes, every measurement, VAD regions, findings and folds
    assert {r["name"] for r in ray_rows} >= {"tone/tone0.wav", "noise/tone0.wav"}
    for space in SPACES:
        a, hashes_a = run_folder.read_vectors(local, space)
        b, hashes_b = run_folder.read_vectors(on_ray, space)
        assert hashes_a == hashes_b and a.shape == b.shape
        assert np.abs(a - b).max() <= (0.0 if space == spaces.BASELINE else TOLERANCE), space  # baseline: exact
    assert (on_ray / "folds.json").read_text() == (local / "folds.json").read_text()
    assert _note(on_ray) == _note(local)  # verdict, findings, duplicates, curves


def test_a_ray_rerun_reuses_the_run_folder(tmp_path, monkeypatch, local_ray):
    data = _data(tmp_path / "data")
    monkeypatch.setenv(caches.CACHE_DIR_ENV, str(tmp_path / "cache"))
    run, first = _run(tmp_path, data, "run", "--engine", "ray", "--ray-cpus", "2")
    assert first["counts"]["decoded_this_run"] == 15
    (data / "tone" / "tone9.wav").write_bytes(wav_bytes(sine(777, duration_s=0.6)))  # one new file
    run, second = _run(tmp_path, data, "run", "--engine", "ray", "--ray-cpus", "2")
    assert second["counts"]["clips"] == 16 and second["counts"]["decoded_this_run"] == 1

