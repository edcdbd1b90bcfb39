"""AppTest: the Embeddings page on bundled data (baseline + Whisper unpadded) and on unlabelled uploads."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.data import sample_sets
from audiodiag.evaluation import projection
from audiodiag.plots.embedding_map import embedding_map_figure
from audiodiag.represent import encoders, spaces
from audiodiag.settings import ComparisonSettings
from tests.helpers import raw_missing, sine, wav_bytes

# the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py; each test starts with an
# empty cache, so what the page computes is counted
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("private_cache")]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/3_Embeddings.py"
TIMEOUT_S = 300


@pytest.fixture
def umap_calls(monkeypatch) -> list[int]:
    """Counts every UMAP the page computes (the real one runs); the page's UMAP cache starts empty."""
    from pages import _cache as cache

    calls: list[int] = []
    real = projection.umap_2d

    def counted(*args, **kwargs):
        calls.append(len(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(projection, "umap_2d", counted)
    cache._umap.clear()
    yield calls
    cache._umap.clear()


def _page(sample_set: str | None = None, *, before=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    if sample_set:
        at.sidebar.selectbox(key="sample_set").set_value(sample_set).run()
    if before:
        before(at)
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _maps(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _neighbour_tables(at: AppTest) -> list:
    return [d.value for d in at.dataframe if "cosine distance" in d.value.columns]


def test_sounds_page_shows_both_spaces_retrieval_neighbours_and_recolours_from_cache(umap_calls):
    at = _page("sounds")
    shown = [spaces.BASELINE, encoders.WHISPER_UNPADDED, encoders.AISFX]  # not speech: the target + a sound encoder
    assert [m["layout"]["title"]["text"] for m in _maps(at)] == shown
    assert umap_calls == [60, 60, 60]  # one map per space, all 60 clips
    table = at.dataframe[0].value
    assert list(table["space"]) == shown
    assert list(table["queries scored"]) == ["60 of 60"] * 3  # 12 clips per class: every query has relevant ones
    assert all(v.count("[") == 1 and float(v.split()[0]) <= 1 for v in table["precision@1 [95% CI]"])
    reading = " ".join(m.value for m in at.markdown)
    assert "retrieves the same class at rank 1 with precision@1" in reading and "vs" in reading

    tables = _neighbour_tables(at)
    query = at.selectbox(key="embeddings_query").value
    first = next(c for c in sample_sets.load_sample_set("sounds") if hasattr(c, "samples"))
    assert query == first.name and len(tables) == 3  # the first clip is the default query
    for t in tables:
        assert len(t) == 5 and query not in set(t["file"])
        assert list(t["cosine distance"]) == sorted(t["cosine distance"])
    assert len(at.get("audio")) == 1 + 3 * 5  # the query and every neighbour

    first_map = _maps(at)[0]["data"]
    assert len(first_map) == 5 + 1  # a trace per label and the ringed query
    at.selectbox(key="embeddings_colour").set_value("group").run()
    _ok(at)
    assert len(_maps(at)[0]["data"]) == 15 + 1  # 15 source recordings
    at.selectbox(key="embeddings_colour").set_value("duration (s)").run()
    _ok(at)
    assert umap_calls == [60, 60, 60]  # recolouring never recomputed a map

    assert at.toggle(key="embeddings_exclude_group").value  # groups given: the own group is excluded by default
    at.toggle(key="embeddings_exclude_group").set_value(False).run()
    _ok(at)
    table = at.dataframe[0].value
    assert (table["same-group neighbours"] == "included").all()
    assert (table["precision@1 with own group [95% CI]"] == table["precision@1 [95% CI]"]).all()
    at.toggle(key="embeddings_exclude_group").set_value(True).run()
    _ok(at)
    table = at.dataframe[0].value
    assert (table["same-group neighbours"] == "excluded").all()
    assert (table["precision@1 without own group [95% CI]"] == table["precision@1 [95% CI]"]).all()
    assert (table["nearest is own group"] != "—").all()  # measured with the own group allowed, whatever the rule
    for t in _neighbour_tables(at):
        assert first.group not in set(t["group"])  # the query's own source recording is left out
    other = [c.name for c in sample_sets.load_sample_set("sounds") if hasattr(c, "samples")][17]
    at.selectbox(key="embeddings_query").set_value(other).run()
    _ok(at)
    assert all(other not in set(t["file"]) for t in _neighbour_tables(at))
    assert umap_calls == [60, 60, 60]
    assert raw_missing(at) == []
    assert "compare_request" not in at.session_state and "compare_encoders" not in at.session_state


def test_defaults_follow_the_compare_pages_last_run(umap_calls):
    def compared(at: AppTest) -> None:  # what a Compare run leaves in the session
        at.session_state["compare_request"] = ComparisonSettings(encoders=(encoders.SPEECH_EMBEDDING,),
                                                                 group_aware=False, pad_s=1.0)

    at = _page("spoken_digits", before=compared)
    assert [m["layout"]["title"]["text"] for m in _maps(at)] == [spaces.BASELINE, encoders.SPEECH_EMBEDDING]
    assert at.multiselect(key="embeddings_encoders").value == [encoders.SPEECH_EMBEDDING]
    assert at.radio(key="embeddings_padding").value == "pad or trim"
    assert at.number_input(key="embeddings_pad_s").value == 1.0
    warnings = [w.value for w in at.warning]  # random folds (the Compare run's choice) split the 5 voices
    assert any("groups have clips on both sides" in w and "Keep groups apart" in w for w in warnings), warnings
    assert at.toggle(key="embeddings_label_issues").value  # after a Compare run its suspects are marked


def test_unlabelled_uploads_get_maps_but_no_retrieval_and_names_stay_text(umap_calls):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    files = [(f"tone_{i}.wav", wav_bytes(sine(200 + 150 * i)), "audio/wav") for i in range(5)]
    files.append(("<b>bold</b>.wav", wav_bytes(sine(1200)), "audio/wav"))
    at.sidebar.get("file_uploader")[0].set_value(files).run()
    at.switch_page(PAGE).run()
    _ok(at)
    assert any("Retrieval quality needs a label per clip" in i.value for i in at.info)
    custom = [p for trace in _maps(at)[0]["data"] for p in trace["customdata"]]
    names = {p[1] for p in custom}
    assert "&lt;b&gt;bold&lt;/b&gt;.wav" in names and "<b>bold</b>.wav" not in names
    assert len(umap_calls) == 3 and len(_neighbour_tables(at)) == 3  # tones are not speech: aiSFX is added
    for table in _neighbour_tables(at):  # no labels: "same label" is unknown, so it is not shown at all
        assert "same label" not in table.columns and set(table["label"]) == {"—"}
    assert any("no label, no group" in m.value for m in at.markdown)
    assert raw_missing(at) == []


def test_map_hover_escapes_user_text_and_carries_the_clip_index():
    figure = embedding_map_figure(np.zeros((3, 2)), names=["a.wav", "<i>b</i>.wav", "c.wav"],
                                  labels=["x", "<y>", "x"], colour_values=["x", "<y>", "x"], colour_name="label",
                                  categorical=True, title="space", selected=1)
    points = [p for trace in figure.data for p in trace.customdata]
    assert [1, "&lt;i&gt;b&lt;/i&gt;.wav", "&lt;y&gt;", "&lt;y&gt;"] in [list(p) for p in points]
    assert {t.name for t in figure.data} == {"x", "&lt;y&gt;", "selected"}


def test_selected_clip_reads_the_plotly_selection_event():
    from pages import _display as display

    event = {"selection": {"points": [{"curve_number": 1, "point_index": 0, "customdata": [7, "a.wav", "x", "x"]}],
                           "point_indices": [0], "box": [], "lasso": []}}
    assert display.selected_clip(event) == 7
    assert display.selected_clip({"selection": {"points": [], "point_indices": []}}) is None
    assert display.selected_clip(None) is None
