"""`--workers N`: decoding, measuring and the baseline in a pool of processes give what one process gives."""
from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiodiag import cli
from audiodiag.data import layout
from audiodiag.data.sample_sets import SAMPLE_ROOT
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import fitting
from audiodiag.measure import dataset
from audiodiag.represent import encoders, spaces
from audiodiag.runs import gate, pool, run_folder, stream, workers
from audiodiag.settings import ComparisonSettings, SettingsError
from audiodiag.types import Clip
from tests.helpers import noise, sine, wav_bytes

# Floats are compared to this relative tolerance rather than bit for bit: a worker runs VAD and the baseline on a
# task of clips (part of a batch), and BLAS/ONNX kernels may round a row differently with the number of rows in a
# call on some CPUs (on ours they do not, and an exact comparison passes too).
RELATIVE = 1e-6
APP = Path(__file__).resolve().parent.parent / "app.py"
APP_TIMEOUT_S = 240
SCRIPT_TIMEOUT_S = 120
TIMING = re.compile(r"\d+(\.\d+)? ms|unknown time")
N_PER_CLASS = 12
SPEECH = ("utt01_ava.wav", "utt02_eli.wav")
BATCH = 10  # with 2 workers: batches of 2 tasks of 5 clips (`in_workers`), then a short batch
TASK_CLIPS = 4
LOOKAHEAD = 7


def _folder(root):
    """24 clips in two classes with planted faults: a broken file, an empty one, a silent clip, a clipped one, an
    exact duplicate, one at 8 kHz, a stereo one and two with speech (0.4-s clips, 1.5 s of speech: quick to
    measure)."""
    for label, make in (("tone", lambda i: sine(300 + 40 * i, duration_s=0.4)),
                        ("noise", lambda i: noise(duration_s=0.4, seed=i))):
        (root / label).mkdir(parents=True)
        for i in range(N_PER_CLASS):
            (root / label / f"{label}{i:02d}.wav").write_bytes(wav_bytes(make(i)))
    (root / "tone" / "tone03.wav").write_bytes(wav_bytes(np.zeros(6400, np.float32)))  # silent
    (root / "tone" / "tone04.wav").write_bytes(wav_bytes(np.clip(4 * sine(500, duration_s=0.4), -1, 1)))  # clipped
    (root / "tone" / "tone05.wav").write_bytes(wav_bytes(sine(700, duration_s=0.4, sample_rate_hz=8000),
                                                         sample_rate_hz=8000))
    (root / "noise" / "noise03.wav").write_bytes(wav_bytes(np.stack([noise(duration_s=0.4), sine(duration_s=0.4)], 1)))
    (root / "noise" / "noise04.wav").write_bytes((root / "tone" / "tone06.wav").read_bytes())  # exact duplicate
    for i, name in enumerate(SPEECH):  # speech for VAD to find: 1.5 s of two bundled utterances
        x, rate = sf.read(SAMPLE_ROOT / "utterances" / name, dtype="float32", frames=int(1.5 * 16_000))
        (root / "tone" / f"tone{7 + i:02d}.wav").write_bytes(wav_bytes(x, sample_rate_hz=rate))
    (root / "tone" / "broken.wav").write_bytes(b"RIFF not really")
    (root / "noise" / "empty.wav").write_bytes(b"")
    return root


def _close(a, b) -> bool:
    """Equal, floats within RELATIVE (NaN equals NaN), in nested dicts, lists and tuples."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=RELATIVE, abs=1e-12)
    return a == b


def _timeless(o):
    """A note's JSON without wall-clock timings (never equal twice), as figures or in its text."""
    if isinstance(o, dict):
        return {k: _timeless(v) for k, v in o.items() if "seconds" not in k}
    if isinstance(o, list):
        return [_timeless(v) for v in o]
    return TIMING.sub("<time>", o) if isinstance(o, str) else o


@pytest.fixture
def in_workers(monkeypatch):
    """Every task goes to a worker (this process does not take the first ones while the pool starts), tasks hold a
    few clips, so that a small folder makes several tasks per batch, and fewer inputs are read ahead than it holds."""
    monkeypatch.setattr(pool.Launch, "ready", pool.Launch.wait)
    monkeypatch.setattr(workers, "MIN_TASK_CLIPS", TASK_CLIPS)
    monkeypatch.setattr(workers, "LOOKAHEAD_ITEMS", LOOKAHEAD)


