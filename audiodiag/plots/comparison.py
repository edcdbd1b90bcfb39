"""The Compare page's figures: the row-normalised confusion matrix (its cells clickable), the per-class F1
difference against the baseline, and accuracy against the padded fraction of the model input.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from audiodiag.plots.curves import CURVE_COLOURS
from audiodiag.plots.style import FIGURE_HEIGHT_PX, framed, plain_text


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
        text=[[f"{n} ({v:.0%})" if n else "" for n, v in zip(row_n, row, strict=True)]
              for row_n, row in zip(counts, shares, strict=True)],
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
