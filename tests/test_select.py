"""Listening to what a chart shows: a selected bar, confusion cell, map point or table row lists exactly the clips
behind it, with a player, a spectrogram and the clip's findings (issue 29).

AppTest cannot click a chart, but a chart's selection can be set through session_state under its key: the tests
take the point to select from the figure the page drew (its customdata), so what is checked is the page's own
mapping from a chart mark to clips, against names known from how the data was made.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.evaluation import confusions
from audiodiag.plots.audio import DURATION_BINS, duration_bins, duration_histogram
from audiodiag.plots.comparison import confusion_figure
from pages import _display as display
from pages._display import md_escape
from tests.helpers import noise, sine, wav_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 300
RATE_HZ = 16_000


# ---------------------------------------------------------------- pure: marks carry their clips

def test_cell_members_lists_the_clips_of_each_true_and_predicted_pair():
    cells = confusions.cell_members(["a", "b", "b", "a", "b"], ["a", "a", "b", "b", "a"], labels=["a", "b"])
    assert cells == [[[0], [3]], [[1, 4], [2]]]
    counts = confusions.confusion(["a", "b", "b", "a", "b"], ["a", "a", "b", "b", "a"], labels=["a", "b"]).counts
    assert [[len(c) for c in row] for row in cells] == counts.tolist()


def test_confusion_cells_are_selectable_markers_carrying_their_clips():
    cells = [[[0, 2, 4, 6, 8, 10, 12], [5]], [[], [1, 3, 7]]]
    fig = confusion_figure(["<a>", "b"], np.array([[7, 1], [0, 3]]), title="t", cells=cells)
    heatmap, marks = fig.data
    assert heatmap.type == "heatmap" and heatmap.hoverinfo == "skip" and marks.type == "scatter"
    by_cell = {(c[1], c[2]): c[0] for c in marks.customdata}
    assert by_cell == {(0, 0): [0, 2, 4, 6, 8, 10, 12], (0, 1): [5], (1, 0): [], (1, 1): [1, 3, 7]}
    at = {(c[1], c[2]): (x, y) for c, x, y in zip(marks.customdata, marks.x, marks.y)}
    assert at[(0, 1)] == ("b", "&lt;a&gt;")  # predicted on x, true on y, names escaped as on the heatmap's axes
    hover = {(c[1], c[2]): f"{c[3]} ({c[4]})" for c in marks.customdata}  # 1 of 8 is 12.5 %: one rounding, not two
    assert hover[(0, 1)] == heatmap.text[0][1] == "1 (12%)" and "%{customdata[4]}" in marks.hovertemplate
    assert confusion_figure(["a", "b"], np.eye(2, dtype=int), title="t").data[0].hoverinfo is None


def test_duration_bars_carry_exactly_the_clips_in_their_bin():
    durations = [0.5, 0.52, 2.0, 3.0, 3.0]
    labels = ["x", "y", "x", "x", "y"]
    edges, bin_of = duration_bins(durations, n_bins=5)
    assert edges[0] == pytest.approx(0.5) and edges[-1] == pytest.approx(3.0)
    assert bin_of.tolist() == [0, 0, 3, 4, 4]  # the maximum is in the last bin (closed on the right)
    fig = duration_histogram(durations, labels, clip_length_s=None)
    bars = {(trace.name, tuple(c[0])) for trace in fig.data for c in trace.customdata}
    n_bins = len(duration_bins(durations)[0]) - 1
    assert n_bins == DURATION_BINS
    assert bars == {("x", (0,)), ("x", (2,)), ("x", (3,)), ("y", (1,)), ("y", (4,))}
    for trace in fig.data:  # each bar spans its bin: its clips' durations lie inside it
        for (members, low, high), x, height in zip(trace.customdata, trace.x, trace.y):
            assert height == len(members) and low <= x <= high
            assert all(low - 1e-9 <= durations[i] <= high + 1e-9 for i in members)


def _event(*customdata) -> dict:
    return {"selection": {"points": [{"point_index": k, "customdata": c} for k, c in enumerate(customdata)],
                          "point_indices": list(range(len(customdata))), "box": [], "lasso": []}}


def test_selected_clips_reads_points_bars_and_cells_once_each():
    assert display.selected_clips(_event([7, "a.wav", "x", "x"], [3, "b.wav", "y", "y"])) == [7, 3]  # map points
    assert display.selected_clips(_event([[4, 1], 0.5, 1.0], [[1, 9], 1.0, 1.5])) == [4, 1, 9]  # bars, overlapping
    assert display.selected_clips(_event([[], 1, 0, 0, 0.0])) == []  # an empty cell
    # as the browser sends a cell: Streamlit's frontend turns an array nested in customdata into {"0": ..., ...}
    browser_cell = [{"0": 16, "1": 3, "2": 11, "3": 2, "4": 5, "5": 7, "6": 9, "7": 12, "8": 14, "9": 1, "10": 0}, 1, 0]
    assert display.selected_clips(_event(browser_cell)) == [16, 3, 11, 2, 5, 7, 9, 12, 14, 1, 0]
    assert display.selected_clips(_event([{}, 1, 0, 0, 0.0])) == []
    marks = {"selection": {"points": [{"point_index": 0}, {"point_index": 1, "customdata": [2, "c.wav"]}]}}
    assert display.selected_clips(marks) == [2]  # a mark without customdata (a ✕ over a map) is no clip
    assert display.selected_clips(None) == [] and display.selected_clips({"selection": {"points": []}}) == []
    assert display.selected_rows({"selection": {"rows": [2, 0], "columns": [], "cells": []}}) == [2, 0]
    assert display.selected_rows(None) == []


# ---------------------------------------------------------------- pages

def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _labels_csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["path", "label"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(files: list[tuple[str, bytes]]) -> AppTest:
    at = _ok(AppTest.from_file(APP, default_timeout=TIMEOUT_S).run())
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(
        [(n, d, "text/csv" if n.endswith(".csv") else "audio/wav") for n, d in files]).run()
    return _ok(at)


def _figure(at: AppTest, key: str) -> dict:
    """The figure of the chart drawn with this key (its element id ends with the key)."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))
    return json.loads(chart.proto.spec)