def test_usable_cores_follow_the_affinity():
    assert pool.usable_cores() == len(os.sched_getaffinity(0))
    assert pool.worker_count(None) == pool.usable_cores() and pool.worker_count(3) == 3


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_a_bad_worker_count_is_refused_with_the_fix(bad):
    with pytest.raises(SettingsError, match=r"workers=.*at least 1"):
        pool.worker_count(bad)


def test_tasks_share_a_batch_but_keep_vad_batches_whole():
    assert workers.task_clips(batch_size=64, workers=2) == 32
    assert workers.task_clips(batch_size=64, workers=8) == workers.MIN_TASK_CLIPS
    assert workers.engine(1) is stream.local_batches  # one worker: today's engine, no pool


def test_two_workers_give_what_one_gives(tmp_path, in_workers):
    """Every clip, ClipStats, speech region, baseline row and failure, in input order, for workers=1 and 2."""
    folder = _folder(tmp_path / "data")
    a, b = (stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(n)) for n in (1, 2))
    assert len(a.clips) == 2 * N_PER_CLASS and a.n_decoded == b.n_decoded == 2 * N_PER_CLASS
    assert [c.name for c in b.clips] == [c.name for c in a.clips]  # input order
    assert b.clips == a.clips and b.failures == a.failures and len(a.failures) == 2  # the broken and the empty file
    assert len(a.stats) == len(b.stats) and all(_close(asdict(x), asdict(y)) for x, y in zip(a.stats, b.stats))
    assert any(s.clipping_fraction > 0 for s in a.stats) and any(s.sample_rate_hz == 8000 for s in a.stats)
    assert _close(a.speech, b.speech) and any(a.speech)
    (va,), (vb,) = a.vectors, b.vectors
    assert va.space == vb.space == spaces.BASELINE and va.vectors.shape == vb.vectors.shape
    np.testing.assert_allclose(vb.vectors, va.vectors, rtol=RELATIVE, atol=1e-7)


def test_check_with_workers_gives_the_same_report(tmp_path, in_workers):
    folder = _folder(tmp_path / "data")
    out = {}
    for n in (1, 2):
        out[n] = tmp_path / f"check{n}.json"
        assert cli.main(["check", str(folder), "--workers", str(n), "--near-duplicates", "--batch-size", str(BATCH),
                         "--format", "json", "--out", str(out[n])]) == gate.EXIT_FAIL  # the unreadable files
    one, two = (json.loads(out[n].read_text()) for n in (1, 2))
    assert _close(two, one) and one["n_clips"] == 2 * N_PER_CLASS and one["n_unreadable"] == 2
    codes = {f["code"] for f in one["findings"]}
    assert "unreadable" in codes and any(c.startswith("duplicate") for c in codes), codes


@pytest.mark.slow  # two decision notes (curves, audit)
def test_two_workers_give_the_same_note(tmp_path, in_workers):
    folder = _folder(tmp_path / "data")
    chosen = ComparisonSettings(encoders=(), n_splits=2)
    one, two = (stream.classify_stream(layout.iter_folder(folder), chosen, dataset_name="data",
                                       batch_size=BATCH, engine=workers.engine(n)) for n in (1, 2))
    assert _close(_timeless(json.loads(two.decision.note.to_json())), _timeless(json.loads(one.decision.note.to_json())))


def test_measure_with_workers_equals_measure(tmp_path, in_workers):
    clips = [c for c in layout.load_folder(_folder(tmp_path / "data")) if isinstance(c, Clip)]
    done = []
    pooled = workers.measure(clips, workers=2, progress=lambda n, total: done.append((n, total)))
    alone = dataset.measure(clips)
    assert _close([asdict(s) for s in pooled[0]], [asdict(s) for s in alone[0]]) and _close(pooled[1], alone[1])
    assert done[-1] == (len(clips), len(clips))


