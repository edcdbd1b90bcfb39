"""The Embeddings page's map: a 2-D projection of one space, a point per clip, coloured by a label, group or
measurement, the chosen clip ringed and possibly mislabelled clips outlined.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import plotly.graph_objects as go

from audiodiag.plots.style import CLASS_SYMBOLS, FIGURE_HEIGHT_PX, QUALITATIVE_COLOURS, framed, plain_text

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
