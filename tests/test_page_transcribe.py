"""AppTest: the Transcribe page on the bundled utterances with the bundled model, transcripts-only mode, a second
system (a tiny local CTC model), and uploads with a reference CSV holding an empty reference."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag import references, samples, wer
from audiodiag.types import Clip
from conftest import wav_bytes
from test_asr import build_tiny_ctc

pytestmark = pytest.mark.slow  # the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 300
UTTERANCE = samples.SAMPLE_ROOT / "utterances" / "utt07_ava.wav"
SAID = "If the train is late again, we will take a taxi to the airport instead."  # what UTTERANCE says


@pytest.fixture(autouse=True)
def _own_transcript_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("AUDIODIAG_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "page_cache"))


def _page(sample_set: str | None = "utterances") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    if sample_set:
        at.query_params.update({"sample_set": sample_set})
    at.switch_page("pages/4_Transcribe.py")
    at.run()
    return at


def _transcribe(at: AppTest, *, second: str = "") -> AppTest:
    if second:
        at.text_input(key="transcribe_second").set_value(second)
    next(b for b in at.button if b.label == "Transcribe").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_bundled_utterances_show_corpus_wer_table_and_alignment():
    at = _transcribe(_page("utterances"))
    metrics = {m.label: m.value for m in at.metric}
    assert "Mean per-utterance WER" in metrics and "CER" in metrics and "Sub / Del / Ins" in metrics
    table = _table(at, "hypothesis")
    assert len(table) == 10 and table["WER"].notna().all()
    # the headline is honest: recomputed here from the transcripts the page shows, it is the same number
    clips = [c for c in samples.load_sample_set("utterances") if isinstance(c, Clip)]
    hyps = dict(zip(table["file"], table["hypothesis"]))
    expected = wer.score(references.sample_set_references("utterances", clips), [hyps[c.name] for c in clips],
                         normalisation="basic")
    assert metrics["Corpus WER"] == f"{expected.corpus_wer.value:.1%}"
    assert 0.05 < expected.corpus_wer.value < 0.3  # Whisper tiny.en on espeak-ng's synthetic voices: 16.8 %
    alignments = [m.value for m in at.markdown if m.value.startswith('<div class="alignment"')]
    assert len(alignments) == 3 and len(at.get("audio")) == 3  # the worst three, aligned, with players
    norms = _table(at, "normalisation")
    assert list(norms["normalisation"]) == ["none", "basic", "english"]
    assert norms["corpus WER"].iloc[0] > norms["corpus WER"].iloc[1] >= norms["corpus WER"].iloc[2]
    slices = _table(at, "slice")
    assert {"group / speaker", "source folder", "sample rate (Hz)", "duration"} == set(slices["slice"])
    assert any("Per-utterance WER" in c.proto.spec for c in at.get("plotly_chart"))

    at.radio(key="transcribe_norm").set_value("english").run()  # rescored, not retranscribed
    english = wer.score(references.sample_set_references("utterances", clips), [hyps[c.name] for c in clips],
                        normalisation="english")  # "twenty five" = "25": one error fewer
    assert {m.label: m.value for m in at.metric}["Corpus WER"] == f"{english.corpus_wer.value:.1%}"
    assert english.corpus_wer.value < expected.corpus_wer.value
    assert at.query_params["transcribe_norm"] == "english"  # the view is in the URL


def test_clips_without_references_say_no_metric_is_possible():
    at = _upload([("speech.wav", UTTERANCE.read_bytes()), ("quiet.wav", wav_bytes(np.zeros(16_000, np.float32)))])
    at = _transcribe(at)
    assert any("no metric is possible" in w.value for w in at.warning)
    assert not at.metric
    transcripts = _table(at, "transcript").set_index("file")["transcript"]
    assert len(transcripts) == 2 and "take a taxi to the airport" in transcripts["speech.wav"].lower()


def test_second_system_gets_per_utterance_differences_and_a_paired_bootstrap(tmp_path):
    folder = build_tiny_ctc(tmp_path / "tiny ctc")
    at = _transcribe(_page("utterances"), second=str(folder))
    assert any(h.value == "Two systems on the same clips" for h in at.subheader)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["B: corpus WER"].endswith("%") and metrics["B − A"].startswith("+")
    diffs = _table(at, "B − A")
    assert len(diffs) == 10 and (diffs["B − A"] == diffs["WER B"] - diffs["WER A"]).all()
    assert any("B is worse" in m.value for m in at.markdown)  # random weights against Whisper


def _upload(files: list[tuple[str, bytes]]) -> AppTest:
    at = _page(None)
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([(n, d, "audio/wav") for n, d in files]).run()
    return at


def test_uploads_with_a_reference_csv_flag_the_empty_reference():
    audio = UTTERANCE.read_bytes()
    at = _upload([("a.wav", audio), ("b.wav", audio)])
    assert any("0 of 2 clips have a reference" in c.value for c in at.caption)
    uploader = next(u for u in at.get("file_uploader") if u.proto.id.endswith("transcribe_refs") or
                    "Reference transcripts" in u.proto.label)
    uploader.set_value([("refs.csv", f'path,reference\na.wav,"{SAID}"\nb.wav,\n'.encode(), "text/csv")]).run()
    assert any("2 of 2 clips have a reference" in c.value for c in at.caption)
    at = _transcribe(at)
    assert {m.label: m.value for m in at.metric}["Corpus WER"] == "0.0%"
    assert any("b\\.wav" in w.value and "reference is empty" in w.value for w in at.warning)  # escaped name
    table = _table(at, "hypothesis")
    assert table.set_index("file").loc["b.wav", "note"] == "empty reference: no WER"


def test_hostile_file_names_and_transcripts_never_render_as_markup():
    name = "<b>*x*</b>.wav"
    at = _upload([(name, UTTERANCE.read_bytes())])
    uploader = next(u for u in at.get("file_uploader") if "Reference transcripts" in u.proto.label)
    csv = f'path,reference\n"{name}","<script>alert(1)</script> {SAID}"\n'.encode()
    uploader.set_value([("refs.csv", csv, "text/csv")]).run()
    at = _transcribe(at)
    at.radio(key="transcribe_norm").set_value("none").run()
    (alignment,) = [m.value for m in at.markdown if m.value.startswith('<div class="alignment"')]
    assert "<script>" not in alignment and "&lt;script&gt;alert(1)&lt;/script&gt;" in alignment
    assert any("\\<b\\>\\*x\\*\\</b\\>\\.wav" in m.value for m in at.markdown)  # the heading shows the name as typed


def test_an_unavailable_second_system_is_an_error_next_to_the_first_systems_results():
    at = _page("utterances")
    at.text_input(key="transcribe_second").set_value("openai/whisper-tiny")
    next(b for b in at.button if b.label == "Transcribe").click().run()
    assert not at.exception and any("Corpus WER" == m.label for m in at.metric)
    (error,) = [e.value for e in at.error]
    assert "Second system" in error and "whisper\\-tiny\\.en" in error and "huggingface\\-cli download" in error
