"""AppTest page tests: every page renders on bundled data and on uploads, warnings are the true ones."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import noise, raw_missing, sine, wav_bytes

TIMEOUT_S = 240
APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/2_Compare.py", "pages/3_Embeddings.py", "pages/4_Transcribe.py", "pages/5_Decide.py"]


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        titles.append(figure.get("layout", {}).get("title", {}).get("text", ""))
    return titles


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([(n, d, "audio/wav") for n, d in files]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow  # the fast lane keeps one Inspect test with uploads (and the clean list) and one test per page
def test_inspect_bundled_digits_shows_figures_and_rate_warning():
    at = _app()
    at.sidebar.selectbox(key="sample_set").set_value("spoken_digits").run()
    titles = _chart_titles(at)
    assert "Waveform" in titles and "Log-mel spectrogram" in titles
    warnings = " ".join(_texts(at.warning))
    assert "8000 Hz" in warnings and "16000 Hz" in warnings and "sample\\_rate" not in warnings
    table = at.dataframe[0].value
    assert len(table) == len(at.selectbox(key="inspect_clip").options) == 120


@pytest.mark.slow  # the fast lane keeps one Inspect test with uploads (and the clean list) and one test per page
def test_inspect_non_speech_set_under_speech_encoder_warns():
    at = _app()
    at.sidebar.selectbox(key="sample_set").set_value("sounds").run()
    at.sidebar.selectbox(key="target").set_value("wav2vec2-base").run()
    assert any("speech model" in w and "voice activity detection" in w for w in _texts(at.warning))
    at.sidebar.selectbox(key="target").set_value("AST AudioSet").run()
    assert not any("speech model" in w for w in _texts(at.warning))


def test_inspect_upload_8khz_warns_with_both_rates_and_shows_clip():
    at = _app()
    _upload(at, [("tone_8k.wav", wav_bytes(sine(440, sample_rate_hz=8000), sample_rate_hz=8000)),
                 ("noise_16k.wav", wav_bytes(noise()))])
    rate_warnings = [w for w in _texts(at.warning) if "resampled" in w]
    assert rate_warnings and "8000 Hz" in rate_warnings[0] and "16000 Hz" in rate_warnings[0]
    assert "tone\\_8k\\.wav" in rate_warnings[0]
    titles = _chart_titles(at)
    assert titles.count("Waveform") == 1 and "Log-mel spectrogram" in titles
    assert any("at 16000 Hz" in t for t in titles)  # the clip as the model sees it
    table = at.dataframe[0].value
    assert len(table) == 2 and "label" not in table and "group" not in table  # no column of blanks
    assert raw_missing(at) == []  # unlabelled, ungrouped uploads: no "None" anywhere


@pytest.mark.slow  # the fast lane keeps one Inspect test with uploads (and the clean list) and one test per page
def test_bad_files_become_error_rows_and_the_rest_loads():
    at = _app()
    _upload(at, [("empty.wav", b""), ("text.wav", b"this is not audio at all" * 10),
                 ("<script>alert(1)</script>.wav", wav_bytes(sine(300))), ("good.wav", wav_bytes(noise()))])
    assert any("could not be loaded" in e for e in _texts(at.error))
    failures = at.dataframe[0].value
    assert set(failures["file"]) == {"empty.wav", "text.wav"}
    assert any("empty" in m for m in failures["problem"])
    clips = at.dataframe[1].value
    assert set(clips["file"]) == {"<script>alert(1)</script>.wav", "good.wav"}
    for text in _texts(at.warning) + _texts(at.markdown):
        assert "<script>" not in text  # user text is escaped before markdown rendering


@pytest.mark.slow  # the fast lane keeps one Inspect test with uploads (and the clean list) and one test per page
def test_whisper_target_flags_30s_padding():
    at = _app()
    _upload(at, [("one_second.wav", wav_bytes(noise()))])
    at.sidebar.selectbox(key="target").set_value("whisper-tiny.en encoder (30 s padded)").run()
    assert any("pads every input to 30 s" in w for w in _texts(at.warning))
    assert any("97% padding" in m for m in _texts(at.markdown))


@pytest.mark.slow  # the fast lane keeps one Inspect test with uploads (and the clean list) and one test per page
def test_clip_length_changes_padding_numbers():
    at = _app()
    _upload(at, [("short.wav", wav_bytes(noise(duration_s=0.5))), ("long.wav", wav_bytes(noise(duration_s=2.0)))])
    at.number_input(key="clip_length_s").set_value(2.0).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Clips padded"] == "50%"
    assert metrics["Average input that is padding"] == "38%"  # (0.75 + 0) / 2
    assert metrics["Audio lost to truncation"] == "0%"


@pytest.mark.parametrize("page", PAGES)
def test_other_pages_render_with_the_same_dataset(page):
    at = _app()
    _upload(at, [("a.wav", wav_bytes(noise()))])
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(e.value for kind in ("info", "error", "warning", "markdown", "caption") for e in at.get(kind))
    assert "1 clips" in shown or "a\\.wav" in shown or "a.wav" in shown, shown  # the sidebar's upload is used
    assert raw_missing(at) == []


def _share_link(at: AppTest) -> str:
    """The URL in the sidebar's "Copy link to this view" box (st.code: the copy button is built in)."""
    from pages import _links

    labels = [m.value for m in at.sidebar.markdown]
    assert f"**{_links.SHARE_LABEL}**" in labels, labels
    links = [c.value for c in at.sidebar.code]
    assert len(links) == 1, links
    return links[0]