def _select(at: AppTest, key: str, customdata: list[list]) -> AppTest:
    """What the browser sends when these marks are clicked: a selection event under the chart's key."""
    at.session_state[key] = _event(*customdata)
    return _ok(at.run())


SHOWN_CLIP = re.compile(r"^\*\*(.+)\*\*: label [^,]+, \d+\.\d\d s$")  # the selection view's line per clip


def _shown_clips(at: AppTest) -> list[str]:
    """Names of the clips the selection view shows, markdown-escaped."""
    return [found.group(1) for m in at.markdown if (found := SHOWN_CLIP.match(m.value))]


@pytest.mark.slow  # the fast lane keeps one AppTest per page (tests/test_pages.py); this one takes ~7 s
def test_inspect_a_duration_bar_lists_the_clips_of_that_length_with_player_spectrogram_and_findings():
    files = [("short_a.wav", wav_bytes(sine(300, duration_s=0.5))),
             ("short_b.wav", wav_bytes(sine(500, duration_s=0.5))),
             ("long.wav", wav_bytes(noise(duration_s=2.0))), ("quiet.wav", wav_bytes(np.zeros(RATE_HZ * 2)))]
    at = _upload(files)
    key = "inspect_duration_selection"
    assert any("Click a bar" in c.value for c in at.caption)
    bars = [c for trace in _figure(at, key)["data"] for c in trace["customdata"]]
    short = next(c for c in bars if c[1] <= 0.5 <= c[2])
    audio_before = len(at.get("audio"))
    at = _select(at, key, [short])
    assert sorted(_shown_clips(at)) == [md_escape("short_a.wav"), md_escape("short_b.wav")]
    assert len(at.get("audio")) == audio_before + 2
    spectrograms = [c for c in at.get("plotly_chart") if f"{key}_spectrogram_" in c.proto.id]
    assert len(spectrograms) == 2
    assert any(m.value.startswith(f"**{md_escape('Clips of 0.50–0.55 s')}**: 2 clip(s)") for m in at.markdown)
    def silent_boxes() -> int:
        return sum("quiet\\.wav: the whole clip is silent" in e.value for e in at.error)

    before = silent_boxes()  # Inspect's own lists (the chosen clip is short_a.wav, not this one)
    long_bar = next(c for c in bars if c[1] <= 2.0 <= c[2])  # the noise and the silent clip: 2 s each
    at = _select(at, key, [long_bar])
    assert sorted(_shown_clips(at)) == [md_escape("long.wav"), md_escape("quiet.wav")]
    assert silent_boxes() == before + 1  # the silent clip's finding, under its spectrogram


def test_players_keep_the_clips_level_and_play_silence_as_silence():
    import soundfile as sf

    from tests.helpers import make_clip

    quiet = make_clip(0.01 * sine(440), name="quiet.wav")
    played, rate = sf.read(io.BytesIO(display.playable_wav(quiet)), dtype="float32")
    peak = float(np.max(np.abs(quiet.samples)))
    assert peak < 0.05 and rate == RATE_HZ
    assert float(np.max(np.abs(played))) == pytest.approx(peak, abs=2 / 32768)  # not scaled up to full scale
    silent, _ = sf.read(io.BytesIO(display.playable_wav(make_clip(np.zeros(RATE_HZ), name="silent.wav"))))
    assert not np.any(silent)