@pytest.mark.slow  # two runs with an encoder
def test_a_rerun_with_workers_reuses_the_run_folder(tmp_path, in_workers, private_cache):
    """Files an earlier run measured and embedded are not measured again, and keep their numbers."""
    folder = _folder(tmp_path / "data")
    argv = ["report", str(folder), "--folds", "2", "--batch-size", str(BATCH), "--out-dir", str(tmp_path / "run"),
            "--out", str(tmp_path / "note.md"), "--encoder", encoders.SPEECH_EMBEDDING]
    assert cli.main([*argv, "--workers", "1"]) == 0
    first = run_folder.read_clips(tmp_path / "run")
    (folder / "tone" / "new.wav").write_bytes(wav_bytes(sine(950, duration_s=0.4)))
    assert cli.main([*argv, "--workers", "2"]) == 0
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["counts"]["decoded_this_run"] == 1  # the new file only
    again = {r["name"]: r for r in run_folder.read_clips(tmp_path / "run")}
    def measured(row: dict) -> dict:  # folds, predictions and findings depend on the dataset, which gained a file
        return {k: v for k, v in row.items() if not k.startswith(("fold", "prediction", "finding"))}

    assert all(_close(measured(again[r["name"]]), measured(r)) for r in first)
    vectors, _ = run_folder.read_vectors(tmp_path / "run", encoders.SPEECH_EMBEDDING)
    assert vectors.shape[0] == 2 * N_PER_CLASS + 1


@pytest.mark.slow  # an encoder, twice
@pytest.mark.parametrize("encoder", [encoders.SPEECH_EMBEDDING, encoders.WHISPER_UNPADDED])
def test_encoders_embed_the_clips_workers_decoded(tmp_path, in_workers, private_cache, encoder):
    """The encoders run in this process on the clips the workers return (Whisper on the log-mel its preparer made
    there, `encoders.PreparingEncoder`): the same rows as with one worker."""
    folder = _folder(tmp_path / "data")
    rows = {}
    for n in (1, 2):
        streamed = stream.stream(layout.iter_folder(folder), [encoder], batch_size=BATCH, engine=workers.engine(n))
        rows[n] = {v.space: v.vectors for v in streamed.vectors}
        for path in private_cache.rglob("*.npy"):  # each run computes its own vectors
            path.unlink()
    assert rows[1].keys() == rows[2].keys() == {spaces.BASELINE, encoder}
    for space in rows[1]:
        np.testing.assert_allclose(rows[2][space], rows[1][space], rtol=RELATIVE, atol=1e-6)


def test_workers_run_the_encoders_preparers_on_the_padded_clips(tmp_path):
    """A task runs each PreparingEncoder's preparer on the clips it decoded, padded as spaces.space_vectors pads
    them; a preparer that cannot pickle stays with its encoder in this process."""
    folder = _folder(tmp_path / "data")
    pairs = [(item, item.name) for item in list(layout.iter_folder(folder))[:4]]
    whisper = encoders.load_encoder(encoders.WHISPER_UNPADDED)
    padding = spaces.PaddingPolicy(length_s=1.0)
    done = workers.work(pairs, baseline=False, padding=padding, keep_clips=True, reusable=frozenset(),
                        prepare=workers._preparers([("w", whisper)]))
    expected = whisper.preparer(padding.apply(done.clips))
    got = done.prepared["w"].items
    assert len(got) == len(expected) == len(done.clips) > 0 and done.prepared["w"].seconds > 0
    for a, b in zip(got, expected, strict=True):
        assert [n for _, n in a] == [n for _, n in b] and all(np.array_equal(x, y) for (x, _), (y, _) in zip(a, b))
    here = copy.copy(whisper)
    here.preparer = lambda clips: []
    assert workers._preparers([("lambda", here)]) == {}


def _dies(pairs, **_):
    os._exit(3)  # a worker process killed mid-task (out of memory, a signal)


def test_a_crashed_worker_is_a_clear_error(tmp_path, in_workers, monkeypatch):
    folder = _folder(tmp_path / "data")
    monkeypatch.setattr(workers, "work", _dies)  # pickled by name: the worker looks up tests.test_workers._dies
    with pytest.raises(AudioDiagError, match=r"worker process ended .* fewer workers"):
        stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(2))


