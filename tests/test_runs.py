"""Run folders listed and compared two at a time (audiodiag.runs.catalogue, verdict.runs), saved from a page; the Runs
page."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag import cli
from audiodiag.data import dataroot, layout, sample_sets
from audiodiag.errors import AudioDiagError
from audiodiag.measure.dataset import measure
from audiodiag.represent import spaces
from audiodiag.runs import catalogue, run_folder
from audiodiag.runs.run_view import RunFolderError, RunView
from audiodiag.settings import ComparisonSettings
from audiodiag.types import Clip
from audiodiag.verdict import decide
from audiodiag.verdict import runs as rules
from tests.helpers import noise, raw_missing, sine, wav_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
RUNS_PAGE = "pages/6_Runs.py"
TIMEOUT_S = 120
SPEECH = "speech_embedding (openwakeword)"


def _report(data: Path, out: Path, *args: str) -> None:
    assert cli.main(["report", str(data), *args, "--out-dir", str(out), "--out", str(out) + ".md"]) == 0


def _predictions(run: Path, space: str) -> dict[str, str]:
    """content hash -> the run's out-of-fold prediction, read straight from clips.parquet."""
    table = pq.read_table(run / run_folder.CLIPS_FILE).to_pydict()
    return dict(zip(table["content_hash"], table[run_folder.PREDICTION_PREFIX + space]))


