"""Voice activity detection with silero-vad's ONNX model (MIT; the weights ship inside its PyPI wheel).

The model is stateful and runs 32 ms windows. To be fast on long clips and many clips, each clip is cut
into VAD_CHUNK_S chunks and all chunks run as one batch through onnxruntime (the state restarts at a chunk
boundary; the model settles within a few windows). Window probabilities are turned into speech regions by silero-vad's
post-processing rules (`spans_from_probabilities`, checked against the package's own function), with settings
chosen for short clips (below). Nothing here imports torch.
"""
from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from audiodiag.data.decoding import resample
from audiodiag.types import Clip, SpeechRegion

VAD_SAMPLE_RATE_HZ = 16_000
WINDOW_SAMPLES = 512  # silero's window at 16 kHz (32 ms)
CONTEXT_SAMPLES = 64  # silero v5+ prepends the previous window's last 64 samples
VAD_CHUNK_S = 8.0  # chunk length run in parallel; the state restarts at each chunk
MAX_BATCH_ROWS = 256
# silero's default min_speech_duration_ms=250 scores many single spoken words (0.2-0.4 s) as no speech at
# all; 100 ms keeps a 0.3-s word while still ignoring isolated clicks (one or two 32-ms windows).
SPEECH_THRESHOLD = 0.5
MIN_SPEECH_MS = 100
MIN_SILENCE_MS = 100
SPEECH_PAD_MS = 30
EDGE_PAD_S = 0.25  # silence added before and after each clip for VAD only (see speech_regions)
VAD_SETTINGS = {"threshold": SPEECH_THRESHOLD, "min_speech_duration_ms": MIN_SPEECH_MS,
                "min_silence_duration_ms": MIN_SILENCE_MS, "speech_pad_ms": SPEECH_PAD_MS}

_lock = threading.Lock()  # one onnxruntime session shared by all Streamlit sessions


def _model_path() -> Path:
    spec = importlib.util.find_spec("silero_vad")  # locate without importing (the package imports torch)
    return Path(spec.submodule_search_locations[0]) / "data" / "silero_vad.onnx"


@lru_cache(maxsize=1)
def _session():
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = 1  # tiny matrices: threads cost more than they give
    opts.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(_model_path()), sess_options=opts,
                                        providers=["CPUExecutionProvider"])


