"""Plotly figures for clips and datasets, a module per subject: `audio` (a clip's waveform and spectrogram, the
set's durations), `comparison` (confusions, per-class F1, accuracy against padding), `curves` (learning curves, layer
sweeps, fine-tuning loss), `embedding_map`, `wer`; `style` holds what every figure shares (palette, heights, the
layout rule `framed`). Pure functions of arrays: usable from a notebook too. Each page imports only the module it
draws with, so Inspect's first waveform loads none of the others.
"""
from audiodiag.plots.half_imported import settle_plotly

settle_plotly()  # before any figure: another session's half-imported pandas would break it (half_imported's docstring)
