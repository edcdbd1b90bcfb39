"""Known answers for the figures: axes that say what the numbers are, every shaded region labelled, no chart of an
effect that is not there, and slices in value order."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from plotly import colors as px_colours

from audiodiag import plots
from audiodiag.asr import wer
from audiodiag.evaluation import compare, evaluate
from audiodiag.evaluation.evaluate import Estimate
from audiodiag.plots.audio import duration_histogram, spectrogram_figure, waveform_figure
from audiodiag.plots.comparison import confusion_figure, f1_difference_figure, padding_accuracy_figure
from audiodiag.plots.curves import curve_ticks, layer_sweep_figure, learning_curve_figure, loss_curves_figure
from audiodiag.plots.embedding_map import SUSPECT_LEGEND, SUSPECT_LINE_PX, embedding_map_figure
from audiodiag.plots.style import MODEBAR_BAND_PX, PLOTLY_DEFAULT_HEIGHT_PX, QUALITATIVE_COLOURS, TITLE_BAND_PX, framed
from audiodiag.plots.wer import wer_histogram_figure
from audiodiag.verdict import ladder_chart
from audiodiag.verdict.pair_verdicts import pair_headline
from tests.helpers import noise, sine

SIZES = (1.0, 2.0, 5.0, 10.0, 20.0, 48.0)


def _curve(offset: float) -> list[tuple[float, float, float]]:
    return [(k, min(1.0, 0.3 + offset + 0.1 * i), 0.05) for i, k in enumerate(SIZES)]


def test_learning_curve_axis_says_clips_per_class_with_ticks_at_the_measured_sizes():
    fig = learning_curve_figure({"baseline": _curve(0.0), "whisper": _curve(0.1)})
    assert fig.layout.xaxis.title.text.startswith("clips per class")
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.tickvals) == list(SIZES)
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "5", "10", "20", "48"]  # never "2" for 20


def test_learning_curve_one_legend_entry_and_colour_per_space_and_filled_bands():
    fig = learning_curve_figure({"baseline": _curve(0.0), "whisper": _curve(0.1), "aisfx": _curve(0.2)})
    shown = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in shown] == ["baseline", "whisper", "aisfx"]
    assert len({t.line.color for t in shown}) == 3
    bands = [t for t in fig.data if t.fill == "tonexty"]
    assert len(bands) == 3
    for band in bands:  # the band's upper edge, filled down to the lower edge drawn just before it
        i = fig.data.index(band)
        lower = fig.data[i - 1]
        assert all(hi >= lo for hi, lo in zip(band.y, lower.y))
        assert band.legendgroup == lower.legendgroup and band.fillcolor.startswith("rgba(")


def test_learning_curve_ticks_that_would_overlap_are_thinned_keeping_the_largest():
    assert curve_ticks([1, 2, 5, 10, 20, 21.4]) == [1, 2, 5, 10, 21]  # 20 sits within 15 % of 21
    assert curve_ticks([5, 5, 2]) == [2, 5]


def test_padding_chart_is_not_drawn_when_no_clip_is_padded():
    unpadded = compare.accuracy_by_padding(np.array([True, False, True]), np.zeros(3))
    series = {"baseline": [(b.low, b.high, b.n_clips, b.accuracy, b.mean_fraction) for b in unpadded]}
    assert padding_accuracy_figure(series) is None


def test_padding_chart_bins_start_at_zero_and_points_sit_at_the_mean_padded_fraction():
    bins = compare.accuracy_by_padding(np.array([True, True, False, False]), np.array([0.0, 0.1, 0.6, 0.7]))
    fig = padding_accuracy_figure({"x": [(b.low, b.high, b.n_clips, b.accuracy, b.mean_fraction)
                                               for b in bins]})
    assert fig is not None
    assert fig.layout.xaxis.tickvals[0] == 0.0 and fig.layout.xaxis.range[0] <= 0
    assert list(fig.layout.xaxis.tickvals) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.allclose(fig.data[0].x, [0.05, 0.65]) and list(fig.data[0].y) == [1.0, 0.0]


def test_upsampled_spectrogram_labels_the_empty_band_above_the_files_nyquist():
    samples = noise(duration_s=0.5)
    fig = spectrogram_figure(samples, sample_rate_hz=16_000, original_sample_rate_hz=8_000)
    (band,) = fig.layout.shapes
    assert (band.y0, band.y1) == (4_000, 8_000)
    (label,) = fig.layout.annotations
    assert "empty: above the file's 4 kHz Nyquist" in label.text and label.y == 6_000


def test_spectrogram_without_upsampling_has_no_band():
    fig = spectrogram_figure(noise(duration_s=0.5), sample_rate_hz=16_000, original_sample_rate_hz=16_000)
    assert not fig.layout.shapes and not fig.layout.annotations
    assert not spectrogram_figure(noise(duration_s=0.5), sample_rate_hz=16_000).layout.shapes  # default


def test_waveform_shading_has_legend_entries():
    samples = np.concatenate([np.zeros(8_000, np.float32), sine(duration_s=0.5)])
    fig = waveform_figure(samples, sample_rate_hz=16_000)
    assert fig.layout.shapes  # the silent first half is shaded ...
    assert [t.name for t in fig.data if t.showlegend is not False] == ["silent (25 ms frames)"]  # ... and named


def test_duration_slices_sort_by_value_not_alphabetically():
    durations = [12.0, 0.7, 3.0, 40.0, 6.0]
    values = [wer.duration_bucket(d) for d in durations]
    scores = wer.score(["a b"] * 5, ["a b"] * 5)
    order = [s.value for s in wer.slice_scores(scores, {"duration": values}, n_boot=10)]
    assert order == ["0–2 s", "2–5 s", "5–10 s", "10–30 s", "≥ 30 s"]
    ranges = ["10-20 s", "1-2 s", "0.5-1 s"]
    order = [s.value for s in wer.slice_scores(wer.score(["a"] * 3, ["a"] * 3), {"duration": ranges}, n_boot=10)]
    assert order == ["0.5-1 s", "1-2 s", "10-20 s"]


def test_verdict_headline_says_the_result_once_with_the_ci_and_p_value():
    pair = evaluate.PairedComparison(
        name_a="spectral baseline (MFCC/log-mel)", name_b="whisper-tiny.en", n_clips=300, accuracy_a=0.5,
        accuracy_b=0.87, difference=Estimate(0.37, 0.28, 0.46), only_a_right=2, only_b_right=113,
        p_value=1.234e-11, verdict="yes", explanation="")
    assert pair_headline(pair) == ("whisper-tiny.en beats the baseline: accuracy +0.370 [+0.280, +0.460], "
                                         "paired p = 1.23e-11")
    assert evaluate.format_p(0.007812) == "0.00781"
    unclear = dataclasses.replace(pair, verdict="inconclusive", difference=Estimate(0.083, -0.017, 0.2), p_value=0.227)
    assert pair_headline(unclear) == ("whisper-tiny.en is inconclusive against the baseline: "
                                            "accuracy +0.083 [-0.017, +0.200], paired p = 0.227")


def test_f1_difference_hover_never_reads_negative_zero():
    fig = f1_difference_figure({"tap": -0.0001, "kettle": 0.25}, title="F1")
    assert list(fig.data[0].customdata) == ["+0.000", "+0.250"] and "%{customdata}" in fig.data[0].hovertemplate


def test_a_ten_class_confusion_matrix_names_every_class_and_counts_each_cell():
    digits = [str(d) for d in range(10)]
    counts = np.diag([6] * 10)
    counts[0, 0], counts[0, 7] = 5, 1
    fig = confusion_figure(digits, counts, title="digits")
    for axis in (fig.layout.xaxis, fig.layout.yaxis):  # "0" … "9" as categories, one tick each: not "0, 5"
        assert axis.type == "category" and list(axis.tickvals) == digits
    text = fig.data[0].text
    assert text[0][0] == "5 (83%)" and text[0][7] == "1 (17%)" and text[1][1] == "6 (100%)" and text[0][1] == ""
    bars = f1_difference_figure({d: 0.1 for d in digits}, title="F1")
    assert bars.layout.xaxis.type == "category" and list(bars.layout.xaxis.tickvals) == digits


# ---------------------------------------------------------------- pictures that read at a glance (issue 29)

def test_clips_per_class_ticks_are_whole_numbers_and_the_axis_reaches_past_the_last():
    sizes = (1.0, 2.0, 5.0, 9.6)  # 9.6: the mean of full training folds, 48 clips over 5 classes
    fig = learning_curve_figure({"baseline": [(k, 0.5, 0.05) for k in sizes]})
    assert list(fig.layout.xaxis.tickvals) == [1, 2, 5, 10]
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "5", "10"]  # never "9.6"
    low, high = fig.layout.xaxis.range  # log10 units
    assert 10 ** low < 1 and 10 ** high > 10
    assert curve_ticks([0.4, 1.4, 2.6]) == [1, 3]  # at least one clip; 1 and 1 are one tick


def _ladder_row(space: str, rung: str, *, verdict=None, recommended=False) -> dict:
    return {"rung": rung, "space": space, "accuracy": {"value": 0.8, "ci_low": 0.7, "ci_high": 0.9},
            "difference": None if verdict is None else {"value": 0.1, "ci_low": 0.0, "ci_high": 0.2},
            "versus": "baseline", "verdict": verdict, "mark": "reference" if verdict is None else verdict,
            "seconds_per_clip": 0.01, "recommended": recommended}


LONG_TITLE = "whisper-tiny.en encoder (unpadded) minus the spectral baseline (MFCC/log-mel), per class"
FIGURES = {  # every figure function of audiodiag.plots' modules, with small inputs
    "waveform_figure": lambda: waveform_figure(np.concatenate([np.zeros(8_000, np.float32), sine()]),
                                               sample_rate_hz=16_000, title=LONG_TITLE),
    "spectrogram_figure": lambda: spectrogram_figure(noise(duration_s=0.5), sample_rate_hz=16_000,
                                                     title=LONG_TITLE),
    "duration_histogram": lambda: duration_histogram([1.0, 2.0, 3.0], ["a", "b", "a"], clip_length_s=2.0),
    "confusion_figure": lambda: confusion_figure(["a", "b"], np.array([[2, 1], [0, 3]]), title=LONG_TITLE),
    "padding_accuracy_figure": lambda: padding_accuracy_figure(
        {"x": [(0.0, 0.5, 2, 1.0, 0.1), (0.5, 1.0, 2, 0.5, 0.7)], "y": [(0.0, 0.5, 2, 0.5, 0.2)]}),
    "f1_difference_figure": lambda: f1_difference_figure({"a": 0.1, "b": -0.2}, title=LONG_TITLE),
    "learning_curve_figure": lambda: learning_curve_figure({"baseline": _curve(0.0), LONG_TITLE: _curve(0.1)}),
    "layer_sweep_figure": lambda: layer_sweep_figure(
        [(0, "mean", 0.5, 0.4, 0.6), (1, "mean", 0.6, 0.5, 0.7), (1, "first", 0.55, 0.45, 0.65)], title=LONG_TITLE),
    "loss_curves_figure": lambda: loss_curves_figure([[1.0, 0.5], [0.9, 0.4]]),
    "ladder_figure": lambda: ladder_chart.ladder_figure([_ladder_row("spectral baseline", "baseline"),
                                                         _ladder_row("whisper", "frozen encoder", verdict="yes",
                                                                     recommended=True)]),
    "embedding_map_figure": lambda: embedding_map_figure(
        np.arange(12.0).reshape(6, 2), names=[f"{i}.wav" for i in range(6)], labels=list("aabbcc"),
        colour_values=list("aabbcc"), colour_name="label", categorical=True, title=LONG_TITLE, selected=0,
        suspects=[1]),
    "wer_histogram_figure": lambda: wer_histogram_figure([0.1, 0.2, 0.5], corpus_wer=0.2, title=LONG_TITLE),
}


def _figure_functions() -> set[str]:
    modules = [importlib.import_module(f"audiodiag.plots.{m.name}") for m in pkgutil.iter_modules(plots.__path__)]
    return {name for module in modules for name, f in inspect.getmembers(module, inspect.isfunction)
            if f.__module__ == module.__name__ and "Figure" in str(inspect.signature(f).return_annotation)
            and f is not framed}


def test_every_figure_function_is_checked_below():
    missing = _figure_functions() - set(FIGURES)
    assert not missing, f"add an example of {sorted(missing)} to FIGURES, so the layout rule is checked for it"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_mode_bar_band_holds_neither_title_nor_legend(name):
    """plotly's mode bar sits in the top MODEBAR_BAND_PX of a chart, at the right: the title starts below that
    band, in the top margin, and the legend starts level with the plot area (below the title), outside it."""
    fig = FIGURES[name]()
    layout = fig.layout
    height = layout.height or PLOTLY_DEFAULT_HEIGHT_PX
    band = MODEBAR_BAND_PX
    assert layout.margin.t >= band
    if layout.title.text:
        assert layout.title.yref == "container" and layout.title.yanchor == "top"
        title_top_px = (1 - layout.title.y) * height
        assert title_top_px == pytest.approx(band, abs=0.5)
        assert title_top_px + TITLE_BAND_PX <= layout.margin.t + 0.5  # the title's line ends above the plot
        assert layout.title.xanchor == "left" and layout.title.x == 0
    if layout.showlegend is not False and any(t.showlegend is not False for t in fig.data):
        legend = layout.legend
        assert legend.yref == "paper" and legend.yanchor == "top" and legend.y <= 1  # starts at the plot's top
        assert legend.xanchor == "left" and legend.x >= 1  # right of the plot area


def test_map_class_colours_come_from_the_colour_blind_safe_palette():
    classes = [str(k) for k in range(12)]  # more classes than colours: the colours again, another symbol
    fig = embedding_map_figure(np.arange(24.0).reshape(12, 2), names=[f"{c}.wav" for c in classes],
                               labels=classes, colour_values=classes, colour_name="label", categorical=True,
                               title="map")
    traces = [t for t in fig.data if t.name in classes]
    assert [t.name for t in traces] == classes
    assert all(t.marker.color in QUALITATIVE_COLOURS for t in traces)
    looks = {(t.marker.color, t.marker.symbol) for t in traces}
    assert len(looks) == len(classes)  # every class its own colour-and-symbol
    assert QUALITATIVE_COLOURS == tuple(px_colours.qualitative.Safe[:-1])


def test_possibly_mislabelled_clips_are_outlined_and_keep_their_class_colour():
    fig = embedding_map_figure(np.arange(12.0).reshape(6, 2), names=[f"{i}.wav" for i in range(6)],
                               labels=list("aabbcc"), colour_values=list("aabbcc"), colour_name="label",
                               categorical=True, title="map", suspects=[1, 4])
    by_class = {t.name: t for t in fig.data if t.name in ("a", "b", "c")}
    for name, trace in by_class.items():
        clips = [c[0] for c in trace.customdata]
        widths = dict(zip(clips, trace.marker.line.width))
        assert widths == {i: SUSPECT_LINE_PX if i in (1, 4) else 0 for i in clips}, name
        assert isinstance(trace.marker.color, str)  # one colour for the class, the suspects' included
        assert trace.marker.symbol != "x" and "x" not in str(trace.marker.symbol)
    assert SUSPECT_LEGEND in [t.name for t in fig.data]  # the outline is named in the legend
    numeric = embedding_map_figure(np.arange(12.0).reshape(6, 2), names=[f"{i}.wav" for i in range(6)],
                                   labels=list("aabbcc"), colour_values=[1.0, 2, 3, 4, 5, 6],
                                   colour_name="duration (s)", categorical=False, title="map", suspects=[2])
    assert list(numeric.data[0].marker.line.width) == [0, 0, SUSPECT_LINE_PX, 0, 0, 0]
    assert list(numeric.data[0].marker.color) == [1.0, 2, 3, 4, 5, 6]  # the colour scale's value, kept


HALF_IMPORTED_PANDAS = """
import importlib.machinery, sys, types
import numpy as np
import plotly.graph_objects as go