def test_a_later_run_uses_the_kept_pool_from_its_first_task(tmp_path, monkeypatch):
    """The pool outlives its run: a second run in the process starts none, sends every task to the workers already
    up, and gives the same numbers."""
    folder = _folder(tmp_path / "data")
    monkeypatch.setattr(workers, "MIN_TASK_CLIPS", TASK_CLIPS)
    first = stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(2))
    kept = pool.running(2)
    assert kept is not None and kept.wait()  # kept, up
    here, launched = [], []
    real_done, real_launch = fitting.done_here_now, pool.Launch.__init__
    monkeypatch.setattr(fitting, "done_here_now", lambda result: here.append(1) or real_done(result))
    monkeypatch.setattr(pool.Launch, "__init__", lambda self, *a, **kw: launched.append(a) or real_launch(self, *a,
                                                                                                           **kw))
    second = stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(None))
    assert (here, launched) == ([], []) and pool.running(2) is kept  # none here while the pool was up
    assert second.clips == first.clips and _close(second.speech, first.speech)
    assert all(_close(asdict(x), asdict(y)) for x, y in zip(first.stats, second.stats, strict=True))
    pool.close_kept()
    assert pool.running(2) is None


def test_a_pool_of_another_size_replaces_the_kept_one():
    two = pool.kept(2)
    three = pool.kept(3)
    assert three is not two and pool.running(3) is three and pool.running(2) is None
    with pytest.raises(RuntimeError, match="shutdown"):  # the replaced pool was stopped
        two.wait().submit(os.getpid)


def test_fits_spread_over_the_pool_equal_fits_here():
    """Learning-curve draws and the audit's forests give the same numbers in worker processes as in this one."""
    from functools import partial

    from audiodiag.evaluation import audit, curves, fitting
    from audiodiag.evaluation.folds import make_folds
    from audiodiag.measure import per_clip

    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], 20)
    X = rng.normal(size=(60, 5)) + (labels == "a")[:, None]
    folds = make_folds(labels, n_splits=5)
    jobs = list(folds.splits()) * 3
    model = partial(fitting.rung_classifier, 0)
    clips = [Clip(f"{i}.wav", noise(duration_s=0.1 + 0.1 * (label == "a"), seed=i), 16000, 16000, 1, label=label)
             for i, label in enumerate(labels)]
    stats = [per_clip.clip_stats(c) for c in clips]

    def everything():
        fits = fitting.fit_predict(X, labels, jobs, model, probabilities=True)
        return ([f.predictions for f in fits], [f.probabilities for f in fits],
                curves.learning_curve(X, labels, folds, sizes_per_class=(4, 8), repeats=3),
                audit.metadata_audit(clips, stats, folds))

    here = everything()
    sent = []
    launch = pool.kept(2)
    real = launch.wait().submit
    with fitting.spread_over(fitting.Spread(launch.wait, lambda seconds: None, 2)):
        launch.wait().submit = lambda *a, **kw: sent.append(a[0]) or real(*a, **kw)
        spread = everything()
    assert {f.__name__ for f in sent} == {"fit_chunk", "fit_fold"}
    for a, b in zip(here[0] + here[1], spread[0] + spread[1], strict=True):
        np.testing.assert_array_equal(a, b)  # the same library on the same CPU: the same fits, bit for bit
    assert here[2] == spread[2] and here[3] == spread[3]


