"""Known answers for the figures: axes that say what the numbers are, every shaded region labelled, no chart of an
effect that is not there, and slices in value order."""
from __future__ import annotations

import dataclasses

import numpy as np

from audiodiag import compare, evaluate, plots, wer
from audiodiag.evaluate import Estimate
from audiodiag.verdict import rules
from tests.helpers import noise, sine

SIZES = (1.0, 2.0, 5.0, 10.0, 20.0, 48.0)


def _curve(offset: float) -> list[tuple[float, float, float]]:
    return [(k, min(1.0, 0.3 + offset + 0.1 * i), 0.05) for i, k in enumerate(SIZES)]


def test_learning_curve_axis_says_clips_per_class_with_ticks_at_the_measured_sizes():
    fig = plots.learning_curve_figure({"baseline": _curve(0.0), "whisper": _curve(0.1)})
    assert fig.layout.xaxis.title.text.startswith("clips per class")
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.tickvals) == list(SIZES)
    assert list(fig.layout.xaxis.ticktext) == ["1", "2", "5", "10", "20", "48"]  # never "2" for 20


def test_learning_curve_one_legend_entry_and_colour_per_space_and_filled_bands():
    fig = plots.learning_curve_figure({"baseline": _curve(0.0), "whisper": _curve(0.1), "aisfx": _curve(0.2)})
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
    assert plots.curve_ticks([1, 2, 5, 10, 20, 21.4]) == [1, 2, 5, 10, 21.4]
    assert plots.curve_ticks([5, 5, 2]) == [2, 5]


def test_padding_chart_is_not_drawn_when_no_clip_is_padded():
    unpadded = compare.accuracy_by_padding(np.array([True, False, True]), np.zeros(3))
    series = {"baseline": [(b.low, b.high, b.n_clips, b.accuracy, b.mean_fraction) for b in unpadded]}
    assert plots.padding_accuracy_figure(series) is None


def test_padding_chart_bins_start_at_zero_and_points_sit_at_the_mean_padded_fraction():
    bins = compare.accuracy_by_padding(np.array([True, True, False, False]), np.array([0.0, 0.1, 0.6, 0.7]))
    fig = plots.padding_accuracy_figure({"x": [(b.low, b.high, b.n_clips, b.accuracy, b.mean_fraction)
                                               for b in bins]})
    assert fig is not None
    assert fig.layout.xaxis.tickvals[0] == 0.0 and fig.layout.xaxis.range[0] <= 0
    assert list(fig.layout.xaxis.tickvals) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.allclose(fig.data[0].x, [0.05, 0.65]) and list(fig.data[0].y) == [1.0, 0.0]


def test_upsampled_spectrogram_labels_the_empty_band_above_the_files_nyquist():
    samples = noise(duration_s=0.5)
    fig = plots.spectrogram_figure(samples, sample_rate_hz=16_000, original_sample_rate_hz=8_000)
    (band,) = fig.layout.shapes
    assert (band.y0, band.y1) == (4_000, 8_000)
    (label,) = fig.layout.annotations
    assert "empty: above the file's 4 kHz Nyquist" in label.text and label.y == 6_000


def test_spectrogram_without_upsampling_has_no_band():
    fig = plots.spectrogram_figure(noise(duration_s=0.5), sample_rate_hz=16_000, original_sample_rate_hz=16_000)
    assert not fig.layout.shapes and not fig.layout.annotations
    assert not plots.spectrogram_figure(noise(duration_s=0.5), sample_rate_hz=16_000).layout.shapes  # default


def test_waveform_shading_has_legend_entries():
    samples = np.concatenate([np.zeros(8_000, np.float32), sine(duration_s=0.5)])
    fig = plots.waveform_figure(samples, sample_rate_hz=16_000)
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
    assert rules.pair_headline(pair) == ("whisper-tiny.en beats the baseline: accuracy +0.370 [+0.280, +0.460], "
                                         "paired p = 1.23e-11")
    assert evaluate.format_p(0.007812) == "0.00781"
    unclear = dataclasses.replace(pair, verdict="inconclusive", difference=Estimate(0.083, -0.017, 0.2), p_value=0.227)
    assert rules.pair_headline(unclear) == ("whisper-tiny.en is inconclusive against the baseline: "
                                            "accuracy +0.083 [-0.017, +0.200], paired p = 0.227")


def test_f1_difference_hover_never_reads_negative_zero():
    fig = plots.f1_difference_figure({"tap": -0.0001, "kettle": 0.25}, title="F1")
    assert list(fig.data[0].customdata) == ["+0.000", "+0.250"] and "%{customdata}" in fig.data[0].hovertemplate


def test_a_ten_class_confusion_matrix_names_every_class_and_counts_each_cell():
    digits = [str(d) for d in range(10)]
    counts = np.diag([6] * 10)
    counts[0, 0], counts[0, 7] = 5, 1
    fig = plots.confusion_figure(digits, counts, title="digits")
    for axis in (fig.layout.xaxis, fig.layout.yaxis):  # "0" … "9" as categories, one tick each: not "0, 5"
        assert axis.type == "category" and list(axis.tickvals) == digits
    text = fig.data[0].text
    assert text[0][0] == "5 (83%)" and text[0][7] == "1 (17%)" and text[1][1] == "6 (100%)" and text[0][1] == ""
    bars = plots.f1_difference_figure({d: 0.1 for d in digits}, title="F1")
    assert bars.layout.xaxis.type == "category" and list(bars.layout.xaxis.tickvals) == digits
