"""AppTest: every widget of every page keeps its value across a visit to another page.

Streamlit deletes a widget's value at the end of a run that does not draw it, and the browser's URL loses the
page's parameters on a page switch; `pages/_links.keep_widget_values` puts the values back. Each test changes every
keyed widget a page draws to a value other than its default, visits another page with the URL's parameters gone
(as the browser does), returns, and expects the same values. A widget the plan does not name fails the test, so a
new widget without a kept value cannot slip in.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.represent import encoders
from tests.helpers import noise, sine, wav_bytes

pytestmark = pytest.mark.usefixtures("private_cache")

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 300
WIDGETS = ("selectbox", "multiselect", "slider", "number_input", "text_input", "checkbox", "toggle", "radio")
SIDEBAR = {"source", "sample_set", "target"}  # drawn on every page: kept by being drawn
KEEP = object()  # in a plan: a widget left at its value (another would need a model that is not bundled)


def _app(sample_set: str = "spoken_digits") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.selectbox(key="sample_set").set_value(sample_set).run()
    return at


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _keyed(at: AppTest) -> dict[str, object]:
    """{widget key: value} of every keyed widget the page drew, sidebar excluded."""
    found = {}
    for kind in WIDGETS:
        for w in at.get(kind):
            if w.key is not None and w.key not in SIDEBAR:
                found[w.key] = w.value
    return found


def _unkeyed(at: AppTest) -> list[str]:
    return [w.label for kind in WIDGETS for w in at.get(kind) if w.key is None]


def _widget(at: AppTest, key: str):
    return next(w for kind in WIDGETS for w in at.get(kind) if w.key == key)


def _visit_and_return(at: AppTest, page: str, other: str | None = None) -> AppTest:
    other = other or ("pages/5_Decide.py" if page == "pages/1_Inspect.py" else "pages/1_Inspect.py")
    assert other != page
    _ok(at.switch_page(other).run())
    at.query_params.clear()  # the browser's URL after the switch holds the other page's parameters only
    return _ok(at.switch_page(page).run())


def _change_keep(at: AppTest, page: str, changes: dict, *, submit: str | None = None) -> None:
    """Set `changes` (every keyed widget on the page must be named), press `submit`, visit, return, compare."""
    drawn = _keyed(at)
    assert _unkeyed(at) == [], f"{page}: widgets without a key cannot keep their value"
    assert set(drawn) <= set(changes), f"{page}: widgets not in the plan: {sorted(set(drawn) - set(changes))}"
    for key, value in changes.items():
        if key in drawn and value is not KEEP:
            assert drawn[key] != value, f"{page}: {key} is already {value!r}: choose another value"
            _widget(at, key).set_value(value)
    if submit:
        next(b for b in at.button if b.label == submit).click()
    _ok(at.run())
    before = {key: _widget(at, key).value for key in drawn}
    assert all(before[k] == changes[k] for k in drawn if changes[k] is not KEEP), before
    _visit_and_return(at, page)
    after = {key: _widget(at, key).value for key in drawn}
    assert after == before, page


@pytest.mark.slow  # a comparison with speech_embedding (20 s)
def test_compare_keeps_every_setting():
    at = _app()
    _ok(at.switch_page("pages/2_Compare.py").run())
    _change_keep(at, "pages/2_Compare.py", {
        "compare_encoders": [encoders.SPEECH_EMBEDDING], "compare_custom": KEEP, "compare_layer": 2,
        "compare_folds": 3, "compare_groups": False, "compare_padding": "pad or trim", "compare_pad_s": 1.5,
        "compare_feature_rate": 8000, "compare_feature_mels": 40, "compare_feature_mfcc": 13,
        "compare_feature_window": 256, "compare_feature_hop": 80, "compare_label_issues_space": KEEP},
        submit="Run comparison")


@pytest.mark.slow  # a comparison and the label check (30 s)
def test_compare_keeps_the_run_and_the_label_issue_space():
    at = _app()
    _ok(at.switch_page("pages/2_Compare.py").run())
    at.multiselect(key="compare_encoders").set_value([encoders.SPEECH_EMBEDDING])
    at.slider(key="compare_folds").set_value(3)
    _ok(next(b for b in at.button if b.label == "Run comparison").click().run())
    space = at.selectbox(key="compare_label_issues_space")
    _ok(space.select_index(1 - space.index).run())  # the other of the two spaces (options are shown formatted)
    other = at.selectbox(key="compare_label_issues_space").value
    _visit_and_return(at, "pages/2_Compare.py", other="pages/5_Decide.py")
    assert at.selectbox(key="compare_label_issues_space").value == other
    assert at.multiselect(key="compare_encoders").value == [encoders.SPEECH_EMBEDDING]
    assert at.slider(key="compare_folds").value == 3


@pytest.mark.slow  # vectors and UMAP maps of the bundled digits
def test_embeddings_keeps_every_setting():
    at = _app()
    _ok(at.switch_page("pages/3_Embeddings.py").run())
    names = at.selectbox(key="embeddings_query").options
    _change_keep(at, "pages/3_Embeddings.py", {
        "embeddings_encoders": [], "embeddings_custom": KEEP, "embeddings_padding": "pad or trim",
        "embeddings_pad_s": 1.25, "embeddings_n_neighbors": 7, "embeddings_min_dist": 0.3,
        "embeddings_exclude_group": False, "embeddings_colour": "group", "embeddings_label_issues": KEEP,
        "embeddings_query": names[5], "embeddings_top_k": 4}, submit="Compute maps and retrieval")


def test_inspect_keeps_every_setting():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    clipped = np.clip(3 * sine(440), -1, 1)  # a finding to quarantine (clipping)
    files = [("clipped.wav", wav_bytes(clipped))] + [(f"n{i}.wav", wav_bytes(noise(seed=i))) for i in range(3)]
    at.sidebar.get("file_uploader")[0].set_value([(n, d, "audio/wav") for n, d in files]).run()
    assert at.multiselect(key="inspect_quarantine").value == ["clipping"]  # the default: its errors and warnings
    _change_keep(at, "pages/1_Inspect.py", {
        "clip_length_s": 1.5, "inspect_clip": "n2.wav", "inspect_quarantine": [], "inspect_list_format": ".jsonl"})


@pytest.mark.slow  # transcribes the bundled utterances
def test_transcribe_keeps_every_setting():
    at = _app("utterances")
    _ok(at.switch_page("pages/4_Transcribe.py").run())
    _change_keep(at, "pages/4_Transcribe.py", {
        "transcribe_model": KEEP, "transcribe_second": KEEP, "transcribe_beam": 2, "transcribe_temp": 0.2,
        "transcribe_language": KEEP, "transcribe_norm": "english", "transcribe_labels": KEEP,
        "transcribe_worst": KEEP}, submit="Transcribe")


@pytest.mark.slow  # the Decide page runs its analysis first (5 s); Inspect's test keeps the rule in the fast lane
def test_decide_keeps_the_task_and_the_retrieval_rule():
    at = _app()
    _ok(at.switch_page("pages/5_Decide.py").run())
    _ok(at.radio(key="decide_task").set_value("transcribe").run())
    _visit_and_return(at, "pages/5_Decide.py")
    assert at.radio(key="decide_task").value == "transcribe"


def test_another_target_model_resets_the_clip_length_to_its_default():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    _ok(at.number_input(key="clip_length_s").set_value(1.5).run())
    _ok(at.sidebar.selectbox(key="target").set_value(encoders.WHISPER_PADDED).run())
    assert at.number_input(key="clip_length_s").value == 30.0  # the model's fixed window, not the kept 1.5