def _query(url: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _current_params(at: AppTest) -> dict[str, list[str]]:
    return {k: (list(v) if isinstance(v, list) else [v]) for k, v in at.query_params.items()}


@pytest.mark.slow  # the fast lane keeps one Inspect test with uploads (and the clean list) and one test per page
def test_copy_link_shows_the_views_url_and_no_upload_note_for_a_bundled_set():
    at = _app()
    link = _share_link(at)
    assert _query(link) == _current_params(at)
    assert {"source", "sample_set", "target", "inspect_clip"} <= set(_query(link))
    names = at.selectbox(key="inspect_clip").options
    at.selectbox(key="inspect_clip").set_value(names[3]).run()
    assert _query(_share_link(at))["inspect_clip"] == [names[3]]  # the run's final params, not the previous run's
    assert not any("private to this browser session" in c.value for c in at.sidebar.caption)


@pytest.mark.slow  # 23 s: five pages incl. Decide's analysis
def test_copy_link_on_every_page_carries_its_params_and_says_uploads_are_private():
    at = _app()
    rows = "path,label\n" + "".join(f"{c}{i}.wav,{c}\n" for c in "ab" for i in range(3))
    _upload(at, [(f"{c}{i}.wav", wav_bytes(sine(300 if c == "a" else 900, duration_s=0.5) + noise(
        duration_s=0.5, seed=i, amplitude=0.02))) for c in "ab" for i in range(3)] + [("labels.csv", rows.encode())])
    for page, own in [("pages/1_Inspect.py", "inspect_clip"), ("pages/2_Compare.py", "compare_folds"),
                      ("pages/3_Embeddings.py", "source"), ("pages/4_Transcribe.py", "transcribe_model"),
                      ("pages/5_Decide.py", "decide_task")]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        link = _share_link(at)
        assert _query(link) == _current_params(at), page
        assert own in _query(link) and _query(link)["source"] == ["My files"], (page, link)
        note = " ".join(c.value for c in at.sidebar.caption)
        assert all(s in note for s in ("private to this browser session", "same zip", "sample_audio")), (page, note)


def test_inspect_clean_list_quarantines_the_faulty_clips_with_their_reasons():
    clipped = np.clip(3 * sine(440), -1, 1)  # flat tops at full scale: ~60 % of samples clipped
    at = _app()
    # the first run's blank frame (display.hold_chart_place) is replaced by the waveform: every chart has data
    assert all(json.loads(c.proto.spec).get("data") for c in at.get("plotly_chart")), _chart_titles(at)
    _upload(at, [("clipped.wav", wav_bytes(clipped)), ("fine.wav", wav_bytes(noise())),
                 ("text.wav", b"this is not audio at all" * 10)])
    assert at.multiselect[0].value == ["clipping"]  # every error and warning found; notes are not faults
    (quarantine,) = [d.value for d in at.dataframe if "reasons" in d.value]
    assert list(quarantine["path"]) == ["clipped.wav", "text.wav"]
    assert quarantine["reasons"][0].startswith("clipping: clipped.wav:") and "unreadable" in quarantine["reasons"][1]
    assert any("**1** clips pass, **2** are quarantined" in m for m in _texts(at.markdown))
    at.multiselect[0].set_value([]).run()  # keep clipped clips: only the unreadable file stays out
    assert any("**2** clips pass, **1** are quarantined" in m for m in _texts(at.markdown))