def test_the_fits_start_the_kept_pool_once_they_hold_enough_work(monkeypatch):
    """A run whose decoding never started the pool (short clips) starts it for its fits once the fits in view, at
    the pace of those done here, are worth it; the jobs done here meanwhile and on the pool give the same results."""
    from functools import partial

    rng = np.random.default_rng(1)
    y = np.repeat(["a", "b"], 30)
    X = rng.normal(size=(60, 4)) + (y == "a")[:, None]
    jobs = [(np.arange(0, 60, 2), np.arange(1, 60, 2))] * 40
    model = partial(fitting.rung_classifier, 0)
    here = fitting.fit_predict(X, y, jobs, model)
    monkeypatch.setattr(workers, "FIT_POOL_WORTH_S", 0.0)  # any work is worth it
    assert pool.running(2) is None
    with fitting.spread_over(workers.spread(2)):
        spread = fitting.fit_predict(X, y, jobs, model)
    assert pool.running(2) is not None  # started by the fits, kept for the next ones
    assert all((a.predictions == b.predictions).all() for a, b in zip(here, spread, strict=True))
    monkeypatch.setattr(workers, "FIT_POOL_WORTH_S", float("inf"))
    pool.close_kept()
    with fitting.spread_over(workers.spread(2)):
        fitting.fit_predict(X, y, jobs, model)
    assert pool.running(2) is None  # never worth it: all here


def test_a_lambda_model_is_fitted_here_even_inside_spread_over():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = np.arange(40.0).reshape(-1, 1), np.repeat(["a", "b"], 20)
    jobs = [(np.arange(0, 40, 2), np.arange(1, 40, 2))] * 8

    def no_pool():
        raise AssertionError("a lambda cannot be pickled: it must not be sent")

    with fitting.spread_over(fitting.Spread(no_pool, lambda seconds: no_pool(), 2)):
        fits = fitting.fit_predict(X, y, jobs, lambda: KNeighborsClassifier(n_neighbors=1))
    assert all((f.predictions == y[1::2]).all() for f in fits)


def test_this_process_works_while_the_pool_starts(tmp_path, monkeypatch):
    """Tasks taken before the workers are up give the same numbers (here: a pool that never comes up in time)."""
    monkeypatch.setattr(pool.Launch, "ready", lambda self: None)
    folder = _folder(tmp_path / "data")
    a, b = (stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(n)) for n in (1, 2))
    assert b.clips == a.clips and b.failures == a.failures and _close(b.speech, a.speech)
    assert all(_close(asdict(x), asdict(y)) for x, y in zip(a.stats, b.stats))
    np.testing.assert_allclose(b.vectors[0].vectors, a.vectors[0].vectors, rtol=RELATIVE, atol=1e-7)


@pytest.mark.skipif(pool.usable_cores() < 2, reason="one usable core: workers=None never starts a pool")
def test_by_default_a_pool_starts_once_the_work_in_view_is_worth_it(tmp_path, monkeypatch):
    started = []
    real = pool.Launch.__init__
    monkeypatch.setattr(pool.Launch, "__init__", lambda self, *args, **kw: started.append(args) or real(self, *args,
                                                                                                          **kw))
    monkeypatch.setattr(workers, "POOL_WORTH_S", 0.0)  # any work is worth it
    monkeypatch.setattr(workers, "MIN_TASK_CLIPS", TASK_CLIPS)
    monkeypatch.setattr(workers, "LOOKAHEAD_ITEMS", LOOKAHEAD)
    folder = _folder(tmp_path / "data")
    a, b = (stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(n))
            for n in (1, None))
    assert started == [(pool.usable_cores(),)]  # after this process timed its first tasks
    assert b.clips == a.clips and b.failures == a.failures and _close(b.speech, a.speech)
    assert all(_close(asdict(x), asdict(y)) for x, y in zip(a.stats, b.stats))


@pytest.mark.parametrize(("worked_before", "tasks_first"), [(False, 2), (True, 1)])
def test_the_pace_is_read_after_the_first_task_once_a_process_has_loaded_everything(tmp_path, monkeypatch,
                                                                                     worked_before, tasks_first):
    """A process's first run times its second task (the first pays for imports and models); a later run (the app's
    server, a notebook) times its first, and starts the pool one task sooner."""
    if pool.usable_cores() < 2:
        pytest.skip("one usable core: workers=None never starts a pool")
    done_here, at_launch = [], []
    real_done, real_launch = fitting.done_here_now, pool.Launch.__init__
    monkeypatch.setattr(fitting, "done_here_now", lambda result: done_here.append(1) or real_done(result))
    monkeypatch.setattr(pool.Launch, "__init__",
                        lambda self, *args, **kw: at_launch.append(len(done_here)) or real_launch(self, *args, **kw))
    monkeypatch.setattr(workers, "_worked_here", worked_before)
    monkeypatch.setattr(workers, "POOL_WORTH_S", 0.0)  # any work is worth it
    monkeypatch.setattr(workers, "MIN_TASK_CLIPS", TASK_CLIPS)
    monkeypatch.setattr(workers, "LOOKAHEAD_ITEMS", LOOKAHEAD)
    folder = _folder(tmp_path / "data")
    stream.stream(layout.iter_folder(folder), [], batch_size=BATCH, engine=workers.engine(None))
    assert at_launch == [tasks_first] and workers._worked_here


