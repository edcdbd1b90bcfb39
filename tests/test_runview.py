"""Opening a run folder (`report --out-dir`) in the dashboard: read from the folder, nothing recomputed."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag import cli
from audiodiag.data import dataroot
from audiodiag.errors import AudioDiagError
from audiodiag.represent import spaces
from audiodiag.runs import run_folder, run_view
from tests.helpers import noise, raw_missing, sine, wav_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 120
PAGES = ["pages/1_Inspect.py", "pages/2_Compare.py", "pages/3_Embeddings.py", "pages/4_Transcribe.py",
         "pages/5_Decide.py"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """root/data: 2 classes x 8 clips + a broken file; root/run: its run folder (baseline only, 3 folds)."""
    root = tmp_path_factory.mktemp("root")
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.4)),
                        ("hiss", lambda i: noise(duration_s=0.4, seed=i))):
        (root / "data" / label).mkdir(parents=True)
        for i in range(8):
            (root / "data" / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    (root / "data" / "tone" / "broken.wav").write_bytes(b"not audio")
    assert cli.main(["report", str(root / "data"), "--encoder", spaces.BASELINE, "--folds", "3",
                     "--out-dir", str(root / "run"), "--out", str(root / "note.md")]) == 0
    return root


def test_summary_and_pages_come_from_the_folder(root):
    view = run_view.RunView.open(root, "run")
    s = view.summary()
    assert (s.n_clips, s.class_counts, s.sample_rates) == (16, {"hiss": 8, "tone": 8}, {16000: 16})
    assert s.median_duration_s == pytest.approx(0.4) and s.total_hours == pytest.approx(16 * 0.4 / 3600)
    assert len(s.not_used) == 1 and "broken.wav" in s.not_used[0]
    assert s.spaces[0][0] == spaces.BASELINE and s.engine == "local"
    first, last = view.page(0, 10), view.page(10, 10)
    assert list(first["#"]) == list(range(10)) and list(last["#"]) == list(range(10, 16))
    assert list(first["file"]) + list(last["file"]) == [r["name"] for r in run_folder.read_clips(root / "run")]


def test_confusion_is_the_runs_out_of_fold_result(root):
    view = run_view.RunView.open(root, "run")
    confusion = view.confusion(spaces.BASELINE)
    accuracy = np.trace(confusion.counts) / confusion.counts.sum()
    rung = view.note["data"]["rungs"][0]
    assert confusion.counts.sum() == 16 and accuracy == pytest.approx(rung["accuracy"]["value"])


def test_stratified_sample_keeps_class_shares(tmp_path):
    view = run_view.RunView.__new__(run_view.RunView)  # only the labels matter here
    labels = np.array(["a"] * 600 + ["b"] * 300 + ["c"] * 95 + ["d"] * 5, dtype=object)
    view.__dict__.update(labels=labels, table=type("T", (), {"num_rows": len(labels)})())
    rows = view.sample(100)
    counts = {k: int((labels[rows] == k).sum()) for k in "abcd"}
    assert counts == {"a": 60, "b": 30, "c": 10, "d": 1} or sum(counts.values()) == 100 and counts["d"] >= 1
    assert len(set(rows)) == len(rows) <= 100 and list(rows) == sorted(rows)
    assert len(view.sample(5000)) == 1000  # no sampling below the cap


def test_a_clip_is_read_only_inside_the_root_and_only_unchanged(root, tmp_path):
    view = run_view.RunView.open(root, "run")
    clip = view.clip(0)
    assert clip.content_hash == view.column("content_hash")[0] and clip.duration_s == pytest.approx(0.4)
    outside = run_view.RunView(root / "run", (tmp_path / "elsewhere").resolve())  # as if the data lay outside
    with pytest.raises(AudioDiagError, match="outside the data root"):
        outside.clip(0)
    victim = Path(view.column("source")[1])
    saved = victim.read_bytes()
    try:
        victim.write_bytes(wav_bytes(sine(999, duration_s=0.4)))
        with pytest.raises(AudioDiagError, match="changed since the run"):
            view.clip(1)
    finally:
        victim.write_bytes(saved)


def test_a_damaged_run_folder_is_a_clear_error(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / dataroot.RUN_FILE).write_text(json.dumps({"format": 0}))
    with pytest.raises(run_view.RunFolderError, match="format 0.*write the run again"):
        run_view.RunView.open(tmp_path, "old")
    with pytest.raises(dataroot.DataRootError):
        run_view.RunView.open(tmp_path, "../old")


def _app(monkeypatch, root) -> AppTest:
    monkeypatch.setenv(dataroot.DATA_ROOT_ENV, str(root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params["source"] = "Server folder"
    at.query_params["server_entry"] = "run"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow  # five pages, UMAP included
def test_every_page_shows_the_run_folder(root, monkeypatch):
    at = _app(monkeypatch, root)
    text = lambda: " ".join(str(e.value) for e in [*at.info, *at.markdown, *at.caption, *at.header, *at.subheader])  # noqa: E731
    assert "Run folder 'run'" in text() and "nothing is recomputed" in text()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Clips"] == "16" and metrics["Median duration"] == "0.40 s"
    assert list(at.dataframe[-1].value["#"])[:3] == [0, 1, 2]
    assert all(json.loads(c.proto.spec).get("data") for c in at.get("plotly_chart"))  # Inspect's blank frame went
    at.button[0].click().run()  # "Open this clip": its audio is read now, from inside the root
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert not raw_missing(at)
    checks = {"pages/2_Compare.py": lambda: "Confusion matrices" in text() and "Possibly mislabelled clips" in text()
              and any("beats the baseline" in d.value.columns for d in at.dataframe),  # the note's own rung table
              "pages/3_Embeddings.py": lambda: "UMAP of all 16 clips." in text(),
              "pages/4_Transcribe.py": lambda: "classification run" in text(),
              "pages/5_Decide.py": lambda: "Decision note" in text()}
    for page, check in checks.items():
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert check(), (page, text()[:800])
        assert not raw_missing(at), page


@pytest.mark.slow  # Whisper on the bundled utterances, then the pages
def test_a_transcription_run_folder_on_the_pages(tmp_path, monkeypatch):
    from audiodiag.asr import wer
    from audiodiag.data import sample_sets

    assert cli.main(["report", str(sample_sets.sample_set_dir("utterances")), "--task", "transcribe",
                     "--out-dir", str(tmp_path / "run"), "--out", str(tmp_path / "note.md")]) == 0
    view = run_view.RunView.open(tmp_path, "run")
    rows, scores = view.scores()
    note = json.loads((tmp_path / "run" / "note.json").read_text())
    assert view.task == "transcribe" and len(rows) == len(note["data"]["utterances"])
    assert scores.corpus_wer.value == pytest.approx(note["data"]["corpus_wer"]["value"])  # the run's own number
    refs = [view.column("reference")[i] for i in rows]
    assert scores.corpus_wer.value == pytest.approx(wer.score(refs, [view.column("transcript")[i] for i in rows])
                                                    .corpus_wer.value)
    at = _app(monkeypatch, tmp_path)
    at.switch_page("pages/4_Transcribe.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label for m in at.metric} >= {"Corpus WER", "Scored utterances"}
    assert at.metric[0].value == wer.format_rate(scores.corpus_wer.value)  # as the note writes it
    for page in ("pages/2_Compare.py", "pages/3_Embeddings.py"):
        at.switch_page(page).run()
        assert not at.exception and any("transcription run" in i.value for i in at.info), page
    assert not raw_missing(at)
