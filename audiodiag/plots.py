"""Plotly figures for clips and datasets. Pure functions of arrays: usable from a notebook too.

Long clips stay light: the waveform is a min/max envelope of at most ENVELOPE_POINTS columns and the
spectrogram has at most SPECTROGRAM_FRAMES time columns, so figure size does not grow with duration.
"""
from __future__ import annotations

import html
from collections.abc import Collection, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly import colors as px_colours

from audiodiag.measure.per_clip import FRAME_LENGTH_S, silent_frames
from audiodiag.represent.features import FeatureSettings, mel_filters, mel_frequencies, power_spectrogram
from audiodiag.types import SpeechRegion

ENVELOPE_POINTS = 2_000
SPECTROGRAM_FRAMES = 600
SPECTROGRAM_WINDOW_S = 0.025  # rounded up to a power-of-two FFT
SPECTROGRAM_HOP_S = 0.010
N_MELS = 64
SPECTROGRAM_TOP_DB = 80.0
FIGURE_HEIGHT_PX = 260
SILENCE_COLOUR = "rgba(150,150,150,0.25)"
SPEECH_COLOUR = "rgba(46,160,67,0.18)"
EMPTY_BAND_LINE = "rgba(255,255,255,0.9)"  # outline of the band above an upsampled file's own Nyquist frequency
EMPTY_BAND_FILL = "rgba(255,255,255,0.12)"
MODEBAR_BAND_PX = 36  # plotly's mode bar (drawn on hover, top right) covers this band at the top of every chart
TITLE_BAND_PX = 26  # the title's line, below that band
TITLE_PAD_PX = 10
LEGEND_X = 1.02  # the legend: just right of the plot area, its top level with the plot area's top
PLOTLY_DEFAULT_HEIGHT_PX = 450
# CARTO's colour-blind-safe qualitative palette "Safe" (plotly ships it): class and space colours everywhere
QUALITATIVE_COLOURS = tuple(px_colours.qualitative.Safe[:-1])  # its last colour, grey, stands for "other"
CLASS_SYMBOLS = ("circle", "square", "diamond", "triangle-up")  # classes beyond the palette: its colours again


def framed(fig: go.Figure) -> go.Figure:
    """The layout rule every figure here ends with: the title left, on its own line below the mode bar's band, and
    the legend right of the plot area with its top level with the plot area's; so the mode bar never covers the
    title or the legend, however long the title or narrow the column. Untitled figures keep only the band."""
    height = fig.layout.height or PLOTLY_DEFAULT_HEIGHT_PX
    titled = bool(fig.layout.title.text)
    fig.update_layout(
        margin={"t": MODEBAR_BAND_PX + (TITLE_BAND_PX if titled else 0)},
        legend={"orientation": "v", "x": LEGEND_X, "xanchor": "left", "y": 1, "yref": "paper", "yanchor": "top"})
    if titled:
        fig.update_layout(title={"x": 0, "xref": "container", "xanchor": "left", "pad": {"l": TITLE_PAD_PX},
                                 "y": 1 - MODEBAR_BAND_PX / height, "yref": "container", "yanchor": "top"})
    return fig


def envelope(samples: np.ndarray, *, sample_rate_hz: int, points: int = ENVELOPE_POINTS):
    """Per-column (time_s, min, max) so any length renders with `points` columns covering every sample.

    Short clips (fewer samples than 2 * points) come back sample by sample.
    """
    if len(samples) <= 2 * points:
        t = np.arange(len(samples)) / sample_rate_hz
        return t, samples, samples
    edges = np.linspace(0, len(samples), points + 1).astype(np.int64)
    starts = edges[:-1]
    t = (starts + edges[1:]) / 2 / sample_rate_hz
    return t, np.minimum.reduceat(samples, starts), np.maximum.reduceat(samples, starts)


