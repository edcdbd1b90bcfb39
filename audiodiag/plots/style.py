"""What every figure shares: the colour-blind-safe palette, the base height, and the layout rule (`framed`) that
keeps plotly's mode bar clear of the title and the legend; `plain_text` escapes what plotly would read as HTML.
"""
from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly import colors as px_colours

FIGURE_HEIGHT_PX = 260
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


def plain_text(text: object) -> str:
    """Plotly renders a subset of HTML in labels; file names and labels must show as typed."""
    return html.escape(str(text))