def speech_probabilities(samples_16k: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per-window (32 ms) speech probability for each 16 kHz signal, all signals batched together."""
    chunk = int(VAD_CHUNK_S * VAD_SAMPLE_RATE_HZ) // WINDOW_SAMPLES * WINDOW_SAMPLES
    rows, owners = [], []
    for i, x in enumerate(samples_16k):
        n_windows = max(1, -(-len(x) // WINDOW_SAMPLES))
        padded = np.zeros(n_windows * WINDOW_SAMPLES, np.float32)
        padded[:len(x)] = x
        for start in range(0, len(padded), chunk):
            rows.append(padded[start:start + chunk])
            owners.append(i)
    probs_per_row = []
    for b in range(0, len(rows), MAX_BATCH_ROWS):
        probs_per_row.extend(_run_rows(rows[b:b + MAX_BATCH_ROWS]))
    out: list[list[np.ndarray]] = [[] for _ in samples_16k]
    for owner, p in zip(owners, probs_per_row, strict=True):
        out[owner].append(p)
    return [np.concatenate(parts) for parts in out]


def _run_rows(rows: list[np.ndarray]) -> list[np.ndarray]:
    n_windows = [len(r) // WINDOW_SAMPLES for r in rows]
    longest = max(n_windows)
    batch = np.zeros((len(rows), longest * WINDOW_SAMPLES), np.float32)
    for j, r in enumerate(rows):
        batch[j, :len(r)] = r
    state = np.zeros((2, len(rows), 128), np.float32)
    context = np.zeros((len(rows), CONTEXT_SAMPLES), np.float32)
    sr = np.array(VAD_SAMPLE_RATE_HZ, dtype=np.int64)
    probs = np.empty((len(rows), longest), np.float32)
    session = _session()
    with _lock:
        for w in range(longest):
            window = batch[:, w * WINDOW_SAMPLES:(w + 1) * WINDOW_SAMPLES]
            out, state = session.run(None, {"input": np.concatenate([context, window], axis=1),
                                            "state": state, "sr": sr})
            probs[:, w] = out[:, 0]
            context = window[:, -CONTEXT_SAMPLES:]
    return [probs[j, :n] for j, n in enumerate(n_windows)]


def speech_regions(clips: Sequence[Clip]) -> list[list[SpeechRegion]]:
    """Speech regions (seconds) per clip, using the short-clip settings in VAD_SETTINGS.

    Each clip is framed by EDGE_PAD_S of silence before VAD: silero's recurrent state needs a lead-in, and a
    0.2-0.4 s word that fills a tightly trimmed clip otherwise scores no speech at all (measured on the
    Free Spoken Digit recordings in ../shared/sample_audio: 14 of 100 words missed without the frame, 1 with it).
    """
    pad = int(EDGE_PAD_S * VAD_SAMPLE_RATE_HZ)
    signals = [np.pad(resample(c.samples, orig_sample_rate_hz=c.sample_rate_hz,
                               target_sample_rate_hz=VAD_SAMPLE_RATE_HZ), pad) for c in clips]
    regions = []
    for clip, x, p in zip(clips, signals, speech_probabilities(signals), strict=True):
        spans = [(max(0.0, (start - pad) / VAD_SAMPLE_RATE_HZ), min(clip.duration_s, (end - pad) / VAD_SAMPLE_RATE_HZ))
                 for start, end in spans_from_probabilities(p, audio_length_samples=len(x))]
        regions.append([SpeechRegion(start, end) for start, end in spans if end > start])
    return regions


def spans_from_probabilities(
    probs: Sequence[float],
    *,
    audio_length_samples: int,
    threshold: float = SPEECH_THRESHOLD,
    min_speech_ms: float = MIN_SPEECH_MS,
    min_silence_ms: float = MIN_SILENCE_MS,
    speech_pad_ms: float = SPEECH_PAD_MS,
) -> list[tuple[int, int]]:
    """Speech spans (start, end) in 16 kHz samples from per-window speech probabilities.

    The rules of silero-vad's `get_speech_timestamps_from_probs` (no maximum speech length), without importing
    the silero_vad package, which imports torch (3 s) for this pure-Python step; tests/test_vad.py checks
    that both give the same spans. Hysteresis: speech starts at a window >= threshold and ends where the
    probability stays below threshold - 0.15 for min_silence_ms; spans of min_speech_ms or less are dropped;
    each span is widened by speech_pad_ms, or by half the gap where two spans are closer than two pads.

    >>> spans_from_probabilities([0.0] * 5 + [0.9] * 10 + [0.0] * 10, audio_length_samples=25 * 512)
    [(2080, 8160)]
    """
    rate = VAD_SAMPLE_RATE_HZ
    min_speech, min_silence = rate * min_speech_ms / 1000, rate * min_silence_ms / 1000
    pad = rate * speech_pad_ms / 1000
    off_threshold = max(threshold - 0.15, 0.01)
    spans: list[list[int]] = []
    start = silence_from = None
    for i, p in enumerate(probs):
        at = i * WINDOW_SAMPLES
        if start is None:
            if p >= threshold:
                start = at
        elif p >= threshold:
            silence_from = None
        elif p < off_threshold:
            silence_from = at if silence_from is None else silence_from
            if at - silence_from >= min_silence:
                if silence_from - start > min_speech:
                    spans.append([start, silence_from])
                start = silence_from = None
    if start is not None and audio_length_samples - start > min_speech:
        spans.append([start, audio_length_samples])
    for i, span in enumerate(spans):
        if i == 0:
            span[0] = int(max(0, span[0] - pad))
        following = spans[i + 1] if i + 1 < len(spans) else None
        if following is None:
            span[1] = int(min(audio_length_samples, span[1] + pad))
        elif (gap := following[0] - span[1]) < 2 * pad:  # close spans share the gap
            span[1], following[0] = int(span[1] + gap // 2), int(max(0, following[0] - gap // 2))
        else:
            span[1], following[0] = int(min(audio_length_samples, span[1] + pad)), int(max(0, following[0] - pad))
    return [(start, end) for start, end in spans]


def speech_fraction(regions: Sequence[SpeechRegion], *, duration_s: float) -> float:
    """Fraction of the clip inside speech regions (0..1)."""
    if duration_s <= 0:
        return 0.0
    return min(1.0, sum(r.end_s - r.start_s for r in regions) / duration_s)