def log_mel(samples: np.ndarray, *, sample_rate_hz: int, max_frames: int = SPECTROGRAM_FRAMES):
    """Log-mel power (dB) with at most `max_frames` columns: (times_s, mel centre freqs_hz, db[mels, frames]).

    Windows of ~25 ms every 10 ms; for long clips the hop grows so columns spread evenly over the clip.
    """
    n_fft = 1 << int(np.ceil(np.log2(SPECTROGRAM_WINDOW_S * sample_rate_hz)))
    n_fft = min(n_fft, 1 << int(np.floor(np.log2(max(len(samples), 16)))))
    hop = max(int(SPECTROGRAM_HOP_S * sample_rate_hz), -(-len(samples) // (max_frames - 1)))
    settings = FeatureSettings(sample_rate_hz=sample_rate_hz, n_mels=N_MELS, n_fft=n_fft, hop_length=hop)
    # the baseline's STFT and mel bank (librosa's, centred, constant padding) without importing librosa.feature
    power = power_spectrogram(samples[None, :].astype(np.float32), settings=settings)[0] @ mel_filters(settings).T
    db = 10.0 * np.log10(np.maximum(power.T, 1e-10) / max(float(power.max()), 1e-10))
    db = np.maximum(db, -SPECTROGRAM_TOP_DB)
    times = np.arange(db.shape[1]) * hop / sample_rate_hz
    freqs = mel_frequencies(n_mels=N_MELS + 2, fmax=sample_rate_hz / 2)[1:-1]
    return times, freqs, db


def _shade(fig: go.Figure, spans: Sequence[tuple[float, float]], colour: str) -> None:
    """Full-height rectangles over `spans`: the shapes `fig.add_vrect` makes, added in one assignment.

    add_vrect re-validates every earlier shape on each call (quadratic): a 10-minute clip with 60 silent
    stretches took ~0.9 s, with a few hundred several seconds.
    """
    shapes = tuple(go.layout.Shape(type="rect", x0=start, x1=end, xref="x", y0=0, y1=1, yref="y domain",
                                   fillcolor=colour, line_width=0, layer="below") for start, end in spans)
    if shapes:
        fig.layout.shapes += shapes


def _silent_spans(samples: np.ndarray, sample_rate_hz: int) -> list[tuple[float, float]]:
    silent = silent_frames(samples, sample_rate_hz=sample_rate_hz)
    edges = np.flatnonzero(np.diff(np.r_[0, silent.astype(np.int8), 0]))
    duration = len(samples) / sample_rate_hz
    return [(a * FRAME_LENGTH_S, min(duration, b * FRAME_LENGTH_S)) for a, b in zip(edges[::2], edges[1::2])]


def waveform_figure(samples: np.ndarray, *, sample_rate_hz: int, speech: Sequence[SpeechRegion] = (),
                    title: str = "Waveform") -> go.Figure:
    """Min/max envelope; grey = silent 25 ms frames, green = VAD speech regions."""
    t, lo, hi = envelope(samples, sample_rate_hz=sample_rate_hz)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=hi, mode="lines", line={"width": 0.6, "color": "#1f77b4"},
                             name="max", hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=t, y=lo, mode="lines", line={"width": 0.6, "color": "#1f77b4"},
                             fill="tonexty", name="min", hoverinfo="skip", showlegend=False))
    silent = _silent_spans(samples, sample_rate_hz)
    _shade(fig, silent, SILENCE_COLOUR)
    _shade(fig, [(r.start_s, r.end_s) for r in speech], SPEECH_COLOUR)
    if silent:
        _legend_swatch(fig, SILENCE_COLOUR, "silent (25 ms frames)")
    if speech:
        _legend_swatch(fig, SPEECH_COLOUR, "speech (voice activity detection)")
    fig.update_layout(title=title, height=FIGURE_HEIGHT_PX, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis_title="time (s)", yaxis_title="amplitude", yaxis_range=[-1.05, 1.05])
    return framed(fig)


def _legend_swatch(fig: go.Figure, colour: str, name: str) -> None:
    """A legend entry for shaded rectangles (shapes have none): a square marker of the shading's colour."""
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                             marker={"symbol": "square", "size": 12, "color": colour,
                                     "line": {"width": 1, "color": "rgba(0,0,0,0.3)"}}))


