"""Frozen-encoder batching: the issue's target P4, batched extraction against one clip at a time.

For each encoder available offline (a tiny wav2vec2 built here, Whisper tiny.en padded and unpadded,
speech_embedding, aiSFX, and the speaker encoder that infers voices) the same 1-s clips are embedded in one `embed` call and one clip per call; the rows
must agree (max abs difference) and batching should pay (throughput ratio). Where the model itself costs about
the same per input batched as alone (Whisper's 30-s windows, speech_embedding's CNN windows: compute-bound),
a row gives that model-only cost and the throughput row is reported for information. Nothing is downloaded.
Run with `python -m benchmarks.run_all p4` or `python -m benchmarks.bench_encoders`.
"""
from __future__ import annotations

import atexit
import os
import shutil
import statistics
import tempfile
from functools import lru_cache

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from audiodiag.measure import speakers  # noqa: E402
from audiodiag.represent import encoders  # noqa: E402
from audiodiag.types import Clip  # noqa: E402
from benchmarks.harness import Row, markdown_table, warm_median  # noqa: E402

P4_CLIPS = 64
P4_PADDED_WHISPER_CLIPS = 8  # ~0.3-0.5 s per clip on CPU whichever way: 64 would take minutes
P4_CLIP_S = 1.0
P4_MIN_SPEEDUP = 2.0
P4_MAX_ABS_DIFF = 1e-4
P4_SPEECH_WINDOWS_CLIPS = 16  # 1-s clips whose 0.78-s windows time the speech_embedding CNN (3 windows each)
SAMPLE_RATE_HZ = 16_000
SEED = 20240504


# wav2vec2-base's conv feature encoder: 7 layers, 320x down (20 ms frames); a toy with fewer, faster-striding
# layers (5, 4: 800 frames a second) spends its time in attention over 16x the frames and measures only that
W2V2_BASE_CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
W2V2_BASE_CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)
TOY_WIDTH = 32


@lru_cache(maxsize=1)
def tiny_wav2vec2_dir() -> str:
    """wav2vec2-base's layout at toy width (its 7-layer conv stem and frame rate, group norm, no attention mask,
    2 layers 32 wide), saved like a hub download."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    folder = tempfile.mkdtemp(prefix="audiodiag-bench-w2v2-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        hidden_size=TOY_WIDTH, num_hidden_layers=2, num_attention_heads=2, intermediate_size=2 * TOY_WIDTH,
        conv_dim=(TOY_WIDTH,) * len(W2V2_BASE_CONV_STRIDES), conv_stride=W2V2_BASE_CONV_STRIDES,
        conv_kernel=W2V2_BASE_CONV_KERNELS, num_feat_extract_layers=len(W2V2_BASE_CONV_STRIDES),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, feat_extract_norm="group")
    Wav2Vec2Model(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE_HZ, do_normalize=True,
                             return_attention_mask=False).save_pretrained(folder)
    return folder


def one_second_clips(n: int) -> list[Clip]:
    """Noise plus a random tone per clip, 16 kHz: rows differ, nothing to resample."""
    rng = np.random.default_rng(SEED)
    t = np.arange(int(P4_CLIP_S * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    clips = []
    for i in range(n):
        x = 0.05 * rng.standard_normal(len(t)) + 0.3 * np.sin(2 * np.pi * rng.uniform(100, 4000) * t)
        clips.append(Clip(f"clip_{i:03d}.wav", x.astype(np.float32), SAMPLE_RATE_HZ, SAMPLE_RATE_HZ, 1))
    return clips


def _interleaved(batched, alone, *, repeats: int) -> tuple[float, float]:
    """Median seconds of batched() and alone(), timed in turn so a noisy neighbour slows both."""
    batched_times, alone_times = [], []
    for _ in range(repeats):
        batched_times.append(warm_median(batched, repeats=1, warmups=0)[0])
        alone_times.append(warm_median(alone, repeats=1, warmups=0)[0])
    return statistics.median(batched_times), statistics.median(alone_times)


def _model_cost_row(label: str, unit: str, n: int, batched, alone, *, per_call: int, repeats: int,
                    note: str = "") -> Row:
    """Seconds per `unit` of the model calls alone, `per_call` units a call vs one (after a warm-up)."""
    batched(), alone()
    batched_s, alone_s = _interleaved(batched, alone, repeats=repeats)
    return Row(f"P4 {label}: model time per {unit}, {n} in calls of {per_call} (median of {repeats}){note}",
               batched_s / n,
               "s", f"one {unit} per call", alone_s / n,
               f"for information: compute-bound where batched is < {P4_MIN_SPEEDUP:g}× faster", None)


def whisper_cost_row(encoder, n: int) -> Row:
    """Whisper's encoder on the mel frames of n 1-s clips (each padded to a 30-s window, or only its own frames,
    as the encoder's mode says): per input, batched vs alone."""
    from audiodiag.represent.encoders.whisper import WHISPER_BATCH_MAX_CLIPS

    features = np.stack([encoder.chunk_features(c.samples)[0] for c in one_second_clips(n)])
    step = WHISPER_BATCH_MAX_CLIPS[encoder.mode]
    label, unit, repeats = (("whisper-tiny.en 30 s padded", "30-s window", 1) if encoder.mode == "padded" else
                            ("whisper-tiny.en unpadded", "1-s clip", 3))
    return _model_cost_row(label, unit, n,
                           lambda: [encoder.hidden_states(features[s:s + step]) for s in range(0, n, step)],
                           lambda: [encoder.hidden_states(f[None]) for f in features], per_call=step, repeats=repeats)


