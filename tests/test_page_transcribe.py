"""AppTest: the Transcribe page on the bundled utterances with the bundled model."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _page(sample_set: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"sample_set": sample_set})
    at.switch_page("pages/4_Transcribe.py")
    at.run()
    next(b for b in at.button if b.label == "Transcribe").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_bundled_utterances_show_corpus_wer_table_and_alignment():
    at = _page("utterances")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Corpus WER"].endswith("%") and "Mean per-utterance WER" in metrics
    value = float(metrics["Corpus WER"].rstrip("%")) / 100
    assert 0 <= value < 0.3  # Whisper tiny.en on clean read speech
    table = next(d.value for d in at.dataframe if "hypothesis" in d.value.columns and "WER" in d.value.columns)
    assert len(table) == 7 and table["WER"].notna().all()
    alignments = [m.value for m in at.markdown if m.value.startswith('<div class="alignment">')]
    assert len(alignments) == 3  # the worst three, aligned
    norms = next(d.value for d in at.dataframe if "normalisation" in d.value.columns)
    assert list(norms["normalisation"]) == ["none", "basic", "english"]


def test_set_without_references_says_no_metric_is_possible():
    at = _page("sounds")
    assert any("no metric is possible" in w.value for w in at.warning)
    assert not at.metric