def spectrogram_figure(samples: np.ndarray, *, sample_rate_hz: int, title: str = "Log-mel spectrogram",
                       original_sample_rate_hz: int | None = None) -> go.Figure:
    """Log-mel spectrogram. When the clip was upsampled (`original_sample_rate_hz` below `sample_rate_hz`), the
    band above the file's own Nyquist frequency holds nothing; it is outlined and labelled as such."""
    times, freqs, db = log_mel(samples, sample_rate_hz=sample_rate_hz)
    # Plain lists: Streamlit's plotly.js mis-reads 2-D typed-array (bdata) heatmaps.
    fig = go.Figure(go.Heatmap(x=np.round(times, 3).tolist(), y=np.round(freqs).tolist(),
                               z=np.round(db, 1).tolist(), colorscale="Magma",
                               colorbar={"title": "dB"},
                               hovertemplate="%{x:.2f} s, %{y:.0f} Hz: %{z:.1f} dB<extra></extra>"))
    if original_sample_rate_hz and original_sample_rate_hz < sample_rate_hz:
        nyquist_hz = original_sample_rate_hz / 2
        fig.add_shape(type="rect", xref="x domain", x0=0, x1=1, yref="y", y0=nyquist_hz, y1=sample_rate_hz / 2,
                      line={"color": EMPTY_BAND_LINE, "dash": "dash", "width": 1.5}, fillcolor=EMPTY_BAND_FILL)
        fig.add_annotation(xref="x domain", x=0.5, yref="y", y=(nyquist_hz + sample_rate_hz / 2) / 2,
                           text=(f"empty: above the file's {_khz(nyquist_hz)} Nyquist (recorded at "
                                 f"{_khz(original_sample_rate_hz)}, upsampled to {_khz(sample_rate_hz)})"),
                           showarrow=False, font={"color": "white"}, bgcolor="rgba(0,0,0,0.5)")
    fig.update_layout(title=title, height=FIGURE_HEIGHT_PX, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis_title="time (s)", yaxis_title="frequency (Hz, mel scale)")
    return framed(fig)


def _khz(rate_hz: float) -> str:
    return f"{rate_hz / 1000:g} kHz"


DURATION_BINS = 30


def duration_bins(durations_s: Sequence[float], *, n_bins: int = DURATION_BINS) -> tuple[np.ndarray, np.ndarray]:
    """The duration histogram's bins: (edges_s, bin of each clip). numpy's edges and rule (half-open bins, the
    last one closed), so the figure and the clips listed for a bar agree.

    >>> duration_bins([1.0, 2.0, 3.0], n_bins=2)[1].tolist()
    [0, 1, 1]
    """
    values = np.asarray(durations_s, dtype=np.float64)
    edges = np.histogram_bin_edges(values, bins=n_bins)
    return edges, np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


def duration_histogram(durations_s: Sequence[float], labels: Sequence[str | None], *,
                       clip_length_s: float | None) -> go.Figure:
    """Durations per label (stacked bars on `duration_bins`), with the chosen pad/trim length marked (None: no
    padding, no line). customdata[0] of every bar lists the indices of its clips, so a selected bar says which."""
    fig = go.Figure()
    names = sorted({str(label) for label in labels})
    edges, bin_of = duration_bins(durations_s)
    for k, name in enumerate(names):
        members: dict[int, list[int]] = {}
        for i, label in enumerate(labels):
            if str(label) == name:
                members.setdefault(int(bin_of[i]), []).append(i)
        bins = sorted(members)
        fig.add_trace(go.Bar(
            x=[(edges[b] + edges[b + 1]) / 2 for b in bins], y=[len(members[b]) for b in bins],
            width=[edges[b + 1] - edges[b] for b in bins], name=plain_text(name), opacity=0.7,
            marker_color=QUALITATIVE_COLOURS[k % len(QUALITATIVE_COLOURS)],
            customdata=[[members[b], float(edges[b]), float(edges[b + 1])] for b in bins],
            hovertemplate="%{fullData.name}: %{y} clips of %{customdata[1]:.2f}–%{customdata[2]:.2f} s"
                          "<extra></extra>"))
    if clip_length_s:
        fig.add_vline(x=clip_length_s, line_dash="dash", annotation_text=f"pad/trim to {clip_length_s:.2f} s")
    fig.update_layout(barmode="stack", bargap=0, height=FIGURE_HEIGHT_PX + 40, xaxis_title="duration (s)",
                      yaxis_title="clips", margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      showlegend=len(names) > 1)
    return framed(fig)


# ---------------------------------------------------------------- comparison figures

def plain_text(text: object) -> str:
    """Plotly renders a subset of HTML in labels; file names and labels must show as typed."""
    return html.escape(str(text))


def every_category(names: Sequence[str], title: str) -> dict:
    """An axis that shows every class as it is named: categorical (digit labels "0" … "9" are not numbers to
    thin out), one tick per class."""
    return {"title": title, "type": "category", "tickmode": "array", "tickvals": list(names), "ticktext": list(names)}


