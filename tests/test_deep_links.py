"""Deep links: the dataset, target model and page settings live in the URL, so a shared link opens the same view."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.data import sample_sets
from audiodiag.represent import encoders

pytestmark = pytest.mark.slow  # the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 240


def _open(page: str | None, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_link_selects_dataset_and_target_and_the_url_follows_changes():
    at = _open(None, {"sample_set": "sounds", "target": "AST AudioSet"})
    assert at.sidebar.selectbox(key="sample_set").value == "sounds"
    assert at.sidebar.selectbox(key="target").value == "AST AudioSet"
    at.sidebar.selectbox(key="sample_set").set_value("spoken_digits").run()
    assert at.query_params["sample_set"] == "spoken_digits"  # copying the URL now shares the new choice


def test_link_with_an_invalid_value_warns_and_keeps_the_default():
    at = _open(None, {"sample_set": "<b>nope</b>"})
    assert at.sidebar.selectbox(key="sample_set").value != "<b>nope</b>"
    warning = next(w.value for w in at.warning if "Link parameter ignored" in w.value)
    assert "sample\\_set=\\<b\\>nope\\</b\\>" in warning and "not one of" in warning


def test_compare_link_restores_the_settings_and_reruns_the_comparison():
    params = {"sample_set": "sounds", "compare_encoders": [encoders.SPEECH_EMBEDDING], "compare_folds": "3",
              "compare_groups": "true", "compare_padding": "pad or trim", "compare_pad_s": "0.8", "compare_run": "1"}
    at = _open("pages/2_Compare.py", params)
    assert at.multiselect(key="compare_encoders").value == [encoders.SPEECH_EMBEDDING]
    assert at.slider(key="compare_folds").value == 3
    assert at.radio(key="compare_padding").value == "pad or trim"
    assert at.number_input(key="compare_pad_s").value == 0.8
    captions = " ".join(c.value for c in at.caption)
    assert "Folds: 3\\-fold stratified group folds" in captions  # the comparison ran with the linked settings
    assert "Padding: pad or trim to 0\\.8 s" in captions
    spaces_shown = at.dataframe[-1].value["space"].tolist() if "space" in at.dataframe[-1].value else []
    assert any("speech_embedding" in s for s in spaces_shown), spaces_shown


def test_inspect_link_opens_the_same_clip_and_clip_length():
    names = [c.name for c in sample_sets.load_sample_set("spoken_digits") if hasattr(c, "samples")]
    at = _open(None, {"sample_set": "spoken_digits", "inspect_clip": names[7], "clip_length_s": "0.5"})
    assert at.selectbox(key="inspect_clip").value == names[7]
    assert at.number_input(key="clip_length_s").value == 0.5
    at.selectbox(key="inspect_clip").set_value(names[3]).run()
    assert at.query_params["inspect_clip"] == names[3]


def test_inspect_clip_length_follows_the_target_model_not_the_dataset():
    """No pad/cut length by default (no cut warning on a fresh dataset); a fixed-input target sets its window."""
    at = _open(None, {"sample_set": "spoken_digits"})
    assert at.number_input(key="clip_length_s").value == 0.0
    assert not any("cutting clips" in w.value or "padded to" in w.value for w in at.warning)
    at.sidebar.selectbox(key="sample_set").set_value("sounds").run()
    assert at.number_input(key="clip_length_s").value == 0.0
    whisper = next(name for name, spec in encoders.CATALOGUE.items() if spec.fixed_input_s)
    at.sidebar.selectbox(key="target").set_value(whisper).run()
    assert at.number_input(key="clip_length_s").value == pytest.approx(30.0)
    assert any("pads every input to 30 s" in w.value for w in at.warning)