half = types.ModuleType("pandas")  # what another thread's `import pandas` leaves in sys.modules meanwhile
half.__spec__ = importlib.machinery.ModuleSpec("pandas", None)
half.__spec__._initializing = True
sys.modules["pandas"] = half
if sys.argv[1] == "settled":
    import audiodiag.plots  # noqa: F401
try:
    figure = go.Figure(go.Scatter(x=np.arange(3), y=[0.0, 1.0, 0.5], hoverinfo="skip"))
    figure.to_json()
    print("drawn")
except AttributeError as error:
    print("failed:", error)
"""


@pytest.mark.parametrize("mode, expected", [("bare", "failed: partially initialized module 'pandas' has no attribute 'Series'"),
                                            ("settled", "drawn")])
def test_a_figure_is_drawn_while_another_thread_is_still_importing_pandas(mode, expected):
    """plotly.py #2433: five app sessions at once, one importing pandas while another drew its waveform, and the
    waveform failed. The half-imported module is put in `sys.modules` by hand (the race, made certain): plotly alone
    fails on it (the reproduction is real), and from `audiodiag.plots` on it draws and serialises the figure."""
    run = subprocess.run([sys.executable, "-c", HALF_IMPORTED_PANDAS, mode], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().startswith(expected), run.stdout  # CI's message, with "(most likely due to ...)"