CELL_MARKER_PX = 36  # the click target over a confusion cell (largest; smaller when many classes share the axis)
CELL_MARKER_MIN_PX = 8
CONFUSION_PLOT_PX = 300  # about the plot area's height: cells are this divided by the number of classes
SELECTED_CELL_COLOUR = "rgba(0,0,0,0.35)"  # a selected cell is shaded; its text still reads through


def confusion_figure(labels: Sequence, counts: np.ndarray, *, title: str,
                     cells: Sequence[Sequence[Sequence[int]]] | None = None) -> go.Figure:
    """Row-normalised confusion matrix (true class per row, in `labels` order): every class on both axes, each
    cell's clip count next to its share of the row (with 6 clips a row, "17 %" is one clip).

    cells (`confusions.cell_members`): the clip indices behind each cell. Given, every cell gets a clickable marker
    (plotly cannot select heatmap cells) whose customdata is [clip indices, row, column]; a selected cell is
    outlined.
    """
    counts = np.asarray(counts)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    names = [plain_text(v) for v in labels]
    hover = "true %{y}, predicted %{x}: %{customdata} clips (%{z:.0%} of the row)<extra></extra>"
    fig = go.Figure(go.Heatmap(
        x=names, y=names, z=np.round(shares, 3).tolist(), customdata=counts.tolist(), zmin=0, zmax=1,
        colorscale="Blues", colorbar={"title": "share of row"},
        text=[[f"{n} ({v:.0%})" if n else "" for n, v in zip(row_n, row)] for row_n, row in zip(counts, shares)],
        texttemplate="%{text}", hovertemplate=hover, hoverinfo=None if cells is None else "skip"))
    if cells is not None:  # the heatmap's hover moves to the markers, which take the clicks
        k = len(names)
        size = max(CELL_MARKER_MIN_PX, min(CELL_MARKER_PX, CONFUSION_PLOT_PX // max(k, 1)))
        fig.add_trace(go.Scatter(
            x=[names[j] for i in range(k) for j in range(k)], y=[names[i] for i in range(k) for j in range(k)],
            mode="markers", showlegend=False, name="cells",
            customdata=[[list(cells[i][j]), i, j, int(counts[i, j]), f"{shares[i, j]:.0%}"]  # the share as written
                        for i in range(k) for j in range(k)],                              # in the cell
            hovertemplate="true %{y}, predicted %{x}: %{customdata[3]} clips (%{customdata[4]} of the row)"
                          "<extra></extra>",
            marker={"symbol": "square", "size": size, "color": "rgba(0,0,0,0)"},
            selected={"marker": {"color": SELECTED_CELL_COLOUR}}, unselected={"marker": {"opacity": 0}}))
    fig.update_layout(title=title, height=FIGURE_HEIGHT_PX + 120, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis=every_category(names, "predicted"),
                      yaxis={**every_category(names, "true"), "autorange": "reversed"})
    return framed(fig)


def padding_accuracy_figure(series: dict[str, Sequence[tuple[float, float, int, float, float]]]) -> go.Figure | None:
    """Out-of-fold accuracy per padded-fraction bin, one line per space: series[name] = [(low, high, n, acc,
    mean padded fraction)]; each point sits at its clips' mean padded fraction (unpadded clips at 0 %).

    None when no clip is padded in any space: a lone point at 0 would only suggest an effect that is not there.
    The x axis runs from 0 with ticks at the bin edges.
    """
    if not any(n > 0 and mean > 0 for bins in series.values() for _, _, n, _, mean in bins):
        return None
    fig = go.Figure()
    edges: set[float] = {0.0}
    for k, (name, bins) in enumerate(series.items()):
        kept = [b for b in bins if b[2] > 0]
        edges.update(e for lo, hi, *_ in bins for e in (lo, hi))
        fig.add_trace(go.Scatter(
            x=[mean for *_, mean in kept], y=[acc for _, _, _, acc, _ in kept], mode="lines+markers",
            name=plain_text(name), customdata=[[lo, hi, n] for lo, hi, n, *_ in kept],
            line={"color": CURVE_COLOURS[k % len(CURVE_COLOURS)]},
            hovertemplate="padding %{customdata[0]:.0%}-%{customdata[1]:.0%} of the input: accuracy %{y:.3f} "
                          "over %{customdata[2]} clips<extra></extra>"))
    fig.update_layout(title="Accuracy vs padded fraction of the model input", height=FIGURE_HEIGHT_PX + 40,
                      xaxis={"title": "padded fraction of the model input (mean per bin)", "range": [-0.02, 1.02],
                             "tickmode": "array", "tickvals": sorted(edges), "tickformat": ".0%"},
                      yaxis={"title": "out-of-fold accuracy", "range": [0, 1.05], "tickformat": ".2f"},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return framed(fig)


def f1_difference_figure(differences: dict, *, title: str) -> go.Figure:
    """Per-class F1 change, one bar per class (green: the encoder is better)."""
    from audiodiag.evaluation.evaluate import signed  # here, not at the top: Inspect's first waveform does without it

    names = [plain_text(k) for k in differences]
    values = [float(v) for v in differences.values()]
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=["#2ca02c" if v >= 0 else "#d62728" for v in values],
                           customdata=[signed(v) for v in values],  # as the note writes it: never "-0.000"
                           hovertemplate="%{x}: F1 %{customdata}<extra></extra>"))
    fig.update_layout(title=title, height=FIGURE_HEIGHT_PX, yaxis_title="F1 difference",
                      xaxis=every_category(names, "class"), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return framed(fig)


CURVE_COLOURS = QUALITATIVE_COLOURS
CURVE_BAND_ALPHA = 0.18
CURVE_X_TITLE = "clips per class (labelled, for training; log scale)"
MIN_TICK_DECADES = 0.06  # ticks closer than this on the log axis (about 15 %) would print over each other
CURVE_X_PAD_DECADES = 0.05  # the log x axis reaches this far past the outermost tick or point


def _rgba(colour: str, alpha: float) -> str:
    """'#1f77b4' or 'rgb(31, 119, 180)' with an alpha channel."""
    r, g, b = px_colours.unlabel_rgb(px_colours.convert_colors_to_same_type([colour], colortype="rgb")[0][0])
    return f"rgba({r:.0f},{g:.0f},{b:.0f},{alpha})"


def curve_ticks(sizes: Sequence[float]) -> list[int]:
    """Tick positions for a log axis of clips per class: whole numbers (a mean of 9.6 clips per class gets the tick
    10), the measured sizes rounded, largest first kept, dropping any that would sit within MIN_TICK_DECADES of a
    kept one (no minor-log labels: '2' never stands for 20).

    >>> curve_ticks([1, 2, 5, 9.6])
    [1, 2, 5, 10]
    """
    kept: list[int] = []
    for v in sorted({max(1, round(float(v))) for v in sizes if v > 0}, reverse=True):
        if not kept or np.log10(kept[-1]) - np.log10(v) >= MIN_TICK_DECADES:
            kept.append(v)
    return kept[::-1]


def learning_curve_figure(curves: dict[str, Sequence[tuple[float, float, float]]]) -> go.Figure:
    """Accuracy vs labelled training clips per class (log x), one colour and legend entry per space, a mean ± std
    band over the random draws: curves[name] = [(clips per class, mean, std)].

    The x ticks are the measured sizes rounded to whole clips (1, 2, 5, 10, 20, ...), each printed in full, and the
    axis reaches past the outermost tick.
    """
    fig = go.Figure()
    sizes: list[float] = []
    for i, (name, points) in enumerate(curves.items()):
        colour = CURVE_COLOURS[i % len(CURVE_COLOURS)]
        x = [float(p[0]) for p in points]
        sizes += x
        upper = [min(1.0, p[1] + p[2]) for p in points]
        lower = [max(0.0, p[1] - p[2]) for p in points]
        # the band: its lower edge, then the upper edge filled down to it ("tonexty")
        fig.add_trace(go.Scatter(x=x, y=lower, mode="lines", line={"width": 0, "color": colour}, hoverinfo="skip",
                                 showlegend=False, legendgroup=plain_text(name), name=f"{plain_text(name)} − std"))
        fig.add_trace(go.Scatter(x=x, y=upper, mode="lines", line={"width": 0, "color": colour}, hoverinfo="skip",
                                 fill="tonexty", fillcolor=_rgba(colour, CURVE_BAND_ALPHA), showlegend=False,
                                 legendgroup=plain_text(name), name=f"{plain_text(name)} + std"))
        fig.add_trace(go.Scatter(
            x=x, y=[p[1] for p in points], mode="lines+markers", name=plain_text(name), legendgroup=plain_text(name),
            line={"color": colour}, marker={"color": colour}, customdata=[p[2] for p in points],
            hovertemplate="%{x:.1f} clips per class: accuracy %{y:.3f} ± %{customdata:.3f}<extra></extra>"))
    ticks = curve_ticks(sizes)
    ends = np.log10([v for v in (*ticks, *sizes) if v > 0] or [1.0])
    fig.update_layout(title="Learning curves (same folds; band: mean ± std over random draws)",
                      height=FIGURE_HEIGHT_PX + 60, showlegend=True,
                      xaxis={"title": CURVE_X_TITLE, "type": "log", "tickmode": "array", "tickvals": ticks,
                             "ticktext": [str(v) for v in ticks], "minor": {"ticks": ""},
                             "range": [float(ends.min()) - CURVE_X_PAD_DECADES,
                                       float(ends.max()) + CURVE_X_PAD_DECADES]},
                      yaxis={"title": "out-of-fold accuracy", "range": [0, 1.05], "tickformat": ".2f"},
                      legend={"title": "space"}, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return framed(fig)


def layer_sweep_figure(scores: Sequence[tuple[int, str, float, float, float]], *, title: str) -> go.Figure:
    """Probe accuracy per hidden layer, one line per pooling: scores = [(layer, pooling, acc, low, high)]."""
    fig = go.Figure()
    for pooling in dict.fromkeys(s[1] for s in scores):
        rows = [s for s in scores if s[1] == pooling]
        fig.add_trace(go.Scatter(
            x=[r[0] for r in rows], y=[r[2] for r in rows], mode="lines+markers", name=pooling,
            error_y={"type": "data", "symmetric": False, "array": [r[4] - r[2] for r in rows],
                     "arrayminus": [r[2] - r[3] for r in rows]}))
    fig.update_layout(title=plain_text(title), height=FIGURE_HEIGHT_PX + 40, xaxis_title="hidden layer (0 = input)",
                      yaxis={"title": "probe accuracy", "range": [0, 1.05]}, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return framed(fig)


def loss_curves_figure(losses: Sequence[Sequence[float]], *, title: str = "Fine-tuning: training loss per epoch") -> go.Figure:
    """One line per fold: the mean training loss of each epoch (it should fall; a flat line means no learning)."""
    fig = go.Figure()
    for fold, values in enumerate(losses, start=1):
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines+markers",
                                 name=f"fold {fold}"))
    fig.update_layout(title=title, xaxis_title="epoch", yaxis_title="training loss (cross-entropy)", height=320)
    return framed(fig)



# ---------------------------------------------------------------- embedding maps (Embeddings page)

MAX_LEGEND_VALUES = 20  # more distinct colour values than this: one trace, no legend
MAP_MARKER_PX = 8
MAP_MARKER_PX_MANY = 5  # above MAP_MANY_POINTS clips
MAP_MANY_POINTS = 500
SELECTED_COLOUR = "#000000"
SUSPECT_LINE_PX = 2  # possibly mislabelled clips: their point, in its class colour, outlined this thick
SUSPECT_LINE_COLOUR = "#000000"
SUSPECT_LEGEND = "possibly mislabelled (outlined)"


def _number_first(text: str) -> tuple:
    """Sort key: numbers in numeric order (8000 before 16000), then text."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def embedding_map_figure(coordinates: np.ndarray, *, names: Sequence[str], labels: Sequence, colour_values: Sequence,
                         colour_name: str, categorical: bool, title: str, selected: int | None = None,
                         suspects: Collection[int] = ()) -> go.Figure:
    """A 2-D map of one space, a point per clip, coloured by `colour_values`.

    Categorical colours get one trace per value (a legend) in QUALITATIVE_COLOURS (past its length, the colours
    again with another symbol), numbers a colour bar. Hover shows the file name, label and colour value, escaped
    (plotly renders hover text as HTML). customdata[0] of every point is its clip index, so a selection event says
    which clip was picked. `selected` rings that clip; `suspects` (clip indices, e.g. possibly mislabelled) are
    outlined, keeping their colour.
    """
    xy = np.asarray(coordinates, dtype=np.float64)
    n = len(xy)
    size = MAP_MARKER_PX if n <= MAP_MANY_POINTS else MAP_MARKER_PX_MANY
    shown = [plain_text("—" if v is None or (isinstance(v, float) and v != v) else
                        (f"{v:.3g}" if isinstance(v, float) else v)) for v in colour_values]
    custom = [[i, plain_text(names[i]), plain_text(labels[i]), shown[i]] for i in range(n)]
    hover = (f"%{{customdata[1]}}<br>label: %{{customdata[2]}}<br>{plain_text(colour_name)}: %{{customdata[3]}}"
             "<extra></extra>")
    fig = go.Figure()
    values = [str(v) for v in colour_values]
    distinct = sorted(set(values), key=_number_first)
    suspects = {int(i) for i in suspects if 0 <= int(i) < n}

    def outlined(idx: Sequence[int]) -> dict:
        """Per-point size and outline: a suspect's point grows by its outline, so its colour stays as visible."""
        return {"size": [size + 2 * SUSPECT_LINE_PX if i in suspects else size for i in idx],
                "line": {"width": [SUSPECT_LINE_PX if i in suspects else 0 for i in idx],
                         "color": SUSPECT_LINE_COLOUR}}

    if categorical and len(distinct) <= MAX_LEGEND_VALUES:
        for k, value in enumerate(distinct):
            idx = [i for i in range(n) if values[i] == value]
            turn, colour = divmod(k, len(QUALITATIVE_COLOURS))
            fig.add_trace(go.Scatter(x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=plain_text(value),
                                     customdata=[custom[i] for i in idx], hovertemplate=hover,
                                     marker={**outlined(idx), "color": QUALITATIVE_COLOURS[colour],
                                             "symbol": CLASS_SYMBOLS[turn % len(CLASS_SYMBOLS)]}))
    else:
        colour = ([distinct.index(v) for v in values] if categorical else
                  [float("nan") if v is None else float(v) for v in colour_values])
        marker = {**outlined(range(n)), "color": colour, "colorscale": "Turbo" if categorical else "Viridis",
                  "showscale": not categorical, "colorbar": {"title": plain_text(colour_name)}}
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=plain_text(colour_name),
                                 customdata=custom, hovertemplate=hover, marker=marker, showlegend=False))
    if suspects:  # a legend entry only: the outlines are on the points themselves
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=SUSPECT_LEGEND, hoverinfo="skip",
                                 marker={"size": size + 2 * SUSPECT_LINE_PX, "color": "rgba(0,0,0,0)",
                                         "line": {"width": SUSPECT_LINE_PX, "color": SUSPECT_LINE_COLOUR}}))
    if selected is not None and 0 <= selected < n:
        fig.add_trace(go.Scatter(x=[xy[selected, 0]], y=[xy[selected, 1]], mode="markers", name="selected",
                                 customdata=[custom[selected]], hovertemplate=hover,
                                 marker={"size": 3 * size, "symbol": "circle-open",
                                         "line": {"width": 2, "color": SELECTED_COLOUR}}))
    fig.update_layout(title=plain_text(title), height=FIGURE_HEIGHT_PX + 200,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis={"title": "UMAP 1", "showticklabels": False},
                      yaxis={"title": "UMAP 2", "showticklabels": False}, legend={"title": plain_text(colour_name)},
                      clickmode="event+select")
    return framed(fig)