def aisfx_cost_row(encoder, n: int) -> Row:
    """aiSFX's CNN on the log-mel blocks of 1-s clips (one block each): per block, batched vs alone."""
    from audiodiag.represent.encoders.aisfx import AISFX_BATCH_BLOCKS, AISFX_BLOCK_FRAMES, log_mel
    from audiodiag.represent.encoders.base import resampled

    mels = [log_mel(w) for w in resampled(one_second_clips(n), encoder.sample_rate_hz)]
    blocks = np.stack([np.pad(m[:AISFX_BLOCK_FRAMES], ((0, AISFX_BLOCK_FRAMES - len(m[:AISFX_BLOCK_FRAMES])), (0, 0)))
                       for m in mels]).astype(np.float32)
    frames = np.array([min(len(m), AISFX_BLOCK_FRAMES) for m in mels])
    step = AISFX_BATCH_BLOCKS
    return _model_cost_row("aiSFX sound effects", "block", len(blocks),
                           lambda: [encoder.embed_blocks(blocks[s:s + step], frames[s:s + step])
                                    for s in range(0, len(blocks), step)],
                           lambda: [encoder.embed_blocks(b[None], f[None]) for b, f in zip(blocks, frames)],
                           per_call=min(step, len(blocks)), repeats=3)


def speech_embedding_cost_row(encoder) -> Row:
    """The speech_embedding CNN on 0.78-s log-mel windows: per window, all in one call vs one per call."""
    from audiodiag.represent.encoders.speech_embedding import (
        SPEECH_EMBEDDING_STEP_FRAMES,
        SPEECH_EMBEDDING_WINDOW_FRAMES,
    )

    mels = [encoder.log_mel(c.samples) for c in one_second_clips(P4_SPEECH_WINDOWS_CLIPS)]
    windows = np.stack([m[s:s + SPEECH_EMBEDDING_WINDOW_FRAMES] for m in mels
                        for s in range(0, len(m) - SPEECH_EMBEDDING_WINDOW_FRAMES + 1, SPEECH_EMBEDDING_STEP_FRAMES)])
    return _model_cost_row("speech_embedding (openwakeword)", "0.78-s window", len(windows),
                           lambda: encoder.window_embeddings(windows),
                           lambda: [encoder.window_embeddings(w[None]) for w in windows], per_call=len(windows),
                           repeats=3, note="; its mel step runs one clip per call (the export floors at the "
                           "loudest value of the whole call − 80 dB)")


def _rows_for(label: str, encoder: encoders.Encoder, n: int, *, repeats: int,
              model_cost: Row | None = None) -> list[Row]:
    """Throughput batched vs one clip per call, and the largest difference between the two. model_cost: the
    model-only row of a model that may be compute-bound: when batching its own calls gains less than the target
    (P4_MIN_SPEEDUP per input), the encoder cannot reach it either, and a throughput below it is information."""
    clips = one_second_clips(n)
    batched, single = encoder.embed(clips), np.concatenate([encoder.embed([c]) for c in clips])  # warm-up
    batched_s, single_s = _interleaved(lambda: encoder.embed(clips), lambda: [encoder.embed([c]) for c in clips],
                                       repeats=repeats)
    diff = float(np.abs(batched - single).max())
    batched_rate, single_rate = n / batched_s, n / single_s
    bound = model_cost is not None and model_cost.reference_value < P4_MIN_SPEEDUP * model_cost.value
    target = f"≥ {P4_MIN_SPEEDUP:g}× reference" + (" (not reachable: compute-bound, next row)" if bound else "")
    rows = [
        Row(f"P4 {label}: batched embed, {n} × {P4_CLIP_S:g}-s clips (median of {repeats}, interleaved)", batched_rate,
            "clips/s", "one clip per embed call, same clips", single_rate, target,
            True if batched_rate >= P4_MIN_SPEEDUP * single_rate else None if bound else False),
        *([model_cost] if model_cost is not None else []),
        Row(f"P4 {label}: max |batched − one-by-one|", diff, "", "tolerance", P4_MAX_ABS_DIFF,
            f"≤ {P4_MAX_ABS_DIFF:g}", diff <= P4_MAX_ABS_DIFF),
    ]
    return rows


def p4() -> list[Row]:
    """P4: batched vs one-by-one extraction per encoder: throughput ratio and max abs difference."""
    rows = _rows_for("tiny wav2vec2 (HF, group norm)", encoders.load_encoder(tiny_wav2vec2_dir()), P4_CLIPS,
                     repeats=3)
    unpadded = encoders.load_encoder(encoders.WHISPER_UNPADDED)
    rows += _rows_for("whisper-tiny.en unpadded", unpadded, P4_CLIPS, repeats=3,
                      model_cost=whisper_cost_row(unpadded, P4_CLIPS))
    padded = encoders.load_encoder(encoders.WHISPER_PADDED)
    rows += _rows_for("whisper-tiny.en 30 s padded", padded, P4_PADDED_WHISPER_CLIPS, repeats=1,
                      model_cost=whisper_cost_row(padded, P4_PADDED_WHISPER_CLIPS))
    speech = encoders.load_encoder(encoders.SPEECH_EMBEDDING)
    rows += _rows_for("speech_embedding (openwakeword)", speech, P4_CLIPS, repeats=3,
                      model_cost=speech_embedding_cost_row(speech))
    aisfx = encoders.load_encoder(encoders.canonical_name("aisfx"))
    rows += _rows_for("aiSFX sound effects", aisfx, P4_CLIPS, repeats=3, model_cost=aisfx_cost_row(aisfx, P4_CLIPS))
    rows += _rows_for("speaker encoder (resemblyzer; voices for the leakage check)", speakers.speaker_encoder(),
                      P4_CLIPS, repeats=3)
    return rows


BENCHMARKS = (p4,)


if __name__ == "__main__":
    print(markdown_table(p4()))