def _claims(run: Path) -> list[dict]:
    return json.loads((run / run_folder.NOTE_JSON).read_text())["data"]["claims"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """root/before: 2 classes x 8 clips; root/after: the same files with tone7 removed and hiss0 moved to 'tone'
    (relabelled); root/renamed: before with class 'tone' renamed 'sine'. Runs 'a' (before, 3 folds), 'b' (after,
    2 folds) and 'renamed' (3 folds), baseline only (about 3 s)."""
    root = tmp_path_factory.mktemp("runs")
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.4)),
                        ("hiss", lambda i: noise(duration_s=0.4, seed=i))):
        (root / "before" / label).mkdir(parents=True)
        for i in range(8):
            (root / "before" / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    shutil.copytree(root / "before", root / "after")
    (root / "after" / "tone" / "tone7.wav").unlink()
    (root / "after" / "hiss" / "hiss0.wav").rename(root / "after" / "tone" / "hiss0.wav")
    _report(root / "before", root / "a", "--encoder", spaces.BASELINE, "--folds", "3")
    _report(root / "after", root / "b", "--encoder", spaces.BASELINE, "--folds", "2")
    shutil.copytree(root / "before", root / "renamed")
    (root / "renamed" / "tone").rename(root / "renamed" / "sine")
    _report(root / "renamed", root / "renamed-run", "--encoder", spaces.BASELINE, "--folds", "3")
    return root


def test_cleaned_data_matches_clips_by_content_and_names_what_changed(tiny):
    diff = catalogue.compare_runs(RunView.open(tiny, "a"), RunView.open(tiny, "b"))
    assert (diff.matched_by, diff.n_matched, diff.only_a, diff.only_b) == ("content hash", 15, ("tone/tone7.wav",), ())
    assert diff.relabelled == (("tone/hiss0.wav", "hiss", "tone"),)
    before, after = _predictions(tiny / "a", spaces.BASELINE), _predictions(tiny / "b", spaces.BASELINE)
    expected = {h for h in before.keys() & after.keys() if before[h] != after[h]}
    (baseline,) = diff.predictions
    hashes = RunView.open(tiny, "b").column("content_hash")
    assert {hashes[c.row_b] for c in baseline.changed} == expected and baseline.n_compared == 15
    assert {s.key: (s.value_a, s.value_b) for s in diff.settings} == {"dataset": ("before", "after"),
                                                                       "n_splits": ("3", "2")}
    claims = {c.kind.value: c for c in diff.claims()}
    assert claims["runs_clips"].text == ("15 clips in both runs (matched by content hash); 1 only in run A: "
                                         "tone/tone7.wav.\n1 clip changed label: tone/hiss0.wav (hiss → tone).")
    assert claims["runs_settings"].text == "Settings that differ: dataset, n_splits."
    assert claims["runs_headline"].verdict == "unchanged"  # the baseline alone: always the baseline
    assert claims["runs_rung"].text == f"{spaces.BASELINE}: the reference in both runs."


def test_runs_are_listed_newest_first_with_their_settings(tiny):
    (tiny / "broken").mkdir(exist_ok=True)
    (tiny / "broken" / dataroot.RUN_FILE).write_text("{not json")
    try:
        listed = catalogue.list_runs(tiny)
    finally:
        shutil.rmtree(tiny / "broken")
    readable = [r for r in listed if r.problem is None]
    assert [(r.date, r.name) for r in readable] == sorted(((r.date, r.name) for r in readable), reverse=True)
    assert {r.name for r in readable} == {"a", "b", "renamed-run"}
    assert listed[-1].name == "broken" and "run.json" in listed[-1].problem  # named, not dropped
    b = next(r for r in listed if r.name == "b")
    assert (b.dataset, b.task, b.spaces, b.n_clips, b.verdict) == ("after", "classify", (spaces.BASELINE,), 15,
                                                                   "spectral baseline")
    assert b.folds.startswith("2 (") and b.padding.startswith("none")


def test_a_run_saved_from_memory_equals_the_cli_run_and_is_never_overwritten(tiny, tmp_path):
    clips = [c for c in layout.load_folder(tiny / "before") if isinstance(c, Clip)]
    settings = ComparisonSettings(encoders=(), n_splits=3)
    decision = decide.run_classification(clips, settings, dataset_name="before")
    stats, speech = measure(clips)
    vectors = [spaces.space_vectors(clips, spaces.BASELINE, padding=settings.padding)]
    root = tmp_path / "root"
    shutil.copytree(tiny / "a", root / "a")
    name = catalogue.new_run_name(root, "before")
    sources = {c.name: str(tiny / "before" / c.name) for c in clips}
    kwargs = dict(dataset="before", clips=clips, stats=stats, speech=speech, vectors=vectors,
                  comparison=decision.comparison, note=decision.note, command=settings.to_command_line("before"),
                  settings={"task": "classify", "engine": "dashboard", **settings.to_dict()}, sources=sources)
    catalogue.save_run(root, name, **kwargs)
    diff = catalogue.compare_runs(RunView.open(root, "a"), RunView.open(root, name))
    assert diff.n_matched == 16 and not diff.only_a and not diff.only_b and not diff.relabelled
    assert [len(p.changed) for p in diff.predictions] == [0]  # the same pipeline: the same predictions
    assert diff.headline_a == diff.headline_b and not diff.findings_added and not diff.findings_gone
    assert {s.key for s in diff.settings} <= {"engine", "batch_size", "group_column"}
    saved = RunView(root / name)  # opened outside a data root: its sources are readable where they are
    assert saved.clip(0).content_hash == saved.column("content_hash")[0]
    with pytest.raises(AudioDiagError, match="outside the data root"):  # under the root: only files inside it
        RunView.open(root, name).clip(0)
    with pytest.raises(AudioDiagError, match="already exists.*never overwritten"):
        catalogue.save_run(root, name, **kwargs)
    with pytest.raises(AudioDiagError, match="not a folder name"):
        catalogue.save_run(root, "../elsewhere", **kwargs)


def test_a_free_name_is_chosen_and_a_transcription_run_is_refused(tmp_path):
    import datetime

    when = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert catalogue.new_run_name(tmp_path, "My Clips", when=when) == "my-clips-20250102-030405"
    (tmp_path / "my-clips-20250102-030405").mkdir()
    assert catalogue.new_run_name(tmp_path, "My Clips", when=when) == "my-clips-20250102-030405-2"
    view = RunView.__new__(RunView)
    view.path, view.meta = tmp_path / "t", {"task": "transcribe"}
    with pytest.raises(RunFolderError, match="a transcribe run.*compares classification runs"):
        catalogue.compare_runs(view, view)


def test_verdict_sentences_come_from_the_rules():
    changed = rules.rung_change(rules.RungScores("whisper", None, None, "inconclusive", "yes"))
    assert (changed.verdict, changed.text) == ("changed", "The verdict for whisper changed from inconclusive to yes.")
    added = rules.rung_change(rules.RungScores("clap", None, None, None, "no"))
    assert (added.verdict, added.text) == ("added", "clap was measured only in run B (verdict: no).")
    assert rules.findings_change(rules.RunDifference.empty(added=3, gone=1)).text == "3 findings added, 1 gone."
    assert rules.findings_change(rules.RunDifference.empty()).verdict == "unchanged"
    clip = rules.ChangedClip("x.wav", "x.wav", "dog", "dog", "cat", "dog", 0, 0)
    wrong = rules.ChangedClip("y.wav", "y.wav", "dog", "dog", "cat", "bird", 1, 1)
    text = rules.predictions_change(rules.PredictionChange("whisper", 10, (clip, wrong))).text
    assert text == ("whisper: 2 of 10 clips in both runs changed their out-of-fold prediction: 1 now right, 0 now "
                    "wrong, 1 wrong both times.")


def _runs_page(monkeypatch, root: Path, **params: str) -> AppTest:
    monkeypatch.setenv(dataroot.DATA_ROOT_ENV, str(root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(RUNS_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("info", "success", "warning", "error", "markdown", "caption")
                     for e in at.get(kind))


def test_runs_page_shows_two_runs_side_by_side(tiny, monkeypatch):
    at = _runs_page(monkeypatch, tiny, runs_a="a", runs_b="b")
    assert (at.selectbox(key="runs_a").value, at.selectbox(key="runs_b").value) == ("a", "b")
    listing = at.dataframe[0].value
    assert set(listing["run"]) == {"a", "b", "renamed-run"} and "verdict" in listing
    text = _shown(at)
    assert "1 only in run A: tone/tone7\\.wav" in text and "Settings that differ: dataset, n\\_splits\\." in text
    (scores,) = [d.value for d in at.dataframe if "accuracy A [95 % CI]" in d.value]
    assert list(scores["space"]) == [spaces.BASELINE] and list(scores["verdict B"]) == ["reference"]
    assert {"n_splits", "dataset"} == set(next(d.value for d in at.dataframe if "setting" in d.value)["setting"])
    assert at.query_params["runs_a"] == ["a"] or at.query_params["runs_a"] == "a"
    assert not raw_missing(at)


def test_runs_page_lists_and_plays_the_clips_whose_prediction_changed(tiny, monkeypatch):
    at = _runs_page(monkeypatch, tiny, runs_a="a", runs_b="renamed-run")
    (changed,) = [d.value for d in at.dataframe if "predicted in A" in d.value]  # class 'tone' is now 'sine'
    assert sorted(changed["clip"]) == [f"sine/tone{i}.wav" for i in range(8)]
    assert set(changed["predicted in A"]) == {"tone"} and set(changed["predicted in B"]) == {"sine"}
    assert all(changed["right in A"]) and all(changed["right in B"])
    assert len(at.get("audio")) == 1 and not any("Not playable" in c.value for c in at.caption)
    at.selectbox(key="runs_clip").set_value(3).run()
    assert not at.exception and len(at.get("audio")) == 1


def test_runs_page_keeps_its_choices_across_a_visit(tiny, monkeypatch):
    at = _runs_page(monkeypatch, tiny)
    at.selectbox(key="runs_a").set_value("renamed-run")
    at.selectbox(key="runs_b").set_value("a").run()
    at.switch_page("pages/1_Inspect.py").run()
    at.query_params.clear()  # as the browser's URL after a page switch
    at.switch_page(RUNS_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert (at.selectbox(key="runs_a").value, at.selectbox(key="runs_b").value) == ("renamed-run", "a")


def test_runs_page_without_a_data_root_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv(dataroot.DATA_ROOT_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page(RUNS_PAGE).run()
    assert not at.exception and any("AUDIODIAG\\_DATA\\_ROOT" in i.value or "AUDIODIAG_DATA_ROOT" in i.value
                                    for i in at.info)


# ---------------------------------------------------------------- a bundled set, two encoders (slow: two real runs)

@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """root/sounds: the bundled set; 'base' (the baseline, 3 folds) and 'speech' (baseline + speech_embedding,
    2 folds) written by the CLI (about 10 s)."""
    assert "sounds" in sample_sets.list_sample_sets()
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(sample_sets.sample_set_dir("sounds"), root / "sounds")
    _report(root / "sounds", root / "base", "--encoder", spaces.BASELINE, "--folds", "3")
    _report(root / "sounds", root / "speech", "--encoder", "speech_embedding", "--folds", "2")
    return root


@pytest.mark.slow
def test_two_runs_of_a_bundled_set_with_different_encoders(bundled):
    diff = catalogue.compare_runs(RunView.open(bundled, "base"), RunView.open(bundled, "speech"))
    speech_claims = _claims(bundled / "speech")
    pair = next(c["verdict"] for c in speech_claims if c["kind"] == "encoder_vs_baseline")
    note_b = json.loads((bundled / "speech" / run_folder.NOTE_JSON).read_text())
    rungs_b = {r["space"]: r["accuracy"] for r in note_b["data"]["rungs"]}
    table = rules.scores_table(diff)
    assert table[1][0] == spaces.BASELINE and table[1][2] == table[1][4] == "reference"
    assert table[2] == (SPEECH, "—", "—", f"{rungs_b[SPEECH]['value']:.3f} [{rungs_b[SPEECH]['ci_low']:.3f}, "
                                          f"{rungs_b[SPEECH]['ci_high']:.3f}]", pair)
    assert diff.headline_a.rung == "spectral baseline"
    assert diff.headline_b.rung == next(c["verdict"] for c in speech_claims if c["kind"] == "recommendation")
    before, after = _predictions(bundled / "base", spaces.BASELINE), _predictions(bundled / "speech", spaces.BASELINE)
    (baseline,) = diff.predictions
    hashes = RunView.open(bundled, "speech").column("content_hash")
    assert {hashes[c.row_b] for c in baseline.changed} == {h for h in before if before[h] != after[h]}
    assert diff.n_matched == 60 and not diff.only_a and not diff.only_b
    settings = {s.key: (s.value_a, s.value_b) for s in diff.settings}
    assert settings["encoders"] == ("none", SPEECH) and settings["n_splits"] == ("3", "2")
    assert SPEECH in settings["spaces"][1] and SPEECH not in settings["spaces"][0]
    # a speech encoder on non-speech sounds: advice only the second run can give
    assert [f.code for f in diff.findings_added] == ["non_speech_for_speech_encoder"] and not diff.findings_gone
    claims = {c.kind.value: c.text for c in diff.claims()}
    assert claims["runs_findings"] == "1 finding added, 0 gone."


@pytest.mark.slow
def test_runs_page_on_a_bundled_set_plays_a_changed_clip_and_saves_from_compare(bundled, monkeypatch):
    at = _runs_page(monkeypatch, bundled, runs_a="base", runs_b="speech")
    text = _shown(at)
    assert f"{SPEECH} was measured only in run B" in text.replace("\\", "")
    assert "1 finding added, 0 gone." in text.replace("\\", "")
    changed = [d.value for d in at.dataframe if "predicted in A" in d.value]  # 3 folds vs 2: where any differ,
    assert len(at.get("audio")) == len(changed) and not any("Not playable" in c.value for c in at.caption)  # played
    assert not raw_missing(at)
    monkeypatch.setattr(catalogue, "writable", lambda root: False)  # a read-only hosted root: no button, one line
    at.query_params.update({"source": "Server folder", "server_entry": "sounds", "compare_run": "1",
                            "compare_encoders": [SPEECH], "compare_folds": "2"})
    at.switch_page("pages/2_Compare.py").run()
    assert not at.exception and not [b for b in at.button if b.key == "compare_save_run"]
    assert any("read-only" in c.value for c in at.caption)
    monkeypatch.setattr(catalogue, "writable", lambda root: True)
    at.run()
    at.button(key="compare_save_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = [r for r in catalogue.list_runs(bundled) if r.name.startswith("sounds-")]
    assert len(saved) == 1 and any(saved[0].name in s.value.replace("\\", "") for s in at.success)
    diff = catalogue.compare_runs(RunView.open(bundled, "speech"), RunView.open(bundled, saved[0].name))
    assert [len(p.changed) for p in diff.predictions] == [0, 0]  # the page's comparison is the CLI's
    assert RunView.open(bundled, saved[0].name).clip(0).name == RunView.open(bundled, "speech").clip(0).name
