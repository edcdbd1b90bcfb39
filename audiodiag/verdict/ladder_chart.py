"""The ladder chart: accuracy per rung with its 95 % CI, coloured by the verdict of its comparison, the recommended
rung ringed. The Compare and Decide pages, the run view and the note's HTML export draw this one figure.
"""
from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.plots.style import framed, plain_text
from audiodiag.verdict.rung_table import LADDER_RECOMMENDED, difference_text, ms_per_clip

LADDER_TITLE = "The ladder: accuracy per rung, with its 95 % CI"
# Okabe–Ito colours (distinguishable with every common colour-vision deficiency), and a symbol per verdict as well
LADDER_COLOURS = {None: "#000000", "yes": "#0072B2", "no": "#D55E00", "inconclusive": "#E69F00"}
LADDER_SYMBOLS = {None: "diamond", "yes": "circle", "no": "x", "inconclusive": "circle-open"}
LADDER_RECOMMENDED_COLOUR = "#009E73"  # a ring around the recommended rung's point
LADDER_ROW_PX = 72
LADDER_MARKER_PX = 12
LADDER_TEXT_SHIFT_PX = 18  # each row's numbers sit this far above its point and interval
LADDER_X_PAD = 0.05  # accuracy shown below the lowest CI bound (half of it above 1: a point at 1.000 shows whole)
# the mode bar (with its "download as PNG" button) stays; the title sits left, clear of it
LADDER_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": "ladder", "scale": 2}}


def ladder_text(row: dict, *, baseline: str) -> str:
    """A ladder row's numbers as the note's rung table writes them (accuracy, the difference and its CI, cost per
    clip), then its verdict's mark; plotly HTML, user text escaped."""
    parts = [str(Estimate(**row["accuracy"]))]
    if row["difference"] is not None:
        versus = "baseline" if row["versus"] == baseline else plain_text(row["versus"])
        parts.append(f"{difference_text(row['difference'])} vs {versus}")
    seconds = row["seconds_per_clip"]
    parts.append(f"{ms_per_clip(float('nan') if seconds is None else seconds)} per clip")
    colour = LADDER_COLOURS[row["verdict"]]
    parts.append(f"<span style='color:{colour}'><b>{plain_text(row['mark'])}</b></span>")
    if row["recommended"]:
        parts.append(f"<span style='color:{LADDER_RECOMMENDED_COLOUR}'><b>{LADDER_RECOMMENDED}</b></span>")
    return " · ".join(parts)


def ladder_figure(rows: Sequence[dict]) -> go.Figure:
    """The representation ladder, a row per rung (`verdict.rung_table.ladder`, or note.json's data.ladder), top to
    bottom: accuracy as a point with its 95 % CI, colour and symbol by verdict, the recommended rung ringed; above
    each row its numbers as the note's table writes them and its verdict's mark."""
    fig = go.Figure()
    baseline = rows[0]["space"] if rows else ""
    for i, row in enumerate(rows):
        acc, colour = row["accuracy"], LADDER_COLOURS[row["verdict"]]
        fig.add_trace(go.Scatter(
            x=[acc["value"]], y=[i], mode="markers", name=plain_text(row["mark"]), showlegend=False,
            marker={"size": LADDER_MARKER_PX, "color": colour, "symbol": LADDER_SYMBOLS[row["verdict"]],
                    "line": {"width": 2, "color": colour}},
            error_x={"type": "data", "symmetric": False, "array": [acc["ci_high"] - acc["value"]],
                     "arrayminus": [acc["value"] - acc["ci_low"]], "color": colour, "thickness": 2, "width": 6},
            hovertemplate=f"{plain_text(row['space'])}<br>{ladder_text(row, baseline=baseline)}<extra></extra>"))
        fig.add_annotation(x=0, xref="paper", xanchor="left", y=i, yref="y", yshift=LADDER_TEXT_SHIFT_PX,
                           text=ladder_text(row, baseline=baseline), showarrow=False, align="left")
    picked = [i for i, row in enumerate(rows) if row["recommended"]]
    if picked:
        fig.add_trace(go.Scatter(
            x=[rows[i]["accuracy"]["value"] for i in picked], y=picked, mode="markers", name="recommended",
            showlegend=False, hoverinfo="skip",
            marker={"size": 2 * LADDER_MARKER_PX, "symbol": "circle-open", "color": LADDER_RECOMMENDED_COLOUR,
                    "line": {"width": 2}}))
    low = min((row["accuracy"]["ci_low"] for row in rows), default=0.0)
    fig.update_layout(
        title={"text": LADDER_TITLE, "x": 0, "xanchor": "left", "xref": "paper"},
        height=LADDER_ROW_PX * len(rows) + 110, margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis={"title": "out-of-fold accuracy (point) and its 95 % CI (bar)", "tickformat": ".2f", "zeroline": False,
               "range": [max(0.0, low - LADDER_X_PAD), 1 + LADDER_X_PAD / 2]},
        yaxis={"tickmode": "array", "tickvals": list(range(len(rows))),
               "ticktext": [f"<b>{plain_text(row['space'])}</b><br>{row['rung']}" for row in rows],
               "range": [len(rows) - 0.5, -0.7], "zeroline": False, "showgrid": True})
    return framed(fig)
