"""Curves over training: accuracy against labelled clips per class (learning curves, on a log axis), probe
accuracy per hidden layer, and the fine-tuning loss per epoch.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly import colors as px_colours

from audiodiag.plots.style import FIGURE_HEIGHT_PX, QUALITATIVE_COLOURS, framed, plain_text

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
