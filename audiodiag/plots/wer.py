"""The Transcribe page's figure: the distribution of per-utterance word error rates, the corpus WER marked."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from audiodiag.plots.style import FIGURE_HEIGHT_PX, framed, plain_text

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