def test_workers_default_to_this_process_for_a_few_files(tmp_path, monkeypatch):
    """workers=None on a few short files: no pool is started (it would cost more than it saves)."""
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started")

    monkeypatch.setattr(pool, "start", no_pool)
    root = tmp_path / "few"
    root.mkdir()
    for i in range(3):
        (root / f"{i}.wav").write_bytes(wav_bytes(sine(300 + 100 * i, duration_s=0.3)))
    result = gate.run_check(layout.iter_folder(root), dataset_name="few", workers=None)
    assert len(result.clips) == 3
    clips = [c for c in layout.load_folder(root) if isinstance(c, Clip)]  # 0.9 s of audio: measured here too
    assert not workers.worth_a_pool(clips) and len(workers.measure(clips, workers=None)[0]) == 3


def test_a_long_dataset_is_worth_a_pool():
    rate = 100  # a low rate: minutes of audio in a few samples
    fifth = int(workers.MIN_POOL_AUDIO_S / 5 * rate)
    long = [Clip(f"{i}.wav", np.zeros(fifth, np.float32), rate, rate, 1) for i in range(5)]
    assert workers.worth_a_pool(long) == (pool.usable_cores() > 1)
    assert not workers.worth_a_pool(long[:4])


UNGUARDED_SCRIPT = """
import os, sys
print("script body ran", file=sys.stderr)  # no `if __name__ == "__main__":`, as in a Streamlit app
from audiodiag.runs import pool
launch = pool.Launch(2)
print("workers", len({launch.wait().submit(os.getpid).result() for _ in range(4)}), file=sys.stderr)
launch.close()
"""


@pytest.mark.slow  # starts a fresh interpreter and a pool (2 s); the fast lane keeps the module's other tests
def test_workers_never_run_the_parents_main_script(tmp_path):
    """multiprocessing would run the parent's __main__ file again in each worker: Streamlit's app, a user's script."""
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.count("script body ran") == 1, done.stderr[-2000:]


def test_the_cli_refuses_a_bad_worker_count_before_reading_data(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "missing"), "--workers", "0"]) == cli.EXIT_USER_ERROR
    assert "workers=0" in capsys.readouterr().err
    assert cli.main(["report", str(tmp_path / "missing"), "--out-dir", str(tmp_path / "run"), "--engine", "ray",
                     "--workers", "2"]) == cli.EXIT_USER_ERROR
    assert "--ray-cpus" in capsys.readouterr().err


def _inspect_table():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at.dataframe[0].value


@pytest.mark.slow  # the Inspect page, twice
def test_the_inspect_page_measures_a_long_dataset_on_its_pool(monkeypatch, in_workers, private_cache):
    """Above MIN_POOL_AUDIO_S the page measures on a pool kept for the server: the same table as without one."""
    import shutil

    import pandas as pd

    from pages import _cache

    def fresh() -> None:  # each run measures anew: no page cache, no measurements on disk
        _cache._measure.clear()
        shutil.rmtree(private_cache, ignore_errors=True)

    fresh()
    alone = _inspect_table()
    fresh()
    monkeypatch.setattr(workers, "MIN_POOL_AUDIO_S", 0.0)
    calls = []
    real = workers.measure
    monkeypatch.setattr(workers, "measure", lambda *args, **kwargs: calls.append(kwargs) or real(*args, **kwargs))
    pooled = _inspect_table()
    fresh()
    assert calls and all(isinstance(c["launch"], pool.Launch) for c in calls)
    pd.testing.assert_frame_equal(pooled, alone, rtol=RELATIVE)