MISLABELLED = "odd_one.wav"  # white noise, labelled "tone": the model that never saw it calls it noise


def _tones_and_noise_with_one_mislabelled() -> list[tuple[str, bytes]]:
    files = [(f"tone_{i}.wav", wav_bytes(sine(300 + 40 * i, duration_s=0.5))) for i in range(8)]
    files += [(f"noise_{i}.wav", wav_bytes(noise(duration_s=0.5, seed=i))) for i in range(8)]
    files.append((MISLABELLED, wav_bytes(noise(duration_s=0.5, seed=99))))
    labels = [(name, "tone" if name.startswith("tone") or name == MISLABELLED else "noise") for name, _ in files]
    return [*files, ("labels.csv", _labels_csv(labels))]


def _compared() -> AppTest:
    at = _upload(_tones_and_noise_with_one_mislabelled())
    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_encoders").set_value([])  # the baseline alone: fast, and it separates these
    at.slider(key="compare_folds").set_value(3)
    next(b for b in at.button if b.label == "Run comparison").click().run()
    return _ok(at)


@pytest.mark.slow  # ~20 s: a comparison
def test_compare_a_confusion_cell_and_a_label_issue_row_list_exactly_their_clips():
    at = _compared()
    from audiodiag.represent import spaces

    key = f"confusion_{spaces.BASELINE}"
    assert any("Click a cell" in c.value for c in at.caption)
    cells = {(c[1], c[2]): c for trace in _figure(at, key)["data"][1:] for c in trace["customdata"]}
    classes = ["noise", "tone"]  # the comparison's class order: sorted
    tone_as_noise = cells[(classes.index("tone"), classes.index("noise"))]
    at = _select(at, key, [tone_as_noise])
    assert _shown_clips(at) == [md_escape(MISLABELLED)]
    title = md_escape(f"{spaces.BASELINE}: true tone, predicted noise")
    assert any(m.value.startswith(f"**{title}**: 1 clip(s)") for m in at.markdown), [m.value for m in at.markdown]

    tone_as_tone = cells[(classes.index("tone"), classes.index("tone"))]
    at = _select(at, key, [tone_as_tone])
    assert sorted(_shown_clips(at)) == sorted(md_escape(f"tone_{i}.wav") for i in range(display.SELECTED_CLIPS_SHOWN))
    assert any(c.value.startswith(f"{8 - display.SELECTED_CLIPS_SHOWN} more selected clip(s)") for c in at.caption)

    at = _select(at, key, [])  # cleared: nothing listed
    assert _shown_clips(at) == []
    table = next(d for d in at.dataframe if "p(suggested)" in d.value.columns)
    assert table.value["file"].iloc[0] == MISLABELLED
    at.session_state["compare_label_issues_rows"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    _ok(at.run())
    assert _shown_clips(at) == [md_escape(MISLABELLED)]
    assert not [k for k in at.query_params if k.startswith("confusion_") or k == "compare_label_issues_rows"]


@pytest.mark.slow  # ~30 s: a comparison, then a UMAP
def test_embeddings_a_lasso_on_the_map_lists_the_clips_inside_and_keeps_the_query():
    at = _compared()  # its settings (the baseline alone) are the maps' default
    at.switch_page("pages/3_Embeddings.py").run()
    _ok(at)
    key = "embeddings_map_0"
    points = {c[1]: c for trace in _figure(at, key)["data"] for c in trace.get("customdata") or ()}
    query = at.selectbox(key="embeddings_query").value
    lassoed = [points["tone_3.wav"], points[MISLABELLED], points["noise_5.wav"]]
    at = _select(at, key, lassoed)
    assert sorted(_shown_clips(at)) == sorted(md_escape(n) for n in ("tone_3.wav", MISLABELLED, "noise_5.wav"))
    assert at.selectbox(key="embeddings_query").value == query  # several clips: no new query
    at = _select(at, key, [points["noise_5.wav"]])  # one clicked point: the neighbour browser's query, as before
    assert at.selectbox(key="embeddings_query").value == "noise_5.wav"


@pytest.mark.slow  # ~30 s: transcribes the bundled utterances
def test_transcribe_ticked_rows_list_those_utterances():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update({"sample_set": "utterances"})
    at.switch_page("pages/4_Transcribe.py").run()
    next(b for b in at.button if b.label == "Transcribe").click().run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "note" in d.value.columns)  # every utterance
    worst = int(np.argmax(table["WER"].to_numpy(dtype=float)))
    rows = sorted({worst, 0})
    audio_before = len(at.get("audio"))
    at.session_state["transcribe_rows"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    _ok(at.run())
    assert _shown_clips(at) == [md_escape(table["file"].iloc[r]) for r in rows]
    assert len(at.get("audio")) == audio_before + len(rows)
    assert "transcribe_rows" not in at.query_params
