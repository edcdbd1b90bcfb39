"""What the audio looks like: a clip's waveform (silence and speech shaded) and log-mel spectrogram, and the
dataset's durations per label.

Long clips stay light: the waveform is a min/max envelope of at most ENVELOPE_POINTS columns and the
spectrogram has at most SPECTROGRAM_FRAMES time columns, so figure size does not grow with duration.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from audiodiag.measure.per_clip import FRAME_LENGTH_S, silent_frames
from audiodiag.plots.style import FIGURE_HEIGHT_PX, QUALITATIVE_COLOURS, framed, plain_text
from audiodiag.represent.features import FeatureSettings, mel_filters, mel_frequencies, power_spectrogram
from audiodiag.types import SpeechRegion

ENVELOPE_POINTS = 2_000
SPECTROGRAM_FRAMES = 600
SPECTROGRAM_WINDOW_S = 0.025  # rounded up to a power-of-two FFT
SPECTROGRAM_HOP_S = 0.010
N_MELS = 64
SPECTROGRAM_TOP_DB = 80.0
SILENCE_COLOUR = "rgba(150,150,150,0.25)"
SPEECH_COLOUR = "rgba(46,160,67,0.18)"
EMPTY_BAND_LINE = "rgba(255,255,255,0.9)"  # outline of the band above an upsampled file's own Nyquist frequency
EMPTY_BAND_FILL = "rgba(255,255,255,0.12)"


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
    return [(a * FRAME_LENGTH_S, min(duration, b * FRAME_LENGTH_S))
            for a, b in zip(edges[::2], edges[1::2], strict=True)]  # edges alternate: run starts, run ends


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