# ---------------------------------------------------------------- transcription (Transcribe)

WER_BIN_WIDTH = 0.05  # 5-percentage-point bins; WER above 1 (many insertions) gets its own bins


def wer_histogram_figure(wers: Sequence[float], *, corpus_wer: float | None = None,
                         title: str = "Per-utterance WER: the distribution, not one example") -> go.Figure:
    """Histogram of per-utterance WER (NaN, i.e. empty references, left out), the corpus WER marked."""
    from audiodiag.asr.wer import format_rate  # here, not at the top: Inspect's first waveform does without it

    values = np.asarray(wers, float)
    values = values[np.isfinite(values)]
    fig = go.Figure(go.Histogram(x=values, xbins={"start": 0.0, "size": WER_BIN_WIDTH}, name="utterances",
                                 hovertemplate="WER %{x}: %{y} utterances<extra></extra>"))
    if corpus_wer is not None and np.isfinite(corpus_wer):
        fig.add_vline(x=corpus_wer, line_dash="dash", annotation_text=f"corpus WER {format_rate(corpus_wer)}")
    fig.update_layout(title=plain_text(title), height=FIGURE_HEIGHT_PX + 40, xaxis_title="WER of the utterance",
                      yaxis_title="utterances", xaxis_tickformat=".0%", bargap=0.05,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return framed(fig)
